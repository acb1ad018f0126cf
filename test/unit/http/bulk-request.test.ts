import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/http/api-error.js';
import { nestingDepth, parseBulkBody } from '../../../src/http/bulk-request.js';

function rejection(text: string, max = 50_000): ApiError {
  try {
    parseBulkBody(text, max);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error(`expected ${text.slice(0, 40)} to be rejected`);
}

describe('parseBulkBody', () => {
  it('returns the ips as sent, non-strings included', () => {
    expect(parseBulkBody('{"ips":["1.1.1.1",2,null]}', 10)).toEqual(['1.1.1.1', 2, null]);
  });

  it('keeps the last of duplicate ips keys, as JSON.parse does', () => {
    expect(parseBulkBody('{"ips":["1.1.1.1"],"ips":["2.56.188.34"]}', 10)).toEqual(['2.56.188.34']);
  });

  it.each([
    ['', 'empty'],
    ['   \n', 'empty'],
    ['{"ips":', 'not valid JSON'],
    ['["1.1.1.1"]', 'got an array'],
    ['"1.1.1.1"', 'got a string'],
    ['null', 'got null'],
    ['{}', 'no "ips" field'],
    ['{"ip":["1.1.1.1"]}', 'no "ips" field'],
    ['{"ips":"1.1.1.1"}', '"ips" must be an array'],
    ['{"ips":{"0":"1.1.1.1"}}', 'got an object'],
    ['{"ips":[]}', '"ips" is empty'],
  ])('answers %j with a 400 saying %s', (text, words) => {
    const error = rejection(text);
    expect(error.status).toBe(400);
    expect(error.message).toContain(words);
  });

  it('refuses more entries than allowed, naming both counts', () => {
    const error = rejection(JSON.stringify({ ips: ['1.1.1.1', '1.1.1.2', '1.1.1.3'] }), 2);
    expect(error.message).toBe('"ips" holds 3 entries: at most 2 IP addresses are allowed per request.');
  });

  it('refuses deep nesting before parsing it', () => {
    const deep = `{"ips":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect(rejection(deep).message).toContain('more than 32 levels');
  });
});

describe('nestingDepth', () => {
  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(nestingDepth('{"ips":["[[[\\"{{{"]}', 100)).toBe(2);
    expect(nestingDepth('[[[]]]', 100)).toBe(3);
    expect(nestingDepth('[[[[[[', 3)).toBe(4);
  });
});
