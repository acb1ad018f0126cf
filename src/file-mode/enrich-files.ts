import type { Readable, Writable } from 'node:stream';
import type { AlertEngine } from '../alerts/engine.js';
import type { EnrichCounts, Enricher, EventKind } from '../enrich/enricher.js';
import { emptyCounts } from '../enrich/enricher.js';
import { FileAlertInput } from './alert-input.js';
import { readLineBatches } from './line-reader.js';
import { Progress } from './progress.js';
import { LineBatch } from './serialize.js';
import { openInput, openOutput } from './streams.js';

export interface EnrichFilesOptions {
  inputs: readonly string[];
  output?: string;
  alertsOutput?: string;
  rejectsOutput?: string;
  /** Access or auth for every line; absent: detected per line from its fields. */
  kind?: EventKind;
  batchSize: number;
  enricher: Enricher;
  alerts: AlertEngine;
  stdin?: Readable;
  stdout?: Writable;
  /** Where rejected lines go when no rejects file is named. */
  stderr?: Writable;
  progress?: Progress;
}

export interface EnrichFilesSummary {
  lines: number;
  events: number;
  rejected: number;
  bySource: EnrichCounts;
  alerts: number;
  alertsByRule: Record<string, number>;
  suppressed: number;
  elapsedMs: number;
}

interface Reject {
  file: string;
  line: number;
  reason: string;
  raw: string;
}

function decode(text: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `invalid JSON: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return `not a JSON object: ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}`;
  }
  return value as Record<string, unknown>;
}

/**
 * File mode (SPEC section 9): JSONL in, enriched JSONL out, one output line per decodable input
 * line in input order; alerts to a second file; lines that are not JSON objects to the rejects
 * file with their line number and reason. Nothing is dropped silently.
 */
export async function enrichFiles(options: EnrichFilesOptions): Promise<EnrichFilesSummary> {
  const started = Date.now();
  const out = openOutput(options.output, options.stdout);
  const alertsOut = options.alertsOutput === undefined ? undefined : openOutput(options.alertsOutput);
  const rejectsOut = options.rejectsOutput === undefined ? undefined : openOutput(options.rejectsOutput);
  const progress = options.progress ?? new Progress();
  const summary: EnrichFilesSummary = {
    lines: 0,
    events: 0,
    rejected: 0,
    bySource: emptyCounts(),
    alerts: 0,
    alertsByRule: {},
    suppressed: 0,
    elapsedMs: 0,
  };
  const suppressedBefore = options.alerts.counters().reduce((n, c) => n + c.suppressed, 0);
  const output = new LineBatch();
  const kinds = options.kind === undefined ? undefined : new Array<EventKind>(options.batchSize).fill(options.kind);

  try {
    for (const name of options.inputs.length > 0 ? options.inputs : ['-']) {
      const input = await openInput(name, options.stdin);
      for await (const lines of readLineBatches(input.stream, options.batchSize)) {
        const events: Record<string, unknown>[] = [];
        const numbers: number[] = [];
        const raws: string[] = [];
        const rejects: Reject[] = [];
        for (const line of lines) {
          if (line.text.trim().length === 0) continue;
          summary.lines++;
          const decoded = decode(line.text);
          if (typeof decoded === 'string') rejects.push({ file: input.label, line: line.number, reason: decoded, raw: line.text });
          else {
            events.push(decoded);
            numbers.push(line.number);
            raws.push(line.text);
          }
        }
        const enriched = await options.enricher.enrich(events, kinds);
        let alertText = '';
        const versionJson = enriched.length > 0 ? JSON.stringify(enriched[0]!.enrichment.index_version) : '""';
        for (let i = 0; i < enriched.length; i++) {
          const e = enriched[i]!;
          summary.bySource[e.enrichment.source]++;
          output.addEnriched(e, versionJson, raws[i]);
          if (e.security === null || e.enrichment.ip === null) continue;
          const alerts = options.alerts.evaluate(new FileAlertInput(e, e.security, e.enrichment.ip, input.label, numbers[i]!));
          for (const alert of alerts) {
            summary.alerts++;
            summary.alertsByRule[alert.rule] = (summary.alertsByRule[alert.rule] ?? 0) + 1;
            alertText += `${JSON.stringify(alert)}\n`;
          }
        }
        summary.events += enriched.length;
        summary.rejected += rejects.length;
        if (output.byteLength > 0) await out.write(output.take());
        if (alertText && alertsOut) await alertsOut.write(alertText);
        if (rejects.length > 0) {
          const rejectText = rejects.map((r) => `${JSON.stringify(r)}\n`).join('');
          if (rejectsOut) await rejectsOut.write(rejectText);
          else (options.stderr ?? process.stderr).write(rejectText);
        }
        progress.update(summary.events, input.bytesRead(), input.totalBytes, input.label);
      }
    }
  } finally {
    progress.done();
    await Promise.allSettled([out.close(), alertsOut?.close(), rejectsOut?.close()]);
  }
  summary.suppressed = options.alerts.counters().reduce((n, c) => n + c.suppressed, 0) - suppressedBefore;
  summary.elapsedMs = Date.now() - started;
  return summary;
}

export function formatSummary(s: EnrichFilesSummary, rejectsFile?: string, alertsFile?: string): string {
  const secs = s.elapsedMs / 1000;
  const rate = secs > 0 ? Math.round(s.events / secs) : s.events;
  const src = s.bySource;
  const rules = Object.entries(s.alertsByRule)
    .map(([rule, n]) => `${rule} ${n}`)
    .join(', ');
  return [
    `iprisk enrich: ${s.events} events from ${s.lines} lines in ${secs.toFixed(2)} s (${rate.toLocaleString('en-US')} events/s)`,
    `  answered by: index ${src.index}, remote ${src.remote}, cache ${src.cache}, none ${src.none}; private ${src.private}, invalid ${src.invalid}`,
    `  alerts: ${s.alerts}${rules ? ` (${rules})` : ''}, suppressed ${s.suppressed}${s.alerts > 0 ? (alertsFile ? ` (in ${alertsFile})` : ' (not written: name a file with --alerts)') : ''}`,
    `  rejected lines: ${s.rejected}${s.rejected > 0 ? (rejectsFile ? ` (in ${rejectsFile})` : ' (written to stderr)') : ''}`,
  ].join('\n');
}
