import type { Readable } from 'node:stream';

export interface Line {
  /** 1-based line number in its file. */
  number: number;
  text: string;
}

/**
 * Splits a text stream into lines in batches, handling "\r\n", a last line without newline and
 * lines split across chunks. Measurably faster than node:readline for millions of short lines,
 * which matters because file mode is measured against bare JSON parse + stringify.
 */
export async function* readLineBatches(input: Readable, batchSize: number): AsyncGenerator<Line[]> {
  input.setEncoding('utf8');
  let carry = '';
  let number = 0;
  let batch: Line[] = [];
  for await (const chunk of input as AsyncIterable<string>) {
    const text = carry.length > 0 ? carry + chunk : chunk;
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      batch.push({ number: ++number, text: text.slice(start, end) });
      start = nl + 1;
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    carry = start < text.length ? text.slice(start) : '';
  }
  if (carry.length > 0) {
    const end = carry.charCodeAt(carry.length - 1) === 13 ? carry.length - 1 : carry.length;
    batch.push({ number: number + 1, text: carry.slice(0, end) });
  }
  if (batch.length > 0) yield batch;
}
