import { describe, expect, it } from 'vitest';
import { eventTimeMs, parseEventTime } from '../../../src/alerts/event-time.js';

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
