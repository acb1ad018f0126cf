import { z } from 'zod';
import { BENIGN, SOURCE_MEANINGS } from '../security/record.js';
import { FEED_FORMATS, isKnownGoodFormat } from '../feeds/formats.js';
import { uniqueBy } from './unique.js';

/**
 * One feed of the index (SPEC sections 5 and 12). `path` is relative to the folder of the
 * file that declares it; `url` is where `index update` fetches it from.
 */
export const sourceSchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only')
      .describe('Unique name of the source; shown in provenance (`lookup --explain`, `index inspect`) and in feed update metrics.'),
    format: z.enum(FEED_FORMATS).describe('How the feed is parsed (see "Building a real index" in the README).'),
    path: z
      .string()
      .min(1)
      .optional()
      .describe("Local copy of the feed, relative to the folder of the file that declares it; `index update` downloads url into it. Absent: feeds/<name><ext> beside the config file."),
    url: z.url().optional().describe('Where `index update` fetches the feed (conditional requests). Formats with an official URL get it by default.'),
    meaning: z
      .enum(SOURCE_MEANINGS)
      .optional()
      .describe(
        'What every entry of the feed means: required for netset, and for mmdb files whose records carry no flags of their own. `benign` (any format) marks known-good networks such as verified crawlers: their ranges never carry is_bot, is_spam or is_known_attacker from other sources, and the score is recomputed without them. The googlebot, google-special-crawlers and google-user-triggered-fetchers formats are benign by themselves.',
      ),
    provider: z
      .string()
      .min(1)
      .optional()
      .describe('The provider name the entries carry; overrides the one a format names by itself. For a benign source, the name it goes by in provenance (`index inspect`, `lookup --explain`).'),
    confidence: z.number().int().min(1).max(100).optional().describe('Confidence given to vpn / proxy signals of this source that carry none.'),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/i)
      .optional()
      .describe('Expected SHA-256 of the downloaded feed, for sources that publish one: a download that differs is rejected and the last good copy kept.'),
    enabled: z.boolean().default(true).describe('false leaves the source out of builds and updates without deleting it.'),
  })
  .superRefine((src, ctx) => {
    if (src.path === undefined && src.url === undefined) {
      ctx.addIssue({ code: 'custom', message: 'one of path or url is required', path: ['path'] });
    }
    if (src.format === 'netset' && src.meaning === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `netset sources must declare a meaning (${SOURCE_MEANINGS.join(' | ')})`,
        path: ['meaning'],
      });
    }
    if (isKnownGoodFormat(src.format) && src.meaning !== undefined && src.meaning !== BENIGN) {
      ctx.addIssue({
        code: 'custom',
        message: `${src.format} lists Google's own crawlers: its meaning is benign, not '${src.meaning}'`,
        path: ['meaning'],
      });
    }
  });

export type SourceConfig = z.infer<typeof sourceSchema>;

/** Whether a source lists known-good networks (SPEC section 12): declared benign, or a format that is. */
export function isKnownGoodSource(source: Pick<SourceConfig, 'format' | 'meaning'>): boolean {
  return source.meaning === BENIGN || isKnownGoodFormat(source.format);
}

export const sourcesSchema = z.array(sourceSchema).superRefine(uniqueBy<SourceConfig>('name', 'source name', 'sources'));
