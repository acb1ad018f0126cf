import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/http/api-error.js';
import { forbiddenCharacterError, outputFormat, readParams, splitUrl } from '../../../src/http/params.js';

describe('splitUrl', () => {
  it('separates path and query without reading // as a host', () => {
    const { path, query } = splitUrl('//v3/security?ip=1.1.1.1#frag');
    expect(path).toBe('//v3/security');
    expect(query.get('ip')).toBe('1.1.1.1');
  });

  it('takes the path of an absolute-form target', () => {
    expect(splitUrl('http://127.0.0.1:8080/v3/security?apiKey=k').path).toBe('/v3/security');
  });
});

describe('outputFormat', () => {
  it('follows output=, then an Accept header asking for XML only', () => {
    expect(outputFormat(new URLSearchParams('output=xml'), undefined)).toBe('xml');
    expect(outputFormat(new URLSearchParams('output=JSON'), 'application/xml')).toBe('json');
    expect(outputFormat(new URLSearchParams(''), 'text/xml')).toBe('xml');
    expect(outputFormat(new URLSearchParams(''), 'application/json, application/xml')).toBe('json');
    expect(outputFormat(new URLSearchParams(''), undefined)).toBe('json');
  });

  it('answers an unknown output value with a 400 naming it', () => {
    const result = outputFormat(new URLSearchParams('output=csv'), undefined);
    expect(result).toBeInstanceOf(ApiError);
    expect((result as ApiError).status).toBe(400);
    expect((result as ApiError).message).toContain("'csv'");
  });
});

describe('forbiddenCharacterError', () => {
  it.each(['(', ')', '[', ']', '{', '}', '|', '^', '`'])('rejects %s in a value, naming the parameter', (c) => {
    const error = forbiddenCharacterError(new URLSearchParams({ ip: `1${c}1` }));
    expect(error?.status).toBe(400);
    expect(error?.message).toContain("'ip'");
    expect(error?.message).toContain(`'${c}'`);
  });

  it('rejects one in a parameter name and accepts ordinary URLs', () => {
    expect(forbiddenCharacterError(new URLSearchParams('ip[]=1.1.1.1'))?.message).toContain('name');
    expect(forbiddenCharacterError(new URLSearchParams('apiKey=abc-123&ip=2606:4700::1&fields=security.is_vpn'))).toBeUndefined();
  });
});

describe('readParams', () => {
  it('treats an empty ip as absent and joins repeated fields', () => {
    const params = readParams(new URLSearchParams('apiKey=k&ip=&fields=security.is_vpn&fields=security.is_tor'));
    expect(params).toEqual({ apiKey: 'k', ip: undefined, fields: 'security.is_vpn,security.is_tor', excludes: undefined });
  });
});
