/** A text feed's lines, 0-based (line number = index + 1). Tolerates a UTF-8 BOM and CRLF. */
export function textLines(data: Buffer): string[] {
  let text = data.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text.split(/\r?\n/);
}

/** Comment styles seen in real lists: `#` (FireHOL, most lists), `;` (Spamhaus), `//`. */
export function isCommentLine(trimmed: string): boolean {
  return trimmed.startsWith('#') || trimmed.startsWith(';') || trimmed.startsWith('//');
}
