import { IpriskError } from '../errors.js';
import { parseClientIp } from '../ip/client-ip.js';
import type { RangeIndex } from '../range-index/types.js';
import type { SecurityRecord } from '../security/record.js';
import { copySecurity, emptySecurity } from '../security/record.js';
import { retroAlertId } from './alert-id.js';
import type { CompiledRule } from './compile.js';
import { compileEventPath, compileRules } from './compile.js';
import type { EventKind } from './fields.js';
import type { RememberedEvent, SeenAddress } from './retro-memory.js';
import { MAX_RETRO_RULES, NO_EVENTS, SeenAddresses, eventFor } from './retro-memory.js';
import type { RetroConfig, RuleConfig } from './rules-schema.js';
import type { Alert, AlertInput } from './types.js';

/** The part of an enriched event the memory reads: structurally an `EnrichedEvent`. */
export interface ObservedEvent {
  readonly event: Record<string, unknown>;
  readonly kind: EventKind;
  readonly security: Readonly<SecurityRecord> | null;
  readonly enrichment: { readonly ip: string | null; readonly source: string };
}

/** The memory's size and what it forgot since the last report, for metrics. */
export interface RetroStats {
  remembered: number;
  evictedCapacity: number;
  expired: number;
}

export interface RetroDeps {
  /** Epoch milliseconds: lookback and recency go by it. */
  clock: () => number;
  /** Called after each observed batch and each evaluation. */
  onStats?: (stats: RetroStats) => void;
}

/** A copied event value stays short: attacker-controlled fields must not grow the memory. */
const MAX_KEPT_CHARS = 256;
const MAX_KEPT_ITEMS = 16;

function keep(value: unknown): unknown {
  if (value === undefined || value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.length > MAX_KEPT_CHARS ? value.slice(0, MAX_KEPT_CHARS) : value;
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.slice(0, MAX_KEPT_ITEMS).map(keep);
  return keep(JSON.stringify(value));
}

function iso(secs: number): string {
  return Number.isFinite(secs) ? new Date(secs * 1000).toISOString() : '-';
}

interface Pending {
  first: number;
  last: number;
  count: number;
  /** Per rule, the index in the batch of the latest event meeting its event conditions, or -1. */
  eventAt: number[];
  security: Readonly<SecurityRecord>;
  source: string;
}

/**
 * Retro-alerts: remembers the public addresses `run` looked up in the last `lookback_secs`
 * and, when the index is swapped, finds those that now match a rule they did not match before.
 *
 * A rule's conditions split in two: those on the event (its kind and `event.*` fields) and
 * those on the answer (`security.*`, `ip`, `enrichment.source`). Per address and rule the
 * memory keeps the latest event that met the event side (only the fields the rules read) and
 * whether the rule matched with the answer given then. After a swap, a rule newly matches an
 * address when some remembered event met its event side, the new index's answer meets its
 * answer side, and it had not matched before; the alert then carries the new answer and is
 * rendered against that remembered event.
 */
export class RetroAlerts {
  private readonly rules: readonly CompiledRule[];
  private readonly byKind: Readonly<Record<EventKind, readonly number[]>>;
  /** The event paths any rule reads, once each; a remembered event keeps these values in this order. */
  private readonly paths: readonly string[];
  private readonly readers: readonly ((event: unknown) => unknown)[];
  private readonly memory: SeenAddresses;
  private readonly onStats: (stats: RetroStats) => void;
  private forgotten = { capacity: 0, expired: 0 };
  /** Reused for every event's event-side test: that test reads only `event` and `kind`. */
  private readonly probe: AlertInput = {
    event: {},
    kind: 'access',
    ip: '',
    security: emptySecurity(),
    enrichmentSource: 'none',
    eventTimeMs: null,
    source: { topic: '', partition: 0, offset: '' },
  };

  constructor(rules: readonly RuleConfig[], config: RetroConfig, deps: RetroDeps) {
    if (rules.length > MAX_RETRO_RULES) {
      throw new IpriskError('RULE_INVALID', `retro-alerts follow at most ${MAX_RETRO_RULES} rules; alerts.rules has ${rules.length}`);
    }
    this.rules = compileRules(rules);
    const indices = this.rules.map((_, i) => i);
    this.byKind = {
      access: indices.filter((i) => this.rules[i]!.kinds.has('access')),
      auth: indices.filter((i) => this.rules[i]!.kinds.has('auth')),
    };
    const paths = new Map<string, readonly string[]>();
    for (const rule of this.rules) for (const p of rule.eventPaths) paths.set(p.join('.'), p);
    this.paths = [...paths.keys()];
    this.readers = [...paths.values()].map((segments) => compileEventPath(segments));
    this.memory = new SeenAddresses({
      maxAddresses: config.max_addresses,
      lookbackSecs: config.lookback_secs,
      rules: this.rules.length,
      clock: deps.clock,
      onForget: (reason) => {
        this.forgotten[reason]++;
      },
    });
    this.onStats = deps.onStats ?? (() => undefined);
  }

  /** Addresses remembered now. */
  get size(): number {
    return this.memory.size;
  }

  /** What is remembered of one address, if anything. */
  seen(ip: string): SeenAddress | undefined {
    return this.memory.get(ip);
  }

  /**
   * Records one batch: `timesMs[i]` is the time of `events[i]` (its own, else its record's) and
   * `offsets[i]` where it was read. Work per event is the rules' event-side tests; the memory is
   * touched once per address of the batch.
   */
  observe(source: { topic: string; partition: number }, events: readonly ObservedEvent[], timesMs: readonly number[], offsets: readonly string[]): void {
    const pending = new Map<string, Pending>();
    const probe = this.probe;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const ip = e.enrichment.ip;
      if (e.security === null || ip === null) continue;
      const t = timesMs[i] ?? Number.NaN;
      let p = pending.get(ip);
      if (p === undefined) {
        p = { first: t, last: t, count: 0, eventAt: new Array<number>(this.rules.length).fill(-1), security: e.security, source: e.enrichment.source };
        pending.set(ip, p);
      }
      p.count++;
      if (t < p.first) p.first = t;
      if (t > p.last) p.last = t;
      probe.event = e.event;
      probe.kind = e.kind;
      for (const r of this.byKind[e.kind]) if (this.rules[r]!.matchesEvent(probe)) p.eventAt[r] = i;
    }
    const kept = new Map<number, RememberedEvent>();
    const remember = (i: number): RememberedEvent => {
      let event = kept.get(i);
      if (event === undefined) {
        const e = events[i]!;
        event = {
          kind: e.kind,
          topic: source.topic,
          partition: source.partition,
          offset: offsets[i] ?? '',
          timeMs: timesMs[i] ?? Number.NaN,
          fields: this.readers.map((read) => keep(read(e.event))),
        };
        kept.set(i, event);
      }
      return event;
    };
    for (const [ip, p] of pending) {
      probe.ip = ip;
      probe.security = p.security;
      probe.enrichmentSource = p.source;
      let eventMask = 0;
      let matchedMask = 0;
      let only = -1;
      let same = true;
      for (let r = 0; r < p.eventAt.length; r++) {
        const at = p.eventAt[r]!;
        if (at < 0) continue;
        eventMask |= 1 << r;
        if (this.rules[r]!.matchesAnswer(probe)) matchedMask |= 1 << r;
        if (only < 0) only = at;
        else if (only !== at) same = false;
      }
      this.memory.record({
        ip,
        firstSeenSecs: Math.floor(p.first / 1000),
        lastSeenSecs: Math.floor(p.last / 1000),
        count: p.count,
        touchedSecs: 0,
        eventMask,
        matchedMask,
        events: same ? (only < 0 ? NO_EVENTS : remember(only)) : p.eventAt.map((at) => (at < 0 ? undefined : remember(at))),
      });
    }
    this.memory.expire();
    this.report();
  }

  /**
   * The retro-alerts a swap to `index` gives: one per remembered address and rule that the new
   * index's answer makes match where it did not before. Addresses the new index has no answer
   * for are left alone (the remote providers are not asked again). A rule that fires is marked
   * matched, so a later swap does not repeat it.
   */
  evaluate(index: Pick<RangeIndex, 'version' | 'matchV4' | 'matchV6'>): Alert[] {
    const alerts: Alert[] = [];
    for (const seen of this.memory.current()) {
      const candidates = seen.eventMask & ~seen.matchedMask;
      if (candidates === 0) continue;
      const client = parseClientIp(seen.ip);
      if (client.kind !== 'public') continue;
      const match = client.family === 4 ? index.matchV4(client.v4) : index.matchV6(client.words);
      if (match === undefined) continue;
      for (let r = 0; r < this.rules.length; r++) {
        if ((candidates & (1 << r)) === 0) continue;
        const event = eventFor(seen, r);
        if (event === undefined) continue;
        const rule = this.rules[r]!;
        const input: AlertInput = {
          event: this.eventOf(event),
          kind: event.kind,
          ip: seen.ip,
          security: match.entry.security,
          enrichmentSource: 'index',
          eventTimeMs: Number.isFinite(event.timeMs) ? event.timeMs : null,
          source: { topic: event.topic, partition: event.partition, offset: event.offset },
        };
        if (!rule.matchesAnswer(input)) continue;
        seen.matchedMask |= 1 << r;
        alerts.push(this.build(rule, input, seen, index.version));
      }
    }
    this.report();
    return alerts;
  }

  /** The remembered fields as an event: each path as one literal key, which event paths read first. */
  private eventOf(event: RememberedEvent): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.paths.forEach((p, i) => {
      const value = event.fields[i];
      if (value !== undefined) out[p] = value;
    });
    return out;
  }

  private build(rule: CompiledRule, input: AlertInput, seen: SeenAddress, version: string): Alert {
    const events = seen.count === 1 ? '1 event' : `${seen.count} events`;
    return {
      alert_id: retroAlertId(rule.id, seen.ip, version),
      rule: `retro:${rule.id}`,
      severity: rule.severity,
      summary: `${rule.summary(input)} (retro, index ${version}: ${events} from ${seen.ip}, first seen ${iso(seen.firstSeenSecs)}, last seen ${iso(seen.lastSeenSecs)})`,
      ip: seen.ip,
      threat_score: input.security.threat_score,
      event_kind: input.kind,
      event_time: input.eventTimeMs,
      source: input.source,
      security: copySecurity(input.security),
      suppressed_count: 0,
    };
  }

  private report(): void {
    this.onStats({ remembered: this.memory.size, evictedCapacity: this.forgotten.capacity, expired: this.forgotten.expired });
    this.forgotten = { capacity: 0, expired: 0 };
  }
}
