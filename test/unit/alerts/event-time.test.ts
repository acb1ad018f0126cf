import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventTimeMs, parseEventTime } from '../../../src/alerts/event-time.js';
import { params } from '../../helpers/property.js';

// 2000-10-10T20:55:36Z, the instant of Apache's documentation example 10/Oct/2000:13:55:36 -0700.
const APACHE_EXAMPLE = Date.UTC(2000, 9, 10, 20, 55, 36);

describe('parseEventTime', () => {
  it('reads ISO 8601 with Z, offsets, fractions and a space separator', () => {
    expect(parseEventTime('2000-10-10T20:55:36Z')).toBe(APACHE_EXAMPLE);
    expect(parseEventTime('2000-10-10T13:55:36-07:00')).toBe(APACHE_EXAMPLE);
    expect(parseEventTime('2000-10-10T22:55:36+0200')).toBe(APACHE_EXAMPLE);
    expect(parseEventTime('2000-10-10T22:55:36+02')).toBe(APACHE_EXAMPLE);
    expect(parseEventTime('2000-10-10 20:55:36.123456Z')).toBe(APACHE_EXAMPLE + 123);
    expect(parseEventTime('2000-10-10T20:55:36.5Z')).toBe(APACHE_EXAMPLE + 500);
    expect(parseEventTime('2000-10-10T20:55Z')).toBe(APACHE_EXAMPLE - 36_000);
  });

  it('takes an ISO time without a zone as UTC, and a bare date as its midnight', () => {
    expect(parseEventTime('2000-10-10T20:55:36')).toBe(APACHE_EXAMPLE);
    expect(parseEventTime('2000-10-10')).toBe(Date.UTC(2000, 9, 10));
  });

  it('reads the Apache and nginx common log time, with or without brackets', () => {
    expect(parseEventTime('10/Oct/2000:13:55:36 -0700')).toBe(APACHE_EXAMPLE);
    expect(parseEventTime('[10/Oct/2000:13:55:36 -0700]')).toBe(APACHE_EXAMPLE);
    expect(parseEventTime('10/Oct/2000:20:55:36 +0000')).toBe(APACHE_EXAMPLE);
    expect(parseEventTime('01/Jan/2026:00:00:00 +0100')).toBe(Date.UTC(2025, 11, 31, 23));
  });

  it('tells epoch seconds from milliseconds, microseconds and nanoseconds by magnitude', () => {
    const seconds = APACHE_EXAMPLE / 1000;
    expect(parseEventTime(seconds)).toBe(APACHE_EXAMPLE);
    expect(parseEventTime(seconds + 0.25)).toBe(APACHE_EXAMPLE + 250);
    expect(parseEventTime(APACHE_EXAMPLE)).toBe(APACHE_EXAMPLE);
    expect(parseEventTime(APACHE_EXAMPLE * 1000)).toBe(APACHE_EXAMPLE);
    expect(parseEventTime(BigInt(APACHE_EXAMPLE) * 1_000_000n)).toBe(APACHE_EXAMPLE);
    expect(parseEventTime(String(seconds))).toBe(APACHE_EXAMPLE);
    expect(parseEventTime(String(APACHE_EXAMPLE))).toBe(APACHE_EXAMPLE);
    expect(parseEventTime(new Date(APACHE_EXAMPLE))).toBe(APACHE_EXAMPLE);
  });

  it('answers null for what is not a time', () => {
    for (const value of [
      'yesterday',
      '',
      '2000-13-01T00:00:00Z',
      '2001-02-29',
      '2000-10-10T25:00:00Z',
      '2000-10-10T20:55:36+25:00',
      '32/Oct/2000:13:55:36 -0700',
      '10/Foo/2000:13:55:36 -0700',
      'Tue, 10 Oct 2000 13:55:36 GMT',
      0,
      -5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      true,
      { at: 1 },
      new Date(Number.NaN),
    ]) {
      expect(parseEventTime(value), JSON.stringify(value)).toBeNull();
    }
  });
});

describe('eventTimeMs', () => {
  it('reads timestamp, @timestamp, time, ts and event.created, the first present deciding', () => {
    expect(eventTimeMs({ timestamp: APACHE_EXAMPLE })).toBe(APACHE_EXAMPLE);
    expect(eventTimeMs({ '@timestamp': '2000-10-10T20:55:36Z' })).toBe(APACHE_EXAMPLE);
    expect(eventTimeMs({ time: '10/Oct/2000:13:55:36 -0700' })).toBe(APACHE_EXAMPLE);
    expect(eventTimeMs({ ts: APACHE_EXAMPLE / 1000 })).toBe(APACHE_EXAMPLE);
    expect(eventTimeMs({ event: { created: '2000-10-10T20:55:36Z' } })).toBe(APACHE_EXAMPLE);
    expect(eventTimeMs({ 'event.created': '2000-10-10T20:55:36Z' })).toBe(APACHE_EXAMPLE);
    expect(eventTimeMs({ ts: 1000, timestamp: APACHE_EXAMPLE })).toBe(APACHE_EXAMPLE);
    expect(eventTimeMs({ timestamp: null, time: APACHE_EXAMPLE })).toBe(APACHE_EXAMPLE);
  });

  it('answers null when no time field is present or the first present one is unreadable', () => {
    expect(eventTimeMs({})).toBeNull();
    expect(eventTimeMs({ event: 'login' })).toBeNull();
    expect(eventTimeMs({ timestamp: 'soon', ts: APACHE_EXAMPLE })).toBeNull();
  });
});

describe('parseEventTime on the form toISOString writes', () => {
  // The same reading the ISO 8601 grammar gives, field by field: UTC, the fraction cut to milliseconds.
  const reference = (y: number, mo: number, d: number, h: number, mi: number, s: number, fraction: string): number | null => {
    const ms = Date.UTC(y, mo - 1, d, h, mi, s);
    const back = new Date(ms);
    if (y < 100 || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
    return ms + Number(fraction.slice(0, 3).padEnd(3, '0'));
  };
  const pad = (v: number, width: number): string => String(v).padStart(width, '0');

  it('reads every date-time with Z or z and 0 to 9 fraction digits as the grammar does, invalid days and hours included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 24 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 59 }),
        fc.stringMatching(/^[0-9]{0,9}$/),
        fc.constantFrom('Z', 'z'),
        fc.constantFrom('.', ','),
        (y, mo, d, h, mi, s, fraction, zone, separator) => {
          const text = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${fraction === '' ? '' : `${separator}${fraction}`}${zone}`;
          expect(parseEventTime(text), text).toBe(reference(y, mo, d, h, mi, s, fraction));
        },
      ),
      params(45, 2000),
    );
  });

  it('knows 29 February of leap years only, in every form', () => {
    expect(parseEventTime('2000-02-29T00:00:00Z')).toBe(Date.UTC(2000, 1, 29));
    expect(parseEventTime('2004-02-29 12:00:00')).toBe(Date.UTC(2004, 1, 29, 12));
    expect(parseEventTime('29/Feb/2000:00:00:00 +0000')).toBe(Date.UTC(2000, 1, 29));
    for (const text of ['1900-02-29T00:00:00Z', '2100-02-29', '29/Feb/2001:00:00:00 +0000', '0099-01-01T00:00:00Z']) expect(parseEventTime(text), text).toBeNull();
  });

  it('answers null for near misses of the form', () => {
    for (const text of ['2000-10-10T20:55:36.Z', '2000-10-10T20:55:3xZ', '2000-1a-10T20:55:36Z', '2000-10-10T20:55:36.12a4Z', '2000-10-10T20:55:36+Z']) {
      expect(parseEventTime(text), text).toBeNull();
    }
  });
});
