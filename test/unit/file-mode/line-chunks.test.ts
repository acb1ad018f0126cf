import { describe, expect, it } from 'vitest';
import type { ReadInto } from '../../../src/file-mode/line-chunks.js';
import { readChunks } from '../../../src/file-mode/line-chunks.js';

/** Reads `text` at most `step` bytes a call, as a file read may return fewer bytes than asked. */
function reader(text: string, step: number): ReadInto {
  const bytes = Buffer.from(text, 'utf8');
  let at = 0;
  return (into, offset, length) => {
    const n = bytes.copy(into, offset, at, at + Math.min(length, step));
    at += n;
    return Promise.resolve(n);
  };
}

async function collect(text: string, target: number, step = 1 << 20): Promise<string[]> {
  const out: string[] = [];
  // Buffers with stale bytes in them, as reused ones have: a chunk must not show them.
  const alloc = (length: number): Buffer => Buffer.alloc(length + 3, 'x');
  for await (const chunk of readChunks(reader(text, step), target, alloc)) out.push(chunk.toString('utf8'));
  return out;
}

describe('reading a file straight into chunks of whole lines', () => {
  it('cuts after the last newline within the target and carries the rest to the next chunk', async () => {
    expect(await collect('aa\nbb\ncc\ndd\n', 7)).toEqual(['aa\nbb\n', 'cc\ndd\n']);
    expect(await collect('aa\nbb\ncc\ndd\n', 7, 2)).toEqual(['aa\nbb\n', 'cc\ndd\n']);
  });

  it('keeps a last line without a newline, and gives nothing for an empty input', async () => {
    expect(await collect('a\nb', 64)).toEqual(['a\nb']);
    expect(await collect('a\nbcdefgh', 4)).toEqual(['a\n', 'bcdefgh']);
    expect(await collect('', 4)).toEqual([]);
  });

  it('keeps a line longer than the target whole in one chunk', async () => {
    const long = `${'z'.repeat(50)}\n`;
    const chunks = await collect(`a\n${long}b\n`, 4, 3);
    expect(chunks[0]).toBe('a\n');
    expect(chunks.filter((c) => c.includes(long))).toHaveLength(1);
    expect(chunks.join('')).toBe(`a\n${long}b\n`);
  });

  it('gives every byte once, in order, whatever the read and target sizes', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => `{"n":${i},"pad":"${'é'.repeat(i % 17)}"}\n`).join('');
    for (const [target, step] of [[1, 1], [16, 5], [100, 1000], [4096, 7]] as const) {
      const chunks = await collect(lines, target, step);
      expect(chunks.join('')).toBe(lines);
      for (const c of chunks) expect(c.endsWith('\n')).toBe(true);
    }
  });
});
