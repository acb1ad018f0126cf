import { describeUnchanged } from '../history/describe.js';
import type { HistoryFiling, UpdateRoundReport } from './update-round.js';
import type { FeedPlan } from './plan.js';
import type { FeedResult } from './update-feed.js';

/** A source the round does not download, and why. */
export function formatLocalLine(f: FeedPlan): string {
  const why = f.url === undefined ? (f.localReason ?? 'no url') : 'not named by --only';
  return `feed ${f.source.name}: local copy used as it is (${why})`;
}

/** One stderr line per downloaded feed, printed as it finishes. */
export function formatFeedLine(f: FeedResult): string {
  switch (f.outcome) {
    case 'updated':
      return `feed ${f.name}: updated, ${f.bytes ?? 0} bytes, ${f.networks ?? 0} networks from ${f.url}`;
    case 'not_modified':
      return `feed ${f.name}: not modified (${f.url})`;
    case 'failed':
      return `feed ${f.name}: FAILED: ${f.error ?? 'unknown error'}; ${
        f.hasCopy ? `the last good copy (${f.bytes ?? 0} bytes, ${f.file}) stays in use` : `no local copy to build from (${f.file})`
      }`;
  }
}

function formatHistoryLine(h: HistoryFiling): string {
  if (h.error !== undefined) return `history ${h.dir}: NOT filed: ${h.error}`;
  const pruned = h.prunedSnapshots > 0 ? `; pruned ${h.prunedSnapshots} past the retention` : '';
  return h.outcome === 'unchanged'
    ? `${describeUnchanged(h.dir, h.validFrom, h.version)}${pruned}`
    : `history ${h.dir}: filed, valid from ${h.validFrom} as version ${h.version}${pruned}`;
}

/** The closing lines of a round: counts, what became of the snapshot, and a warning for failed feeds. */
export function formatRoundSummary(r: UpdateRoundReport): string {
  const { counts } = r;
  const lines = [
    `index update: ${counts.updated} updated, ${counts.not_modified} not modified, ${counts.failed} failed, ${r.local.length} used as local files`,
  ];
  switch (r.rebuild) {
    case 'written': {
      const b = r.built!;
      lines.push(
        `built ${r.snapshot}: version ${b.version}, ${b.rangesV4} IPv4 + ${b.rangesV6} IPv6 ranges, ${b.entries} distinct answers (${r.reason}); ${b.problems} feed lines skipped as malformed`,
      );
      if (r.history) lines.push(formatHistoryLine(r.history));
      break;
    }
    case 'up_to_date':
      lines.push(`snapshot ${r.snapshot} is up to date: ${r.reason}`);
      break;
    case 'failed':
      lines.push(`snapshot ${r.snapshot} NOT built: ${r.reason}`);
      break;
    case 'aborted':
      lines.push(`stopped: snapshot ${r.snapshot} not rebuilt this round`);
      break;
  }
  const failed = r.feeds.filter((f) => f.outcome === 'failed' && !f.aborted);
  if (failed.length > 0) {
    const kept = failed.filter((f) => f.hasCopy).map((f) => f.name);
    const none = failed.filter((f) => !f.hasCopy).map((f) => f.name);
    lines.push(
      `warning: ${failed.length} feed${failed.length === 1 ? '' : 's'} failed to update${kept.length > 0 ? `; last good copies used for ${kept.join(', ')}` : ''}${
        none.length > 0 ? `; no copy at all of ${none.join(', ')}` : ''
      }`,
    );
  }
  return lines.join('\n');
}
