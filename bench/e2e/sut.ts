/** The bench side of sut-child.ts: fork a consumer process, wait until it is ready, stop it. */
import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ParentMessage, StageSeconds, SutArgs } from './protocol.js';

const CHILD = fileURLToPath(new URL('./sut-child.js', import.meta.url));
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 45_000;

/**
 * Node flags for the consumer processes, from BENCH_E2E_NODE_ARGS (space-separated), e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/e2e-prof` to see where a side spends its time;
 * BENCH_E2E_PROFILE_SIDE=iprisk|iprisk-eos|passthrough limits them to one side.
 */
function childExecArgv(side: SutArgs['side']): string[] {
  const only = process.env.BENCH_E2E_PROFILE_SIDE;
  if (only !== undefined && only !== '' && only !== side) return [];
  return (process.env.BENCH_E2E_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
}

export interface Stopped {
  /** CPU time of the consumer process from ready to the stop request. */
  cpuMs: number;
  stages: StageSeconds | undefined;
  /** The process's exit code (null when a signal ended it). */
  exitCode: number | null;
}

export class SutProcess {
  private stderr = '';
  private readonly messages: ChildMessage[] = [];
  private waiter: (() => void) | undefined;
  private exited = false;
  private readonly exit: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly args: SutArgs,
  ) {
    child.stderr?.on('data', (chunk: Buffer) => {
      // Only the tail matters: it is shown when the process fails.
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-8000);
    });
    child.on('message', (message: ChildMessage) => {
      this.messages.push(message);
      this.waiter?.();
    });
    this.exit = new Promise((resolve) => {
      child.once('exit', (code) => {
        this.exited = true;
        this.waiter?.();
        resolve(code);
      });
    });
  }

  /** Forks the consumer and resolves once it has joined its group and started fetching. */
  static async start(args: SutArgs): Promise<{ sut: SutProcess; readyAtMs: number; startupMs: number }> {
    const child = fork(CHILD, [JSON.stringify(args)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: childExecArgv(args.side) });
    const sut = new SutProcess(child, args);
    const ready = await sut.next('ready', READY_TIMEOUT_MS);
    return { sut, readyAtMs: ready.atMs, startupMs: ready.startupMs };
  }

  private async next<T extends ChildMessage['type']>(type: T, timeoutMs: number): Promise<Extract<ChildMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const failed = this.messages.find((m) => m.type === 'failed');
      if (failed) throw new Error(`the ${this.args.side} process failed: ${failed.message}`);
      const found = this.messages.find((m): m is Extract<ChildMessage, { type: T }> => m.type === type);
      if (found) return found;
      if (this.exited) throw new Error(`the ${this.args.side} process exited before '${type}'; its stderr ends:\n${this.stderr.trimEnd()}`);
      const left = deadline - Date.now();
      if (left <= 0) {
        await this.kill();
        throw new Error(`the ${this.args.side} process sent no '${type}' within ${timeoutMs} ms; its stderr ends:\n${this.stderr.trimEnd()}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** Asks the consumer to stop (finishing its batch in flight) and waits for its exit. */
  async stop(): Promise<Stopped> {
    const message: ParentMessage = { type: 'stop' };
    this.child.send(message);
    const stopped = await this.next('stopped', STOP_TIMEOUT_MS);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const exitCode = await this.exit;
    clearTimeout(timer);
    return { cpuMs: stopped.cpuMs, stages: stopped.stages, exitCode };
  }

  /** The consumer process's id, for sampling its memory. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** For clean-up after a failure: ends the process this bench started. */
  async kill(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGKILL');
    await this.exit;
  }
}
