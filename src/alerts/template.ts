import type { FieldRef } from './fields.js';
import { parseFieldRef } from './fields.js';

/** A summary template split once into literal text and field references. */
export type TemplatePart = string | FieldRef;

export interface ParsedTemplate {
  parts: TemplatePart[];
  problems: string[];
}

/**
 * `{path}` inserts a field (same namespaces as conditions); `{{` and `}}` are literal braces.
 * Every bad placeholder is reported, not only the first, so a config is fixed in one pass.
 */
export function parseTemplate(text: string): ParsedTemplate {
  const parts: TemplatePart[] = [];
  const problems: string[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (ch === '{' && text[i + 1] === '{') {
      literal += '{';
      i += 2;
    } else if (ch === '}' && text[i + 1] === '}') {
      literal += '}';
      i += 2;
    } else if (ch === '{') {
      const close = text.indexOf('}', i + 1);
      if (close === -1) {
        problems.push(`unclosed '{' at character ${i + 1} of the summary`);
        break;
      }
      const inner = text.slice(i + 1, close);
      const parsed = parseFieldRef(inner);
      if (parsed.ok) {
        if (literal !== '') parts.push(literal);
        literal = '';
        parts.push(parsed.ref);
      } else {
        problems.push(`unknown placeholder {${inner}}: ${parsed.message}`);
      }
      i = close + 1;
    } else {
      literal += ch;
      i += 1;
    }
  }
  if (literal !== '') parts.push(literal);
  return { parts, problems };
}
