import { LRUCache } from 'lru-cache';
import { copySecurity } from '../security/record.js';
import { alertId } from './alert-id.js';
import type { CompiledRule } from './compile.js';
import { compileRules } from './compile.js';
import type { EventKind } from './fields.js';
import type { AlertsConfig, Severity } from './rules-schema.js';
import type { Alert, AlertInput } from './types.js';

export interface AlertEngineDeps {
  /** Epoch milliseconds; used for suppression when an event carries no time of its own. */
  clock: () => number;
}

export interface RuleCounters {
  rule: string;
  severity: Severity;
  emitted: number;
  suppressed: number;
}

interface SuppressionState {
  lastEmittedMs: number;
  suppressed: number;
  /** Where the event that opened the window sits, and the count its alert carried. */
  origin: string;
  originCarried: number;
}

function originOf(input: AlertInput): string {
  return `${input.source.topic}\u0000${input.source.partition}\u0000${input.source.offset}`;
}

interface RuleSlot {
  /** Position in the configured rule list. */
  readonly position: number;
  readonly rule: CompiledRule;
  emitted: number;
  suppressed: number;
}

/**
 * Matches enriched events against the compiled rules and suppresses repeats: per (rule, ip),
 * the first match of a window emits, later matches inside the window are only counted, and
 * the next alert after the window carries that count. Time is the event's own when it has one
 * (so a replay suppresses as the live run did), else the clock.
 */
export class AlertEngine {
  readonly enabled: boolean;
  private readonly slots: readonly RuleSlot[];
  private readonly byKind: Readonly<Record<EventKind, readonly RuleSlot[]>>;
  private readonly windowMs: number;
  private readonly clock: () => number;
  private readonly tracked: LRUCache<string, SuppressionState>;

  constructor(config: AlertsConfig, deps: AlertEngineDeps) {
    this.enabled = config.enabled;
    this.slots = compileRules(config.rules).map((rule, position) => ({ position, rule, emitted: 0, suppressed: 0 }));
    const active = this.enabled ? this.slots : [];
    this.byKind = {
      access: active.filter((s) => s.rule.kinds.has('access')),
      auth: active.filter((s) => s.rule.kinds.has('auth')),
    };
    this.windowMs = config.suppression_window_secs * 1000;
    this.clock = deps.clock;
    this.tracked = new LRUCache({ max: config.max_tracked_keys });
  }

  evaluate(input: AlertInput): Alert[] {
    const alerts: Alert[] = [];
    for (const slot of this.byKind[input.kind]) {
      if (!slot.rule.matches(input)) continue;
      const alert = this.decide(slot, input);
      if (alert !== null) alerts.push(alert);
    }
    return alerts;
  }

  /**
   * evaluate in two halves, for callers that match in one place (a worker thread) and admit in
   * another, in input order. This half is stateless: the positions of the rules `input` matches,
   * in rule order. `candidates`, from answerCandidates for the same answer, skips the rules
   * whose answer conditions fail.
   */
  matching(input: AlertInput, candidates: readonly number[] = this.answerCandidates(input)): number[] {
    const matched: number[] = [];
    for (const position of candidates) if (this.slots[position]!.rule.matchesEvent(input)) matched.push(position);
    return matched;
  }

  /**
   * Stateless: the positions of the rules for input.kind whose conditions on the answer
   * (security, ip, enrichment.source) hold; input.event is not read. Empty for most
   * answers, which lets a caller skip the event conditions of every event with that answer.
   */
  answerCandidates(input: AlertInput): number[] {
    const positions: number[] = [];
    for (const slot of this.byKind[input.kind]) if (slot.rule.matchesAnswer(input)) positions.push(slot.position);
    return positions;
  }

  /** The stateful half: suppression and counting for a rule `matching` gave; null when suppressed. */
  admit(position: number, input: AlertInput): Alert | null {
    const slot = this.slots[position];
    if (slot === undefined) throw new Error(`no alert rule at position ${position}`);
    return this.decide(slot, input);
  }

  private decide(slot: RuleSlot, input: AlertInput): Alert | null {
    const suppressedBefore = this.suppression(slot.rule.id, input);
    if (suppressedBefore === null) {
      slot.suppressed += 1;
      return null;
    }
    slot.emitted += 1;
    return this.build(slot.rule, input, suppressedBefore);
  }

  /** Cumulative per-rule counts, in rule order, for metrics. */
  counters(): RuleCounters[] {
    return this.slots.map((s) => ({ rule: s.rule.id, severity: s.rule.severity, emitted: s.emitted, suppressed: s.suppressed }));
  }

  /** (rule, ip) keys currently remembered for suppression; never above max_tracked_keys. */
  get trackedKeys(): number {
    return this.tracked.size;
  }

  /** Null: suppress. Otherwise emit, carrying the number of matches suppressed since the last alert. */
  private suppression(ruleId: string, input: AlertInput): number | null {
    if (this.windowMs === 0) return 0;
    const now = input.eventTimeMs ?? this.clock();
    const key = `${ruleId}\u0000${input.ip}`;
    const state = this.tracked.get(key);
    const origin = originOf(input);
    if (state === undefined) {
      this.tracked.set(key, { lastEmittedMs: now, suppressed: 0, origin, originCarried: 0 });
      return 0;
    }
    // The very event whose alert opened the window, delivered again: its batch failed after the
    // alert was built (a produce error, an aborted transaction), so that alert may never have
    // reached the broker. It is emitted again with the same id and count; consumers deduplicate
    // on the id, while suppressing it here would lose it.
    if (state.origin === origin) return state.originCarried;
    // Distance, not difference: a late event within the window is suppressed, while one a whole
    // window away on either side starts a new window, so one event with a skewed clock far in
    // the future cannot silence its (rule, ip) until eviction.
    if (Math.abs(now - state.lastEmittedMs) < this.windowMs) {
      state.suppressed += 1;
      return null;
    }
    const carried = state.suppressed;
    state.lastEmittedMs = now;
    state.suppressed = 0;
    state.origin = origin;
    state.originCarried = carried;
    return carried;
  }

  private build(rule: CompiledRule, input: AlertInput, suppressedCount: number): Alert {
    return {
      alert_id: alertId(input.source, rule.id),
      rule: rule.id,
      severity: rule.severity,
      summary: rule.summary(input),
      ip: input.ip,
      threat_score: input.security.threat_score,
      event_kind: input.kind,
      event_time: input.eventTimeMs,
      source: { topic: input.source.topic, partition: input.source.partition, offset: input.source.offset },
      security: copySecurity(input.security),
      suppressed_count: suppressedCount,
    };
  }
}
