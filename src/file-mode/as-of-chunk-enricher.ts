import type { AlertEngine } from '../alerts/engine.js';
import { eventTimeMs } from '../alerts/event-time.js';
import type { IpExtractionConfig } from '../config/schema.js';
import type { EventKind } from '../enrich/enricher.js';
import { Enricher, emptyCounts } from '../enrich/enricher.js';
import type { SnapshotHistory } from '../history/snapshot-history.js';
import type { RangeIndex } from '../range-index/types.js';
import type { ChunkResult } from './chunk-enricher.js';
import { ChunkEnricher } from './chunk-enricher.js';

export interface AsOfChunkEnricherOptions {
  history: SnapshotHistory;
  extraction: IpExtractionConfig;
  /** Used for its stateless half only, as ChunkEnricher uses it. */
  alerts: AlertEngine;
  kind?: EventKind;
  batchSize: number;
}

/** One snapshot's share of a chunk: its lines, in input order. */
interface Group {
  numbers: number[];
  texts: string[];
  /** Per line: older than the history, so its index judgement is stale. */
  stale: boolean[];
}

/** The time of a line's event, or null when it has none (or is not a JSON object: ChunkEnricher rejects it). */
function lineTime(text: string): number | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? eventTimeMs(value as Record<string, unknown>) : null;
}

const STALE_FALSE = ',"stale":false}}\n';
const STALE_TRUE = ',"stale":true}}\n';
const ENRICHMENT = ',"enrichment":{"ip":';

/**
 * An output line whose enrichment says `stale: true`. Every output line ends with the
 * enrichment object (serialize.ts writes `stale` as its last field) and the event's brace; only
 * an index judgement can be stale, so private and invalid addresses are left as they are.
 */
function markedStale(line: string): string {
  const at = line.lastIndexOf(ENRICHMENT);
  if (at < 0 || !line.endsWith(STALE_FALSE)) throw new Error(`an enriched line does not end with its enrichment: ${line.slice(-80)}`);
  const source = line.slice(at + ENRICHMENT.length).match(/"source":"([a-z]+)"/)?.[1];
  if (source !== 'index' && source !== 'none') return line;
  return line.slice(0, -STALE_FALSE.length) + STALE_TRUE;
}

/**
 * File mode's as-of enrichment of one chunk (see AsOfEnricher for the rules): each line goes
 * to the snapshot of the history in force at its event's time, each snapshot's lines are
 * enriched together by that snapshot's ChunkEnricher, and the output, rejects and rule matches
 * are put back in input order. The result is the one a single ChunkEnricher would give if one
 * index answered every line as its time calls for, so worker threads (each opening the
 * history itself) give the same bytes as one thread.
 */
export class AsOfChunkEnricher {
  private readonly history: SnapshotHistory;
  private readonly options: AsOfChunkEnricherOptions;
  /** Keyed by the loaded snapshot: goes when the history's LRU lets the snapshot go. */
  private readonly chunkers = new WeakMap<RangeIndex, ChunkEnricher>();

  constructor(options: AsOfChunkEnricherOptions) {
    this.history = options.history;
    this.options = options;
  }

  async enrich(bytes: Uint8Array): Promise<ChunkResult> {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    const result: ChunkResult = { output: new Uint8Array(0), lineCount: 0, lines: 0, events: 0, bySource: emptyCounts(), rejects: [], matches: [] };
    const groups = new Map<number, Group>();
    const startMs = this.history.startMs;
    // Lines are cut as ChunkEnricher cuts them, so line numbers agree.
    let at = 0;
    while (at < text.length) {
      const nl = text.indexOf('\n', at);
      let end = nl < 0 ? text.length : nl;
      const next = nl < 0 ? text.length : nl + 1;
      if (end > at && text.charCodeAt(end - 1) === 13 /* \r */) end--;
      const line = text.slice(at, end);
      at = next;
      const number = ++result.lineCount;
      if (line.trim().length === 0) continue;
      const t = lineTime(line);
      const position = this.history.positionAt(t);
      let group = groups.get(position);
      if (group === undefined) {
        group = { numbers: [], texts: [], stale: [] };
        groups.set(position, group);
      }
      group.numbers.push(number);
      group.texts.push(line);
      group.stale.push(t !== null && t < startMs);
    }

    const outputs = new Array<string>(result.lineCount + 1).fill('');
    for (const position of this.history.loadOrder(groups.keys())) {
      const group = groups.get(position)!;
      const part = await (await this.chunkerAt(position)).enrich(Buffer.from(group.texts.join('\n'), 'utf8'));
      result.lines += part.lines;
      result.events += part.events;
      for (const [source, n] of Object.entries(part.bySource) as [keyof ChunkResult['bySource'], number][]) result.bySource[source] += n;
      const rejected = new Set<number>();
      for (const r of part.rejects) {
        rejected.add(r.line);
        result.rejects.push({ ...r, line: group.numbers[r.line - 1]! });
      }
      for (const m of part.matches) result.matches.push({ ...m, line: group.numbers[m.line - 1]! });
      // One output line per line the part did not reject, in the part's order.
      const out = Buffer.from(part.output.buffer, part.output.byteOffset, part.output.byteLength).toString('utf8');
      let from = 0;
      for (let k = 0; k < group.texts.length; k++) {
        if (rejected.has(k + 1)) continue;
        const nl = out.indexOf('\n', from);
        const line = out.slice(from, nl + 1);
        from = nl + 1;
        outputs[group.numbers[k]!] = group.stale[k] ? markedStale(line) : line;
      }
    }
    result.rejects.sort((a, b) => a.line - b.line);
    result.matches.sort((a, b) => a.line - b.line);
    result.output = Buffer.from(outputs.join(''), 'utf8');
    return result;
  }

  private async chunkerAt(position: number): Promise<ChunkEnricher> {
    const index = await this.history.load(position);
    let chunker = this.chunkers.get(index);
    if (chunker === undefined) {
      const { extraction, alerts, kind, batchSize } = this.options;
      // No fallback and no max age: see AsOfEnricher.
      chunker = new ChunkEnricher({ enricher: new Enricher({ index: { current: index }, extraction, maxIndexAgeSecs: 0 }), alerts, batchSize, ...(kind === undefined ? {} : { kind }) });
      this.chunkers.set(index, chunker);
    }
    return chunker;
  }
}
