import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { IpriskError, errorMessage } from '../errors.js';
import { PACKAGE_ROOT } from '../paths.js';
import type { ChunkResult } from './chunk-enricher.js';
import type { ChunkRequest, WorkerReply } from './enrich-worker.js';
import type { EnrichWorkerSetup } from './worker-setup.js';

/** The compiled worker entry; under the test runner this module is TypeScript, the worker is not. */
function workerScript(): string {
  const here = fileURLToPath(import.meta.url);
  const sibling = path.join(path.dirname(here), 'enrich-worker.js');
  return here.endsWith('.js') && existsSync(sibling) ? sibling : path.join(PACKAGE_ROOT, 'dist', 'src', 'file-mode', 'enrich-worker.js');
}

interface Pending {
  resolve: (result: ChunkResult) => void;
  reject: (err: Error) => void;
}

class PoolWorker {
  readonly pending = new Map<number, Pending>();
  failure: Error | undefined;

  constructor(
    readonly number: number,
    readonly thread: Worker,
  ) {}

  fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }
}

/**
 * Worker threads that enrich chunks of lines (ChunkEnricher), each from the same setup. A chunk
 * goes to the worker with the fewest chunks in hand; results come back as promises, which the
 * caller takes in input order. A worker that fails or exits rejects every chunk it holds and
 * every later one: lines are never dropped silently.
 */
export class WorkerPool {
  private readonly workers: PoolWorker[];
  private nextId = 0;
  private closing = false;
  /**
   * Buffers moved back and forth instead of new ones per chunk: each new one is memory outside
   * the heap, whose growth makes both threads collect their heaps far more often.
   */
  private readonly inputs: ArrayBuffer[] = [];
  private readonly outputs: ArrayBuffer[] = [];
  private readonly lent = new WeakSet<ArrayBufferLike>();

  private constructor(workers: PoolWorker[]) {
    this.workers = workers;
  }

  /** Buffers kept of each kind: about as many as there are chunks under way. */
  private get keep(): number {
    return 2 * this.workers.length + 2;
  }

  /** Starts `count` workers and waits until each has opened its index. */
  static async start(count: number, setup: EnrichWorkerSetup, script = workerScript()): Promise<WorkerPool> {
    const workers: PoolWorker[] = [];
    const ready: Promise<void>[] = [];
    const pool = new WorkerPool(workers);
    for (let i = 0; i < count; i++) {
      const worker = new PoolWorker(i + 1, new Worker(script, { workerData: setup }));
      workers.push(worker);
      ready.push(WorkerPool.wire(pool, worker));
    }
    try {
      await Promise.all(ready);
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  /** Routes a worker's replies; resolves once it is ready, rejects if it fails before. */
  private static wire(pool: WorkerPool, worker: PoolWorker): Promise<void> {
    return new Promise((resolve, reject) => {
      const failed = (err: Error): void => {
        worker.fail(err);
        reject(err);
      };
      worker.thread.on('message', (reply: WorkerReply) => {
        if (reply.type === 'ready') {
          resolve();
          return;
        }
        if (reply.type === 'result' && reply.input !== undefined) pool.keepInput(reply.input.buffer);
        const pending = worker.pending.get(reply.id);
        if (pending === undefined) return;
        worker.pending.delete(reply.id);
        if (reply.type === 'result') pending.resolve(reply.result);
        else pending.reject(new IpriskError('WORKER_FAILED', `enrich worker ${worker.number} failed: ${reply.message}`));
      });
      worker.thread.on('error', (err: Error) => {
        failed(new IpriskError('WORKER_FAILED', `enrich worker ${worker.number} failed: ${errorMessage(err)}`, { cause: err }));
      });
      worker.thread.on('exit', (code: number) => {
        failed(new IpriskError('WORKER_FAILED', `enrich worker ${worker.number} exited (code ${code}) with ${worker.pending.size} chunk(s) in hand`));
      });
    });
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * A buffer of its own of at least `length` bytes to read a chunk into (lineChunks' alloc): one
   * a worker gave back, or a new one. A chunk at the start of it is moved to a worker by run.
   */
  readonly alloc = (length: number): Buffer => {
    const kept = this.inputs.findIndex((b) => b.byteLength >= length);
    // New ones a little longer than asked, so that they fit later chunks of about the same size.
    const buf = kept >= 0 ? Buffer.from(this.inputs.splice(kept, 1)[0]!) : Buffer.allocUnsafeSlow(length + (length >> 4));
    this.lent.add(buf.buffer);
    return buf;
  };

  /** Takes back the buffer of a chunk's output (ChunkResult.output) once nothing reads it any more. */
  readonly recycle = (output: Uint8Array): void => {
    if (output.buffer instanceof ArrayBuffer && output.buffer.byteLength > 0 && this.outputs.length < this.keep) this.outputs.push(output.buffer);
  };

  private keepInput(buffer: ArrayBufferLike): void {
    if (buffer instanceof ArrayBuffer && this.inputs.length < this.keep) this.inputs.push(buffer);
  }

  /**
   * Enriches one chunk on the least busy worker. A chunk that is a whole buffer of its own, or
   * starts one from alloc (as lineChunks gives), is moved to the worker, and unusable here
   * afterwards; any other is copied.
   */
  run(bytes: Uint8Array): Promise<ChunkResult> {
    if (this.closing) return Promise.reject(new Error('the worker pool is closed'));
    let worker = this.workers[0]!;
    for (const w of this.workers) if (w.pending.size < worker.pending.size) worker = w;
    if (worker.failure) return Promise.reject(worker.failure);
    const id = this.nextId++;
    const whole = bytes.byteOffset === 0 && (bytes.byteLength === bytes.buffer.byteLength || this.lent.has(bytes.buffer));
    const own = whole && bytes.buffer instanceof ArrayBuffer ? bytes : new Uint8Array(bytes);
    this.lent.delete(own.buffer);
    const spare = this.outputs.pop();
    return new Promise((resolve, reject) => {
      worker.pending.set(id, { resolve, reject });
      const request: ChunkRequest = spare === undefined ? { id, bytes: own } : { id, bytes: own, spare };
      worker.thread.postMessage(request, spare === undefined ? [own.buffer as ArrayBuffer] : [own.buffer as ArrayBuffer, spare]);
    });
  }

  /** Stops every worker; chunks still in hand are rejected. */
  async close(): Promise<void> {
    this.closing = true;
    for (const w of this.workers) w.fail(new Error('the worker pool was closed'));
    await Promise.all(this.workers.map((w) => w.thread.terminate()));
  }
}
