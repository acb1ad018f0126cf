import { z } from 'zod';
import { errorMessage } from '../errors.js';
import { parseNetworks } from '../ip/network.js';
import { uniqueBy } from './unique.js';

/**
 * The operator's own known-good networks (their egress, partners), applied when addresses are
 * looked up, not baked into snapshots: editing the list needs a restart of run or serve, never
 * an index rebuild. Inside these networks an answer carries no is_bot, is_spam or
 * is_known_attacker, its score is recomputed from what remains, and `allowlist:<name>` joins
 * its provenance, as a source declared `meaning: benign` does at build time.
 */
export const allowlistEntrySchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, underscore and hyphen only')
    .describe('Name of the list; answers inside it name `allowlist:<name>` in their provenance (`lookup --explain`).'),
  cidrs: z
    .array(z.string())
    .min(1)
    .superRefine((list, ctx) => {
      list.forEach((text, i) => {
        try {
          parseNetworks(text);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: errorMessage(err), path: [i] });
        }
      });
    })
    .describe('CIDRs, single addresses or `a - b` ranges, IPv4 or IPv6.'),
});

export type AllowlistEntry = z.infer<typeof allowlistEntrySchema>;

export const allowlistSchema = z.array(allowlistEntrySchema).superRefine(uniqueBy<AllowlistEntry>('name', 'allowlist name', 'allowlist'));
