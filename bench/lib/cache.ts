import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Built artefacts that are slow to make and fully determined by their inputs (the MMDB writer
 * binary, MMDB files) live outside the repository, named by a hash of those inputs, so a warm
 * rerun skips them. IPRISK_BENCH_CACHE moves the folder.
 */
export function cacheDir(...parts: string[]): string {
  const root = process.env.IPRISK_BENCH_CACHE ?? path.join(os.homedir(), '.cache', 'iprisk', 'bench');
  const dir = path.join(root, ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}
