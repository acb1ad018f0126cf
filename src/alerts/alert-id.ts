import { createHash } from 'node:crypto';
import type { AlertSource } from './types.js';

/**
 * The id depends only on where the event sits and which rule fired, so replaying a topic (or
 * re-running a file) reproduces the same ids and consumers can deduplicate on them.
 */
export function alertId(source: AlertSource, ruleId: string): string {
  return createHash('sha256')
    .update(`${source.topic}\u0000${source.partition}\u0000${source.offset}\u0000${ruleId}`)
    .digest('hex')
    .slice(0, 32);
}

/**
 * A retro-alert comes from no one event: its id is the rule, the address and the index version
 * that made it match, so a restart that swaps to the same index again makes the same id.
 */
export function retroAlertId(ruleId: string, ip: string, indexVersion: string): string {
  return createHash('sha256').update(`retro\u0000${ruleId}\u0000${ip}\u0000${indexVersion}`).digest('hex').slice(0, 32);
}
