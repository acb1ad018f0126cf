import type { ReplaySummary } from '../replay.js';

function n(value: number): string {
  return value.toLocaleString('en-US');
}

function breakdown(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, count]) => `${name} ${n(count)}`)
    .join(', ');
}

export interface SummaryContext {
  fromMs: number;
  toMs: number;
  toTopic: string;
  groupId: string;
  alerts: boolean;
  alertsTopic: string;
  dlqTopic: string;
  /** Why the replay ended early, when it did. */
  stoppedBy?: string | undefined;
}

/** The lines `iprisk replay` prints to stderr when it ends, for a person reading a terminal. */
export function formatSummary(s: ReplaySummary, ctx: SummaryContext): string {
  const secs = s.elapsedMs / 1000;
  const rate = secs > 0 ? Math.round(s.events / secs) : 0;
  const window = `${new Date(ctx.fromMs).toISOString()} .. ${new Date(ctx.toMs).toISOString()}`;
  const lines = [
    s.completed
      ? `replay of ${window} complete: ${n(s.events)} events into ${ctx.toTopic} in ${secs.toFixed(1)} s (${n(rate)}/s)`
      : `replay of ${window} stopped${ctx.stoppedBy ? ` by ${ctx.stoppedBy}` : ''} before the end of the window: ${n(s.events)} of at most ${n(s.windowOffsets)} events into ${ctx.toTopic} in ${secs.toFixed(1)} s`,
  ];
  for (const [topic, count] of Object.entries(s.byTopic).sort(([a], [b]) => a.localeCompare(b))) lines.push(`  from ${topic}: ${n(count)}`);
  if (Object.keys(s.bySource).length > 0) lines.push(`  enriched by source: ${breakdown(s.bySource)}`);
  lines.push(`  dead-lettered to ${ctx.dlqTopic}: ${n(s.dlq)}${s.dlq > 0 ? ` (${breakdown(s.dlqByReason)})` : ''}`);
  lines.push(ctx.alerts ? `  alerts to ${ctx.alertsTopic}: ${n(s.alerts)}` : '  alerts: off (--alerts to produce them)');
  lines.push(`  consumer group: ${ctx.groupId} (no offsets committed)`);
  return `${lines.join('\n')}\n`;
}
