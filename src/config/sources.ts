import { z } from 'zod';
import { MEANINGS } from '../security/record.js';
import { FEED_FORMATS } from '../feeds/formats.js';

/**
 * One feed of the index (SPEC sections 5 and 12). `path` is relative to the folder of the
 * file that declares it; `url` is where `index update` fetches it from.
 */
export const sourceSchema = z
  .strictObject({
    name: z.string().min(1).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only'),
    format: z.enum(FEED_FORMATS),
    path: z.string().min(1).optional(),
    url: z.url().optional(),
    /** netset (required there), and mmdb files whose records carry no flags of their own. */
    meaning: z.enum(MEANINGS).optional(),
    /** The provider name the entries carry; overrides the one a format names by itself. */
    provider: z.string().min(1).optional(),
    /** Confidence (1-100) given to vpn / proxy signals of this source that carry none. */
    confidence: z.number().int().min(1).max(100).optional(),
    /** Sources that publish a checksum alongside the feed. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/i).optional(),
    enabled: z.boolean().default(true),
  })
  .superRefine((src, ctx) => {
    if (src.path === undefined && src.url === undefined) {
      ctx.addIssue({ code: 'custom', message: 'one of path or url is required', path: ['path'] });
    }
    if (src.format === 'netset' && src.meaning === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `netset sources must declare a meaning (${MEANINGS.join(' | ')})`,
        path: ['meaning'],
      });
    }
  });

export type SourceConfig = z.infer<typeof sourceSchema>;

export const sourcesSchema = z
  .array(sourceSchema)
  .superRefine((list, ctx) => {
    const seen = new Map<string, number>();
    list.forEach((src, i) => {
      const before = seen.get(src.name);
      if (before !== undefined) {
        ctx.addIssue({ code: 'custom', message: `duplicate source name '${src.name}' (also at sources.${before})`, path: [i, 'name'] });
      }
      seen.set(src.name, i);
    });
  });
