import type { AlertEngine } from '../alerts/engine.js';
import type { AlertInput, AlertSource } from '../alerts/types.js';
import type { BatchAnswers, EnrichCounts, Enricher, EnrichmentSource, EventKind } from '../enrich/enricher.js';
import { answerOf, detectKind, emptyCounts } from '../enrich/enricher.js';
import type { ClientIp } from '../ip/client-ip.js';
import { parseClientIp } from '../ip/client-ip.js';
import type { RangeIndex } from '../range-index/types.js';
import type { SecurityRecord } from '../security/record.js';
import { enrichmentParts, eventFields } from './serialize.js';

/** A line that is not a JSON object; `line` counts from 1 at the chunk's first line. */
export interface ChunkReject {
  line: number;
  reason: string;
  raw: string;
}

/** An event some alert rule matched: what the alert engine's stateful half needs, in input order. */
export interface RuleMatch {
  /** Counts from 1 at the chunk's first line. */
  line: number;
  event: Record<string, unknown>;
  kind: EventKind;
  ip: string;
  security: SecurityRecord;
  enrichmentSource: EnrichmentSource;
  /** Positions of the matched rules (AlertEngine.matching). */
  rules: number[];
}

/** What one chunk of whole lines gives: everything but alert suppression, which needs input order. */
export interface ChunkResult {
  /** The enriched JSONL of the chunk's objects, in order. */
  output: Uint8Array;
  /** Lines in the chunk, blank ones included: the next chunk's lines are numbered on from here. */
  lineCount: number;
  /** Non-blank lines. */
  lines: number;
  events: number;
  bySource: EnrichCounts;
  rejects: ChunkReject[];
  matches: RuleMatch[];
}

export interface ChunkEnricherOptions {
  enricher: Enricher;
  /** Used for its stateless half only (answerCandidates, matching). */
  alerts: AlertEngine;
  /** Access or auth for every line; absent: detected per line from its fields. */
  kind?: EventKind;
  /** Lines enriched together: their unique addresses are looked up once. */
  batchSize: number;
}

/**
 * One client's part of the output and of alert matching, worked out once and kept for as long
 * as its answer holds (see ChunkEnricher.cacheable).
 */
interface Resolved {
  /** `,"security":…,"enrichment":{…"enriched_at":`, and what follows the time up to the newline. */
  head: string;
  end: string;
  /** head, the batch's time and end: what replaces an event's closing brace. */
  tail: string;
  /** The batch time `tail` holds. */
  stamp: number;
  source: EnrichmentSource;
  /** Null for private and invalid addresses, which never alert. */
  security: Readonly<SecurityRecord> | null;
  ip: string;
  /** Rules whose answer conditions hold, per kind (AlertEngine.answerCandidates). */
  access: readonly number[];
  auth: readonly number[];
}

/** Distinct address texts (and their answers) kept from batch to batch before starting afresh. */
const MAX_REMEMBERED = 1 << 12;

const NO_RULES: readonly number[] = [];
const NO_SOURCE: AlertSource = { topic: '', partition: 0, offset: '' };
const NO_EVENT: Record<string, unknown> = {};

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

function isBlank(line: string): boolean {
  return line.charCodeAt(0) !== 123 /* { */ && line.trim().length === 0;
}

function isEmptyObject(event: Record<string, unknown>): boolean {
  for (const _ in event) return false;
  return true;
}

/**
 * The output line of an event that is not the common case (`{"…` up to `}`, no fields named
 * security or enrichment): white space around the object is dropped, an empty object gets no
 * comma, and fields named security or enrichment are dropped from a re-serialised event, so
 * the output never holds them twice.
 */
function unusualLine(line: string, event: Record<string, unknown>, tail: string): string {
  const base = 'security' in event || 'enrichment' in event ? JSON.stringify(eventFields(event)) : isEmptyObject(event) ? '{}' : line.trim();
  return base.length === 2 ? `{${tail.slice(1)}` : base.slice(0, -1) + tail;
}

/**
 * File mode's work on one chunk of whole lines, free of input order: parse and check each line,
 * enrich it, write its output line, and find which alert rules it matches. Whatever is stateful
 * (alert suppression, line numbers across chunks, the outputs) stays with the caller, so chunks
 * can be enriched in worker threads and taken back in order.
 *
 * An event's output is the text of its own line with the closing brace replaced by its client's
 * tail, built once per client and batch: the fields stay byte for byte as they came and the
 * event is never re-serialised. The chunk's output is one string, encoded to UTF-8 once.
 */
export class ChunkEnricher {
  private readonly enricher: Enricher;
  private readonly alerts: AlertEngine;
  private readonly kind: EventKind | undefined;
  private readonly batchSize: number;
  /** Address text to its parse, across batches (parsing is pure). */
  private readonly parsed = new Map<string, ClientIp>();
  private readonly parse = (raw: string): ClientIp => {
    let client = this.parsed.get(raw);
    if (client === undefined) {
      client = parseClientIp(raw);
      this.parsed.set(raw, client);
    }
    return client;
  };
  /** Answers that hold across batches, valid for `resolvedFor`'s index and staleness. */
  private readonly resolved = new Map<ClientIp, Resolved>();
  private resolvedFor: { index: RangeIndex; stale: boolean } | undefined;

  constructor(options: ChunkEnricherOptions) {
    this.enricher = options.enricher;
    this.alerts = options.alerts;
    this.kind = options.kind;
    this.batchSize = options.batchSize;
  }

  async enrich(bytes: Uint8Array): Promise<ChunkResult> {
    // Chunks end at a newline (or the end of the input), which is never inside a UTF-8
    // sequence: decoding chunk by chunk reads the same characters as decoding the whole input.
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    const result: ChunkResult = { output: new Uint8Array(0), lineCount: 0, lines: 0, events: 0, bySource: emptyCounts(), rejects: [], matches: [] };
    let out = '';
    let at = 0;
    while (at < text.length) {
      if (this.parsed.size > MAX_REMEMBERED || this.resolved.size > MAX_REMEMBERED) {
        this.parsed.clear();
        this.resolved.clear();
      }
      const lines: string[] = [];
      const numbers: number[] = [];
      const events: Record<string, unknown>[] = [];
      const clients: ClientIp[] = [];
      /** Clients seen for the first time (or whose answers are not kept), looked up below. */
      const unknown: ClientIp[] = [];
      for (let n = 0; n < this.batchSize && at < text.length; n++) {
        const nl = text.indexOf('\n', at);
        const next = nl < 0 ? text.length : nl + 1;
        let end = nl < 0 ? text.length : nl;
        if (end > at && text.charCodeAt(end - 1) === 13 /* \r */) end--;
        const line = text.slice(at, end);
        at = next;
        const number = ++result.lineCount;
        if (isBlank(line)) continue;
        result.lines++;
        const decoded = decode(line);
        if (typeof decoded === 'string') {
          result.rejects.push({ line: number, reason: decoded, raw: line });
          continue;
        }
        const client = this.enricher.client(decoded, this.parse);
        if (!this.resolved.has(client)) unknown.push(client);
        lines.push(line);
        numbers.push(number);
        events.push(decoded);
        clients.push(client);
      }
      if (events.length === 0) continue;
      out += this.batchOutput(lines, numbers, events, clients, await this.lookUp(clients, unknown), result);
    }
    result.output = Buffer.from(out, 'utf8');
    return result;
  }

  /**
   * Looks up the batch's new clients (the enricher takes each address once) and adds their
   * answers. When the index or its staleness changed since the kept answers were made, they
   * are dropped and every client of the batch is looked up again.
   */
  private async lookUp(clients: readonly ClientIp[], unknown: readonly ClientIp[]): Promise<BatchAnswers> {
    let batch = await this.enricher.lookUp(unknown);
    if (this.resolvedFor?.index !== batch.index || this.resolvedFor.stale !== batch.stale) {
      if (this.resolved.size > 0) {
        this.resolved.clear();
        batch = await this.enricher.lookUp(clients);
      }
      this.resolvedFor = { index: batch.index, stale: batch.stale };
    }
    const versionJson = JSON.stringify(batch.version);
    for (const client of this.resolved.size === 0 ? clients : unknown) {
      if (!this.resolved.has(client)) this.resolved.set(client, this.resolve(client, batch, versionJson));
    }
    return batch;
  }

  /**
   * Index answers, and private and invalid addresses, hold for as long as the index and its
   * staleness do. Remote answers do not (the provider's cache decides `remote` or `cache` per
   * batch), nor do misses when a fallback would be asked about them.
   */
  private cacheable(r: Resolved): boolean {
    return r.source === 'index' || r.source === 'private' || r.source === 'invalid' || (r.source === 'none' && !this.enricher.hasFallback);
  }

  private batchOutput(
    lines: readonly string[],
    numbers: readonly number[],
    events: readonly Record<string, unknown>[],
    clients: readonly ClientIp[],
    batch: BatchAnswers,
    result: ChunkResult,
  ): string {
    const now = batch.now;
    const counts = result.bySource;
    let out = '';
    for (let i = 0; i < events.length; i++) {
      const r = this.resolved.get(clients[i]!)!;
      if (r.stamp !== now) {
        r.tail = `${r.head}${now}${r.end}`;
        r.stamp = now;
      }
      counts[r.source]++;
      const line = lines[i]!;
      const event = events[i]!;
      // The common case: `{"…}` (a parsed object whose second character is a quote starts with
      // a brace) with no fields the enrichment writes.
      if (line.charCodeAt(1) === 34 /* " */ && line.charCodeAt(line.length - 1) === 125 /* } */ && !('security' in event) && !('enrichment' in event)) {
        out += line.slice(0, -1) + r.tail;
      } else {
        out += unusualLine(line, event, r.tail);
      }
      if (r.security !== null && (r.access.length > 0 || r.auth.length > 0)) this.match(event, numbers[i]!, r, result);
    }
    for (const client of clients) {
      const r = this.resolved.get(client);
      if (r !== undefined && !this.cacheable(r)) this.resolved.delete(client);
    }
    result.events += events.length;
    return out;
  }

  private resolve(client: ClientIp, batch: BatchAnswers, versionJson: string): Resolved {
    const { security, securityJson, enrichment } = answerOf(client, batch);
    const [before, after] = enrichmentParts(enrichment, versionJson);
    const resolved: Resolved = {
      head: `,"security":${securityJson},"enrichment":${before}`,
      end: `${after}}\n`,
      tail: '',
      stamp: Number.NaN,
      source: enrichment.source,
      security,
      ip: client.ip,
      access: NO_RULES,
      auth: NO_RULES,
    };
    if (security !== null && enrichment.ip !== null && this.alerts.enabled) {
      const probe = (kind: EventKind): AlertInput => ({
        event: NO_EVENT,
        kind,
        ip: client.ip,
        security,
        enrichmentSource: enrichment.source,
        eventTimeMs: null,
        source: NO_SOURCE,
      });
      resolved.access = this.alerts.answerCandidates(probe('access'));
      resolved.auth = this.alerts.answerCandidates(probe('auth'));
    }
    return resolved;
  }

  private match(event: Record<string, unknown>, line: number, r: Resolved, result: ChunkResult): void {
    const kind = this.kind ?? detectKind(event);
    const candidates = kind === 'access' ? r.access : r.auth;
    if (candidates.length === 0) return;
    const security = r.security!;
    const input: AlertInput = { event, kind, ip: r.ip, security, enrichmentSource: r.source, eventTimeMs: null, source: NO_SOURCE };
    const rules = this.alerts.matching(input, candidates);
    if (rules.length > 0) result.matches.push({ line, event, kind, ip: r.ip, security, enrichmentSource: r.source, rules });
  }
}
