import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../../src/update/redact-url.js';

describe('redactUrl', () => {
  it('hides a licence key in the query, as MaxMind download URLs carry one', () => {
    expect(redactUrl('https://download.maxmind.com/app/geoip_download?edition_id=GeoIP2-Anonymous-IP&license_key=abc123&suffix=tar.gz')).toBe(
      'https://download.maxmind.com/app/geoip_download?edition_id=GeoIP2-Anonymous-IP&license_key=***&suffix=tar.gz',
    );
    expect(redactUrl('https://feeds.example/list.txt?apiKey=s3cret&token=t')).toBe('https://feeds.example/list.txt?apiKey=***&token=***');
  });

  it('hides a password in the user info and leaves plain URLs exactly as written', () => {
    expect(redactUrl('https://user:pa55@mirror.example/aws.json')).toBe('https://user:***@mirror.example/aws.json');
    expect(redactUrl('https://ip-ranges.amazonaws.com/ip-ranges.json')).toBe('https://ip-ranges.amazonaws.com/ip-ranges.json');
    expect(redactUrl('https://check.torproject.org/torbulkexitlist?ip=1.2.3.4')).toBe('https://check.torproject.org/torbulkexitlist?ip=1.2.3.4');
  });
});
