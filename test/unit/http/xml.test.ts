import { describe, expect, it } from 'vitest';
import { escapeXml, xmlDocument, xmlElement } from '../../../src/http/xml.js';

describe('XML rendering', () => {
  it('escapes markup and replaces characters XML cannot carry', () => {
    expect(escapeXml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
    expect(escapeXml('bell\u0007 nul\u0000 lone\uD800 ok\u00e9\u{1F600}')).toBe('bell\uFFFD nul\uFFFD lone\uFFFD ok\u00e9\u{1F600}');
  });

  it('renders lists as one element per item named after the list', () => {
    expect(xmlElement('proxy_provider_names', ['Zyte Proxy', 'A&B'])).toBe(
      '<proxy_provider_names><proxy_provider_name>Zyte Proxy</proxy_provider_name><proxy_provider_name>A&amp;B</proxy_provider_name></proxy_provider_names>',
    );
    expect(xmlElement('vpn_provider_names', [])).toBe('<vpn_provider_names></vpn_provider_names>');
  });

  it('renders objects, booleans, numbers and empty strings in field order', () => {
    expect(xmlElement('security', { threat_score: 0, is_tor: false, relay_provider_name: '' })).toBe(
      '<security><threat_score>0</threat_score><is_tor>false</is_tor><relay_provider_name></relay_provider_name></security>',
    );
  });

  it('wraps a document in a declaration and a response element', () => {
    expect(xmlDocument({ message: 'x' })).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<response><message>x</message></response>\n');
  });
});
