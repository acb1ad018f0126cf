import { truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultWorkers } from '../../../src/cli/enrich.js';
import { CHUNK_BYTES } from '../../../src/file-mode/line-chunks.js';
import { tempDir } from '../../helpers/temp-dir.js';

const dir = tempDir('iprisk-default-workers-');

function fileOf(name: string, bytes: number): string {
  const file = path.join(dir, name);
  writeFileSync(file, '');
  truncateSync(file, bytes);
  return file;
}

describe('the default number of enrich workers', () => {
  const cores = os.availableParallelism();

  it('is one thread when the named files together hold less than one chunk', () => {
    expect(defaultWorkers([fileOf('a.jsonl', 1000), fileOf('b.jsonl', CHUNK_BYTES - 1001)])).toBe(1);
  });

  it('is the available cores once the named files hold a chunk or more', () => {
    expect(defaultWorkers([fileOf('c.jsonl', CHUNK_BYTES / 2), fileOf('d.jsonl', CHUNK_BYTES / 2)])).toBe(cores);
  });

  it('is the available cores for standard input, whose size is not known', () => {
    expect(defaultWorkers([])).toBe(cores);
    expect(defaultWorkers([fileOf('e.jsonl', 10), '-'])).toBe(cores);
  });

  it('leaves a file it cannot read to fail later, naming it', () => {
    expect(defaultWorkers([path.join(dir, 'missing.jsonl')])).toBe(cores);
  });
});
