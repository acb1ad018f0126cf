/** What the bench process and a consumer process (sut-child.ts) say to each other over IPC. */
/** `iprisk-eos`: iprisk with `kafka.exactly_once`, each batch's outputs and offsets in one transaction. */
export type Side = 'iprisk' | 'iprisk-eos' | 'passthrough';

/** Both iprisk sides write Avro (subjects in the registry), alerts and dead letters. */
export function isIprisk(side: Side): boolean {
  return side !== 'passthrough';
}

/** Everything a consumer process needs: its side, the cluster and its topics. */
export interface SutArgs {
  side: Side;
  brokers: string[];
  registryUrl: string;
  /** Snapshot of the real-feed index (iprisk only). */
  snapshot: string;
  input: string;
  output: string;
  alerts: string;
  dlq: string;
  group: string;
}

/** iprisk's own account of a run, from its /metrics: where the batches spent their time. */
export interface StageSeconds {
  decode: number;
  enrich: number;
  encode: number;
  produceCommit: number;
  batches: number;
  events: number;
  alerts: number;
  dlq: number;
}

export type ChildMessage =
  | { type: 'ready'; atMs: number; startupMs: number }
  | { type: 'stopped'; cpuMs: number; stages: StageSeconds | undefined }
  | { type: 'failed'; message: string };

export type ParentMessage = { type: 'stop' };
