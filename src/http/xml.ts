/**
 * XML renderings of API answers (output=xml). One element per field, in field order; lists as
 * a wrapper holding one element per item, named by the wrapper minus its plural `s`:
 *
 *   <response><ip>2.56.188.34</ip><security><threat_score>80</threat_score>...
 *     <proxy_provider_names><proxy_provider_name>Zyte Proxy</proxy_provider_name></proxy_provider_names>...
 *
 * Errors are <response><message>...</message></response>; a bulk answer wraps one
 * <response> per entry in <responses>.
 */

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** Characters XML 1.0 cannot carry even escaped (controls, lone surrogates, U+FFFE/FFFF). */
const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const SPECIAL = /[&<>"']/g;
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD').replace(SPECIAL, (c) => ENTITIES[c]!);
}

/** Element names come from field names; anything else is made a safe name. */
function elementName(key: string): string {
  const name = key.replace(/[^A-Za-z0-9_.-]/g, '_');
  return /^[A-Za-z_]/.test(name) ? name : `_${name}`;
}

function itemName(listName: string): string {
  return listName.length > 1 && listName.endsWith('s') ? listName.slice(0, -1) : 'item';
}

/** One value as the content of element `name`. */
export function xmlElement(name: string, value: unknown): string {
  const tag = elementName(name);
  if (Array.isArray(value)) {
    const item = itemName(tag);
    return `<${tag}>${value.map((v) => xmlElement(item, v)).join('')}</${tag}>`;
  }
  if (value !== null && typeof value === 'object') {
    const inner = Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => xmlElement(k, v))
      .join('');
    return `<${tag}>${inner}</${tag}>`;
  }
  if (value === null || value === undefined) return `<${tag}/>`;
  const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
  return `<${tag}>${escapeXml(text)}</${tag}>`;
}

/** A whole single-answer (or error) document. */
export function xmlDocument(body: object): string {
  return `${XML_DECLARATION}${xmlElement('response', body)}\n`;
}
