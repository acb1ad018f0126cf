import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { readLineBatches } from '../../../src/file-mode/line-reader.js';

async function collect(chunks: (string | Buffer)[], batchSize = 2): Promise<{ number: number; text: string }[][]> {
  const out = [];
  for await (const batch of readLineBatches(Readable.from(chunks), batchSize)) out.push(batch);
  return out;
}

describe('splitting a stream into numbered lines', () => {
  it('numbers lines from 1 and batches them', async () => {
    const batches = await collect(['a\nb\nc\n'], 2);
    expect(batches).toEqual([
      [{ number: 1, text: 'a' }, { number: 2, text: 'b' }],
      [{ number: 3, text: 'c' }],
    ]);
  });

  it('joins lines split across chunks, handles CRLF and a last line without newline', async () => {
    const lines = (await collect(['{"a":', '1}\r\n{"b"', ':2}\r', '\nlast'], 10)).flat();
    expect(lines.map((l) => l.text)).toEqual(['{"a":1}', '{"b":2}', 'last']);
  });

  it('keeps multi-byte characters split across chunk boundaries', async () => {
    const bytes = Buffer.from('{"u":"Zürich ☃"}\n', 'utf8');
    const lines = (await collect([bytes.subarray(0, 9), bytes.subarray(9, 15), bytes.subarray(15)])).flat();
    expect(lines[0]?.text).toBe('{"u":"Zürich ☃"}');
  });

  it('keeps empty lines so line numbers stay true', async () => {
    const lines = (await collect(['a\n\nb\n'], 10)).flat();
    expect(lines).toEqual([{ number: 1, text: 'a' }, { number: 2, text: '' }, { number: 3, text: 'b' }]);
  });
});
