import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { IpriskError, errorMessage } from '../errors.js';
import type { ChunkAlloc } from './line-chunks.js';
import { lineChunks, readChunks } from './line-chunks.js';

export interface OpenedInput {
  /** Label used in summaries, rejects and alert provenance: the path, or "stdin". */
  label: string;
  /** The input's chunks of whole lines (see lineChunks). */
  chunks(target: number, alloc?: ChunkAlloc): AsyncGenerator<Buffer>;
  /** Compressed or plain bytes read so far, for progress; total when known. */
  bytesRead: () => number;
  totalBytes: number | undefined;
}

const GZIP_MAGIC = [0x1f, 0x8b];

async function startsWithGzipMagic(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  } finally {
    await handle.close();
  }
}

/** Opens a JSONL input: a file (gzip detected by its magic bytes, whatever its name) or "-". */
export async function openInput(name: string, stdin: Readable = process.stdin): Promise<OpenedInput> {
  if (name === '-') {
    let read = 0;
    stdin.on('data', (chunk: Buffer | string) => (read += chunk.length));
    return { label: 'stdin', chunks: (target, alloc) => lineChunks(stdin, target, alloc), bytesRead: () => read, totalBytes: undefined };
  }
  let gzip: boolean;
  let size: number;
  try {
    const handle = await open(name, 'r');
    size = (await handle.stat()).size;
    await handle.close();
    gzip = await startsWithGzipMagic(name);
  } catch (err) {
    throw new IpriskError('INPUT_UNREADABLE', `cannot read input ${name}: ${errorMessage(err)}`, { cause: err });
  }
  if (!gzip) return plainFile(name, size);
  const raw = createReadStream(name, { highWaterMark: 1 << 20 });
  const stream = raw.pipe(createGunzip());
  raw.on('error', (err) => stream.destroy(err));
  return { label: name, chunks: (target, alloc) => lineChunks(stream, target, alloc), bytesRead: () => raw.bytesRead, totalBytes: size };
}

/** A plain file, read straight into the chunk buffers. */
function plainFile(name: string, size: number): OpenedInput {
  let read = 0;
  async function* chunks(target: number, alloc?: ChunkAlloc): AsyncGenerator<Buffer> {
    const handle = await open(name, 'r');
    try {
      yield* readChunks(async (into, offset, length) => {
        const n = (await handle.read(into, offset, length, null)).bytesRead;
        read += n;
        return n;
      }, target, alloc);
    } finally {
      await handle.close();
    }
  }
  return { label: name, chunks, bytesRead: () => read, totalBytes: size };
}

export interface OpenedOutput {
  /** `written` is called once the output no longer reads `data` (not after a failure). */
  write(data: string | Uint8Array, written?: () => void): Promise<void>;
  close(): Promise<void>;
}

/** Opens an output: a file (gzip when its name ends in .gz) or stdout. Honours backpressure. */
export function openOutput(name: string | undefined, stdout: Writable = process.stdout): OpenedOutput {
  let sink: Writable;
  let file: Writable | undefined;
  if (name === undefined || name === '-') {
    sink = stdout;
  } else {
    file = createWriteStream(name);
    sink = name.endsWith('.gz') ? createGzip() : file;
    if (sink !== file) sink.pipe(file);
  }
  const failure: { error?: Error } = {};
  const remember = (err: Error): void => {
    failure.error ??= err;
  };
  const rethrow = (): void => {
    if (failure.error) throw failure.error;
  };
  sink.on('error', remember);
  file?.on('error', remember);
  return {
    async write(data: string | Uint8Array, written?: () => void): Promise<void> {
      rethrow();
      const flowing = written === undefined ? sink.write(data) : sink.write(data, (err) => {
        if (!err) written();
      });
      if (!flowing) await once(sink, 'drain');
    },
    async close(): Promise<void> {
      rethrow();
      if (!file) return;
      sink.end();
      await once(file, 'close');
      rethrow();
    },
  };
}
