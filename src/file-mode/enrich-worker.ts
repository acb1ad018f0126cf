/**
 * Entry of one worker thread of `iprisk enrich --workers`: opens the index its setup names,
 * says ready, then enriches each chunk it is sent and sends the result back (see worker-pool.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../errors.js';
import type { ChunkResult } from './chunk-enricher.js';
import { outputRoom } from './chunk-enricher.js';
import type { EnrichWorkerSetup } from './worker-setup.js';
import { chunkEnricherOf } from './worker-setup.js';

export interface ChunkRequest {
  id: number;
  bytes: Uint8Array;
  /** A buffer the main thread no longer uses, to write the output into. */
  spare?: ArrayBuffer;
}

/** A result may come with the request's bytes, moved back to be read into again. */
export type WorkerReply = { type: 'ready' } | { type: 'result'; id: number; result: ChunkResult; input?: Uint8Array } | { type: 'failed'; id: number; message: string };

const MIB = 1 << 20;

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('enrich-worker.js runs as a worker thread only');
  const enricher = await chunkEnricherOf(workerData as EnrichWorkerSetup);
  const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []): void => {
    port.postMessage(message, transfer);
  };
  port.on('message', (request: ChunkRequest) => {
    // Rounded up to whole MiB, so that a buffer given back after one chunk's output fits the next chunk's.
    const spare = request.spare ?? new ArrayBuffer(Math.ceil(outputRoom(request.bytes.byteLength) / MIB) * MIB);
    enricher.enrich(request.bytes, spare).then(
      (result) => {
        // The output's buffer is its own (ChunkResult.output): moved, not copied.
        reply({ type: 'result', id: request.id, result, input: request.bytes }, [result.output.buffer as ArrayBuffer, request.bytes.buffer as ArrayBuffer]);
      },
      (err: unknown) => {
        reply({ type: 'failed', id: request.id, message: errorMessage(err) });
      },
    );
  });
  reply({ type: 'ready' });
}

// A start-up failure (an unreadable index) becomes the worker's 'error' event in the pool.
await main();
