import { isAscii } from 'node:buffer';
import type { AlertEngine } from '../alerts/engine.js';
import type { AlertInput, AlertSource } from '../alerts/types.js';
import type { BatchAnswers, EnrichCounts, Enricher, EnrichmentSource, EventKind } from '../enrich/enricher.js';
import { answerOf, detectKind, emptyCounts } from '../enrich/enricher.js';
import type { ClientIp } from '../ip/client-ip.js';
import { parseClientIp } from '../ip/client-ip.js';
import { parseIPv4 } from '../ip/address.js';
import type { RangeIndex } from '../range-index/types.js';
import type { SecurityRecord } from '../security/record.js';
import { OutputBytes } from './output-bytes.js';
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
  /** The enriched JSONL of the chunk's objects, in order: a view on a buffer of its own. */
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
 * as its answer holds (see ChunkEnricher.cacheable). An event's line is its own text up to the
 * closing brace, then `security` (shared by every client with the same answer), `middle`, the
 * batch's time and the end of the enrichment.
 */
interface Resolved {
  /** `"security":…,"enrichment":` as UTF-8. */
  security: Buffer;
  /** `{"ip":…,"index_version":…,"enriched_at":` as UTF-8. */
  middle: Buffer;
  /** Whether the answer is stale: what follows the time. */
  stale: boolean;
  source: EnrichmentSource;
  /** Null for private and invalid addresses, which never alert. */
  record: Readonly<SecurityRecord> | null;
  ip: string;
  /** Rules whose answer conditions hold, per kind (AlertEngine.answerCandidates). */
  access: readonly number[];
  auth: readonly number[];
}

const NO_BYTES = Buffer.alloc(0);
/** What follows enriched_at's value, up to the newline. */
const END_FRESH = `${enrichmentParts({ ip: null, source: 'none', matched_network: null, index_version: '', stale: false }, '""')[1]}}\n`;
const END_STALE = `${enrichmentParts({ ip: null, source: 'none', matched_network: null, index_version: '', stale: true }, '""')[1]}}\n`;
/** Distinct security texts whose bytes are kept; an index has a few hundred, remote answers more. */
const MAX_SECURITY_TEXTS = 4096;

/** Distinct address texts (and their answers) kept from batch to batch before starting afresh. */
const MAX_REMEMBERED = 1 << 16;

const NO_RULES: readonly number[] = [];
const NO_SOURCE: AlertSource = { topic: '', partition: 0, offset: '' };
const NO_EVENT: Record<string, unknown> = {};

/**
 * Output bytes to make room for at first for a chunk of `inputBytes`: an output line is about
 * three times its input line (the security object is most of it), so that this is one
 * allocation in the common case, where growing copies the chunk's output.
 */
export function outputRoom(inputBytes: number): number {
  return 4 * inputBytes + (1 << 16);
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

function isBlank(line: string): boolean {
  return line.charCodeAt(0) !== 123 /* { */ && line.trim().length === 0;
}

function isEmptyObject(event: Record<string, unknown>): boolean {
  for (const _ in event) return false;
  return true;
}

/**
 * The start of the output line of an event that is not the common case (`{"…` up to `}`, no fields named
 * security or enrichment): white space around the object is dropped, an empty object gets no
 * comma, and fields named security or enrichment are dropped from a re-serialised event, so
 * the output never holds them twice.
 */
function unusualHead(line: string, event: Record<string, unknown>): string {
  const base = 'security' in event || 'enrichment' in event ? JSON.stringify(eventFields(event)) : isEmptyObject(event) ? '{}' : line.trim();
  return base.length === 2 ? '{' : `${base.slice(0, -1)},`;
}

/**
 * File mode's work on one chunk of whole lines, free of input order: parse and check each line,
 * enrich it, write its output line, and find which alert rules it matches. Whatever is stateful
 * (alert suppression, line numbers across chunks, the outputs) stays with the caller, so chunks
 * can be enriched in worker threads and taken back in order.
 *
 * An event's output is the UTF-8 of its own line with the closing brace replaced by its
 * client's tail: the fields stay byte for byte as they came and the event is never
 * re-serialised. A client's tail is encoded once per batch, from parts kept across batches.
 */
export class ChunkEnricher {
  private readonly enricher: Enricher;
  private readonly alerts: AlertEngine;
  private readonly kind: EventKind | undefined;
  private readonly batchSize: number;
  /**
   * Parses across batches (parsing is pure): dotted quads by their value, which is cheaper to
   * hash than the text (a quad parseIPv4 reads whole is canonical, so one value has one text),
   * anything else by its text.
   */
  private readonly quads = new Map<number, ClientIp>();
  private readonly parsed = new Map<string, ClientIp>();
  private readonly parse = (raw: string): ClientIp => {
    const quad = parseIPv4(raw);
    let client = quad >= 0 ? this.quads.get(quad) : this.parsed.get(raw);
    if (client === undefined) {
      client = parseClientIp(raw);
      if (quad >= 0) this.quads.set(quad, client);
      else this.parsed.set(raw, client);
    }
    return client;
  };
  /** Answers that hold across batches, valid for `resolvedFor`'s index and staleness. */
  private readonly resolved = new Map<ClientIp, Resolved>();
  /** `"security":<json>,"enrichment":` as UTF-8, per security JSON text. */
  private readonly securityBytes = new Map<string, Buffer>();
  private resolvedFor: { index: RangeIndex; stale: boolean } | undefined;

  constructor(options: ChunkEnricherOptions) {
    this.enricher = options.enricher;
    this.alerts = options.alerts;
    this.kind = options.kind;
    this.batchSize = options.batchSize;
  }

  /** `spare`: a buffer nothing else uses any more, which the output may be written into. */
  async enrich(bytes: Uint8Array, spare?: ArrayBuffer): Promise<ChunkResult> {
    // Chunks end at a newline (or the end of the input), which is never inside a UTF-8
    // sequence: decoding chunk by chunk reads the same characters as decoding the whole input.
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // ASCII reads the same as Latin-1, whose decoder is about three times faster than UTF-8's.
    const text = isAscii(buf) ? buf.toString('latin1') : buf.toString('utf8');
    const result: ChunkResult = { output: NO_BYTES, lineCount: 0, lines: 0, events: 0, bySource: emptyCounts(), rejects: [], matches: [] };
    const out = new OutputBytes(outputRoom(bytes.byteLength), spare);
    let at = 0;
    while (at < text.length) {
      if (this.quads.size + this.parsed.size > MAX_REMEMBERED || this.resolved.size > MAX_REMEMBERED) {
        this.quads.clear();
        this.parsed.clear();
        this.resolved.clear();
      }
      const lines: string[] = [];
      const numbers: number[] = [];
      const events: Record<string, unknown>[] = [];
      const clients: ClientIp[] = [];
      /** Each event's kept answer, or undefined until looked up below. */
      const known: (Resolved | undefined)[] = [];
      /** Clients without a kept answer, looked up below. */
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
        const r = this.resolved.get(client);
        if (r === undefined) unknown.push(client);
        known.push(r);
        lines.push(line);
        numbers.push(number);
        events.push(decoded);
        clients.push(client);
      }
      if (events.length === 0) continue;
      const transient = await this.lookUp(clients, unknown);
      this.write(lines, numbers, events, clients, known, transient, out, result);
    }
    result.output = out.take();
    return result;
  }

  /**
   * Looks up the batch's clients without a kept answer (the enricher takes each address once)
   * and adds their answers; returns the batch's time and the clients whose answers hold for
   * this batch only. When the index or its staleness changed since the kept answers were made,
   * they are dropped and every client of the batch is looked up again.
   */
  private async lookUp(clients: readonly ClientIp[], unknown: readonly ClientIp[]): Promise<{ now: number; transient: ClientIp[] }> {
    let batch = await this.enricher.lookUp(unknown);
    if (this.resolvedFor?.index !== batch.index || this.resolvedFor.stale !== batch.stale) {
      if (this.resolved.size > 0) {
        this.resolved.clear();
        batch = await this.enricher.lookUp(clients);
      }
      this.resolvedFor = { index: batch.index, stale: batch.stale };
    }
    const versionJson = JSON.stringify(batch.version);
    const transient: ClientIp[] = [];
    for (const client of this.resolved.size === 0 ? clients : unknown) {
      if (this.resolved.has(client)) continue;
      const r = this.resolve(client, batch, versionJson);
      this.resolved.set(client, r);
      if (!this.cacheable(r)) transient.push(client);
    }
    return { now: batch.now, transient };
  }

  /**
   * Index answers, and private and invalid addresses, hold for as long as the index and its
   * staleness do. Remote answers do not (the provider's cache decides `remote` or `cache` per
   * batch), nor do misses when a fallback would be asked about them.
   */
  private cacheable(r: Resolved): boolean {
    return r.source === 'index' || r.source === 'private' || r.source === 'invalid' || (r.source === 'none' && !this.enricher.hasFallback);
  }

  private write(
    lines: readonly string[],
    numbers: readonly number[],
    events: readonly Record<string, unknown>[],
    clients: readonly ClientIp[],
    known: readonly (Resolved | undefined)[],
    batch: { now: number; transient: readonly ClientIp[] },
    out: OutputBytes,
    result: ChunkResult,
  ): void {
    // The batch's time and what follows it, for fresh and for stale answers.
    const fresh = Buffer.from(`${batch.now}${END_FRESH}`, 'utf8');
    const stale = Buffer.from(`${batch.now}${END_STALE}`, 'utf8');
    const counts = result.bySource;
    for (let i = 0; i < events.length; i++) {
      const r = known[i] ?? this.resolved.get(clients[i]!)!;
      counts[r.source]++;
      const line = lines[i]!;
      const event = events[i]!;
      // The common case: `{"…}` (a parsed object whose second character is a quote starts with
      // a brace) with no fields the enrichment writes.
      if (line.charCodeAt(1) === 34 /* " */ && line.charCodeAt(line.length - 1) === 125 /* } */ && !('security' in event) && !('enrichment' in event)) {
        out.continueObject(line);
      } else {
        out.text(unusualHead(line, event));
      }
      out.bytes(r.security);
      out.bytes(r.middle);
      out.bytes(r.stale ? stale : fresh);
      if (r.record !== null && (r.access.length > 0 || r.auth.length > 0)) this.match(event, numbers[i]!, r, result);
    }
    for (const client of batch.transient) this.resolved.delete(client);
    result.events += events.length;
  }

  private resolve(client: ClientIp, batch: BatchAnswers, versionJson: string): Resolved {
    const { security, securityJson, enrichment } = answerOf(client, batch);
    const resolved: Resolved = {
      security: this.securityPart(securityJson),
      middle: Buffer.from(enrichmentParts(enrichment, versionJson)[0], 'utf8'),
      stale: enrichment.stale,
      source: enrichment.source,
      record: security,
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

  private securityPart(json: string): Buffer {
    let bytes = this.securityBytes.get(json);
    if (bytes === undefined) {
      if (this.securityBytes.size >= MAX_SECURITY_TEXTS) this.securityBytes.clear();
      bytes = Buffer.from(`"security":${json},"enrichment":`, 'utf8');
      this.securityBytes.set(json, bytes);
    }
    return bytes;
  }

  private match(event: Record<string, unknown>, line: number, r: Resolved, result: ChunkResult): void {
    const kind = this.kind ?? detectKind(event);
    const candidates = kind === 'access' ? r.access : r.auth;
    if (candidates.length === 0) return;
    const security = r.record!;
    const input: AlertInput = { event, kind, ip: r.ip, security, enrichmentSource: r.source, eventTimeMs: null, source: NO_SOURCE };
    const rules = this.alerts.matching(input, candidates);
    if (rules.length > 0) result.matches.push({ line, event, kind, ip: r.ip, security, enrichmentSource: r.source, rules });
  }
}
