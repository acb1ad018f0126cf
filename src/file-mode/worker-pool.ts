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

  private constructor(workers: PoolWorker[]) {
    this.workers = workers;
  }

  /** Starts `count` workers and waits until each has opened its index. */
  static async start(count: number, setup: EnrichWorkerSetup, script = workerScript()): Promise<WorkerPool> {
    const workers: PoolWorker[] = [];
    const ready: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const worker = new PoolWorker(i + 1, new Worker(script, { workerData: setup }));
      workers.push(worker);
      ready.push(WorkerPool.wire(worker));
    }
    const pool = new WorkerPool(workers);
    try {
      await Promise.all(ready);
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  /** Routes a worker's replies; resolves once it is ready, rejects if it fails before. */
  private static wire(worker: PoolWorker): Promise<void> {
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
   * Enriches one chunk on the least busy worker. A chunk that is a whole buffer of its own (as
   * lineChunks gives) is moved to the worker, and unusable here afterwards; any other is copied.
   */
  run(bytes: Uint8Array): Promise<ChunkResult> {
    if (this.closing) return Promise.reject(new Error('the worker pool is closed'));
    let worker = this.workers[0]!;
    for (const w of this.workers) if (w.pending.size < worker.pending.size) worker = w;
    if (worker.failure) return Promise.reject(worker.failure);
    const id = this.nextId++;
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? bytes : new Uint8Array(bytes);
    return new Promise((resolve, reject) => {
      worker.pending.set(id, { resolve, reject });
      const request: ChunkRequest = { id, bytes: own };
      worker.thread.postMessage(request, [own.buffer as ArrayBuffer]);
    });
  }

  /** Stops every worker; chunks still in hand are rejected. */
  async close(): Promise<void> {
    this.closing = true;
    for (const w of this.workers) w.fail(new Error('the worker pool was closed'));
    await Promise.all(this.workers.map((w) => w.thread.terminate()));
  }
}
