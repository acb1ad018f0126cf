/** Fields tried in order; the first one present decides (`event.created`: nested ECS or a literal key). */
const TIME_FIELDS = ['timestamp', '@timestamp', 'time', 'ts'] as const;

/*
 * Epoch numbers are told apart by magnitude. Below 1e11 the value is seconds (1e11 s is the
 * year 5138, 1e11 ms is 1973); up to 1e14 milliseconds; up to 1e17 microseconds; above that
 * nanoseconds (Go and OpenTelemetry loggers write those).
 */
const SECONDS_BELOW = 1e11;
const MILLIS_BELOW = 1e14;
const MICROS_BELOW = 1e17;

const EPOCH_TEXT = /^\d+(?:\.\d+)?$/;

// 2000-10-10, 2000-10-10T13:55:36, 2000-10-10 13:55:36.123456+02:00, ...Z
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

// Apache / nginx common log format: 10/Oct/2000:13:55:36 -0700, optionally in brackets.
const CLF = /^\[?(\d{1,2})\/([A-Za-z]{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\s+([+-]\d{2}):?(\d{2}))?\]?$/;

const MONTHS: Readonly<Record<string, number>> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};

function fromEpoch(value: number): number | null {
  // 0 and negatives are the "unset" values of many loggers, not the 1970 they would mean.
  if (!Number.isFinite(value) || value <= 0) return null;
  if (value < SECONDS_BELOW) return Math.round(value * 1000);
  if (value < MILLIS_BELOW) return Math.round(value);
  if (value < MICROS_BELOW) return Math.round(value / 1e3);
  return Math.round(value / 1e6);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/** Date.UTC silently rolls 31 Feb over into March, and reads years 0 to 99 as 1900 to 1999: such dates are refused. */
function utcMillis(year: number, month: number, day: number, hour: number, minute: number, second: number): number | null {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return null;
  if (year < 100 || day > daysInMonth(year, month)) return null;
  // A leap second is held at :59.999 rather than rejected.
  return Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59)) + (second === 60 ? 999 : 0);
}

function offsetMillis(sign: string, hours: string, minutes: string): number | null {
  const h = Number(hours);
  const m = Number(minutes);
  if (h > 23 || m > 59) return null;
  return (sign === '-' ? -1 : 1) * (h * 60 + m) * 60_000;
}

/** The two-digit number at `i`, or NaN. */
function twoDigits(text: string, i: number): number {
  const a = text.charCodeAt(i) - 48;
  const b = text.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : Number.NaN;
}

/**
 * 2000-10-10T13:55:36Z with an optional fraction, the form nearly every logger writes
 * (toISOString's), read without the regular expression: the same answer as parseIso, or
 * undefined when the text has another form. Several times faster, and every event is timed.
 */
function parseIsoUtc(text: string): number | null | undefined {
  const n = text.length;
  const zone = text.charCodeAt(n - 1);
  if (n < 20 || (zone !== 90 && zone !== 122) || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) {
    return undefined;
  }
  const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  if (Number.isNaN(year + month + day + hour + minute + second)) return undefined;
  let millis = 0;
  if (n > 20) {
    const separator = text.charCodeAt(19);
    if ((separator !== 46 && separator !== 44) || n === 21) return undefined;
    for (let i = 20; i < n - 1; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return undefined;
      // Milliseconds are the first three digits; later ones are cut, as parseIso cuts them.
      if (i < 23) millis += d * 10 ** (22 - i);
    }
  }
  const base = utcMillis(year, month, day, hour, minute, second);
  return base === null ? null : base + millis;
}

function parseIso(text: string): number | null {
  const fast = parseIsoUtc(text);
  if (fast !== undefined) return fast;
  const m = ISO_8601.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const base = utcMillis(Number(y), Number(mo), Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0));
  if (base === null) return null;
  const millis = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  // Without a zone the time is taken as UTC: log pipelines rarely mean the reader's local time.
  let offset = 0;
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    const parsed = offsetMillis(zone.charAt(0), digits.slice(0, 2), digits.slice(2) || '0');
    if (parsed === null) return null;
    offset = parsed;
  }
  return base + millis - offset;
}

function parseClf(text: string): number | null {
  const m = CLF.exec(text);
  if (!m) return null;
  const [, d, mon, y, h, mi, s, zh, zm] = m;
  const month = MONTHS[(mon ?? '').toLowerCase()];
  if (month === undefined) return null;
  const base = utcMillis(Number(y), month, Number(d), Number(h), Number(mi), Number(s));
  if (base === null) return null;
  if (zh === undefined || zm === undefined) return base;
  const offset = offsetMillis(zh.charAt(0), zh.slice(1), zm);
  return offset === null ? null : base - offset;
}

/** Epoch milliseconds of one time value, or null when it is not a time iprisk can read. */
export function parseEventTime(value: unknown): number | null {
  if (typeof value === 'number') return fromEpoch(value);
  if (typeof value === 'bigint') return fromEpoch(Number(value));
  // Avro `timestamp-millis` decodes to a Date when logical types are registered.
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isNaN(ms) ? null : ms;
  }
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (EPOCH_TEXT.test(text)) return fromEpoch(Number(text));
  return parseIso(text) ?? parseClf(text);
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function eventCreated(event: Record<string, unknown>): unknown {
  if (Object.hasOwn(event, 'event.created')) return event['event.created'];
  const nested = Object.hasOwn(event, 'event') ? event.event : undefined;
  if (nested !== null && typeof nested === 'object' && Object.hasOwn(nested, 'created')) {
    return (nested as Record<string, unknown>).created;
  }
  return undefined;
}

/**
 * The event's own time: the first present of `timestamp`, `@timestamp`, `time`, `ts`,
 * `event.created`. ISO 8601, epoch seconds / milliseconds (numbers or digit strings) and the
 * common log format are read; anything else, or no such field, is null.
 */
export function eventTimeMs(event: Record<string, unknown>): number | null {
  for (const field of TIME_FIELDS) {
    if (Object.hasOwn(event, field) && present(event[field])) return parseEventTime(event[field]);
  }
  const created = eventCreated(event);
  return present(created) ? parseEventTime(created) : null;
}
