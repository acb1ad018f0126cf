import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSnapshot } from '../src/range-index/snapshot.js';
import type { SnapshotData } from '../src/range-index/types.js';
import type { LoadReport } from './snapshot-child.js';

const CHILD = fileURLToPath(new URL('./snapshot-child.js', import.meta.url));

export interface SnapshotFigures {
  ranges: number;
  snapshotBytes: number;
  mmdbBytes: number;
  iprisk: LoadReport;
  maxmind: LoadReport;
}

function runChild(kind: 'iprisk' | 'maxmind', file: string, loads: number): LoadReport {
  const result = spawnSync(process.execPath, ['--expose-gc', CHILD, kind, file, String(loads)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (result.error) throw new Error(`cannot start the ${kind} load process: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`the ${kind} load process failed (exit ${result.status}):\n${result.stderr}`);
  return JSON.parse(result.stdout) as LoadReport;
}

/** Writes the index as a snapshot into `dir` and loads it, and the same ranges as an MMDB, in fresh processes. */
export async function measureSnapshot(data: SnapshotData, mmdb: { file: string; bytes: number }, dir: string, loads: number): Promise<SnapshotFigures> {
  const file = path.join(dir, 'synthetic.snap');
  const { bytes } = await writeSnapshot(file, data);
  return {
    ranges: data.stats.rangesV4 + data.stats.rangesV6,
    snapshotBytes: bytes,
    mmdbBytes: mmdb.bytes,
    iprisk: runChild('iprisk', file, loads),
    maxmind: runChild('maxmind', mmdb.file, loads),
  };
}
