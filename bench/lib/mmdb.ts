import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { wordsToBigInt } from '../../src/ip/address.js';
import type { Network } from '../../src/ip/network.js';
import { formatNetwork, rangeToCidrsV4, rangeToCidrsV6 } from '../../src/ip/network.js';
import { payloadSha256 } from '../../src/range-index/snapshot.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import type { SegmentArrays, SnapshotData } from '../../src/range-index/types.js';
import { cacheDir } from './cache.js';

const WRITER_DIR = path.join(PACKAGE_ROOT, 'bench', 'mmdb-writer');
const WRITER_FILES = ['go.mod', 'go.sum', 'main.go'];

export interface BuiltMmdb {
  file: string;
  bytes: number;
  /** True when the file came from the cache. */
  cached: boolean;
}

function sha256(...parts: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** Buffered ASCII writes to a file descriptor: millions of short lines without building strings. */
class LineSink {
  private readonly buf = Buffer.allocUnsafe(4 << 20);
  private at = 0;

  constructor(private readonly fd: number) {}

  write(line: string): void {
    if (this.at + line.length * 3 > this.buf.length) this.flush();
    this.at += this.buf.write(line, this.at, 'utf8');
  }

  flush(): void {
    let done = 0;
    while (done < this.at) done += writeSync(this.fd, this.buf, done, this.at - done);
    this.at = 0;
  }
}

/**
 * Writes the JSONL the Go writer reads (its main.go documents the format): every range of the
 * index that holds an answer, as the fewest CIDRs covering it exactly, with the entry's
 * `security` object. Each record is written once and then named by its entry id.
 */
export function exportForMmdb(data: SnapshotData, file: string): number {
  const fd = openSync(file, 'w');
  try {
    const sink = new LineSink(fd);
    const defined = new Set<number>();
    let networks = 0;
    const emit = (net: Network, id: number): void => {
      const network = formatNetwork(net);
      if (defined.has(id)) sink.write(`{"network":"${network}","record_id":${id}}\n`);
      else {
        defined.add(id);
        sink.write(`{"network":"${network}","record_id":${id},"record":${JSON.stringify(data.entries[id]!.security)}}\n`);
      }
      networks++;
    };
    forEachRangeV4(data.v4, (first, last, id) => {
      for (const net of rangeToCidrsV4(first, last)) emit(net, id);
    });
    forEachRangeV6(data.v6, (first, last, id) => {
      for (const net of rangeToCidrsV6(first, last)) emit(net, id);
    });
    sink.flush();
    return networks;
  } finally {
    closeSync(fd);
  }
}

/** Calls `visit(first, last, entryId)` for every IPv4 segment holding an answer. */
function forEachRangeV4(seg: SegmentArrays, visit: (first: number, last: number, id: number) => void): void {
  const n = seg.entryIds.length;
  for (let i = 0; i < n; i++) {
    const id = seg.entryIds[i]!;
    if (id < 0) continue;
    const end = i + 1 < n ? seg.starts[i + 1]! : 2 ** 32;
    visit(seg.starts[i]!, end - 1, id);
  }
}

/** The same for IPv6, whose starts take four words each. */
function forEachRangeV6(seg: SegmentArrays, visit: (first: bigint, last: bigint, id: number) => void): void {
  const n = seg.entryIds.length;
  const startOf = (i: number): bigint => wordsToBigInt(Array.from(seg.starts.subarray(i * 4, i * 4 + 4)));
  for (let i = 0; i < n; i++) {
    const id = seg.entryIds[i]!;
    if (id < 0) continue;
    const end = i + 1 < n ? startOf(i + 1) : 1n << 128n;
    visit(startOf(i), end - 1n, id);
  }
}

function writerSourceHash(): string {
  return sha256(...WRITER_FILES.flatMap((f) => [f, readFileSync(path.join(WRITER_DIR, f))]));
}

/** Builds bench/mmdb-writer once per source version into the cache folder. */
function writerBinary(log: (line: string) => void): string {
  const bin = path.join(cacheDir('bin'), `mmdb-writer-${writerSourceHash().slice(0, 16)}`);
  if (existsSync(bin)) return bin;
  log(`building the MMDB writer (Go, github.com/maxmind/mmdbwriter) into ${bin}`);
  const tmp = `${bin}.${process.pid}.tmp`;
  const result = spawnSync('go', ['build', '-trimpath', '-o', tmp, '.'], {
    cwd: WRITER_DIR,
    encoding: 'utf8',
    // A toolchain download is not possible here: build with the Go that is installed.
    env: { ...process.env, GOTOOLCHAIN: 'local' },
  });
  if (result.error) {
    throw new Error(`cannot run 'go' to build ${WRITER_DIR}: ${result.error.message}. The MMDB baseline needs Go (see bench/README.md).`);
  }
  if (result.status !== 0) throw new Error(`go build in ${WRITER_DIR} failed:\n${result.stderr}`);
  renameSync(tmp, bin);
  return bin;
}

/**
 * The code that decides what goes into the MMDB: this module (the export) and the CIDR split it
 * uses. Hashed into the cache key with the index's own content digest, so a warm run finds its
 * file without exporting millions of lines first.
 */
function exporterHash(): string {
  const here = fileURLToPath(import.meta.url);
  const network = fileURLToPath(new URL('../../src/ip/network.js', import.meta.url));
  return sha256(readFileSync(here), readFileSync(network));
}

/**
 * An MMDB holding exactly the index's ranges and answers. Cached by content: the key covers the
 * index's payload digest (segments and entries), the export code and the writer's source.
 */
export function buildMmdb(data: SnapshotData, label: string, log: (line: string) => void): BuiltMmdb {
  const key = sha256(writerSourceHash(), exporterHash(), payloadSha256(data)).slice(0, 32);
  const file = path.join(cacheDir('mmdb'), `${label}-${key}.mmdb`);
  if (existsSync(file)) return { file, bytes: statSync(file).size, cached: true };

  const bin = writerBinary(log);
  const jsonl = path.join(cacheDir('mmdb'), `.${label}-${key}.${process.pid}.jsonl`);
  try {
    const networks = exportForMmdb(data, jsonl);
    log(`writing the ${label} MMDB: ${networks.toLocaleString('en-US')} networks (cached afterwards by content hash)`);
    const result = spawnSync(bin, ['-in', jsonl, '-out', file], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (result.error) throw new Error(`cannot run ${bin}: ${result.error.message}`);
    if (result.status !== 0) throw new Error(`the MMDB writer failed for ${label}:\n${result.stderr}`);
  } finally {
    rmSync(jsonl, { force: true });
  }
  return { file, bytes: statSync(file).size, cached: false };
}
