import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildIndex } from '../../../src/range-index/build.js';
import { writeSnapshot } from '../../../src/range-index/snapshot.js';
import { iprisk } from '../../helpers/cli.js';
import { sourceOf } from '../../helpers/build-index.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { canonical } from './harness.js';
import { SEED_34 } from '../../helpers/seed-answers.js';
import { childEnv } from '../../helpers/env.js';

type LogLine = Record<string, unknown> & { msg?: string };

/** The real `iprisk serve` in a child process, its JSON log lines (stderr) read as they come. */
class ServeProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  private readonly waiters: { test: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  readonly exited: Promise<number | null>;

  constructor(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'iprisk.js'), 'serve', ...args], {
      cwd: REPO_ROOT,
      env: childEnv(env),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', resolve));
    createInterface({ input: this.child.stderr! }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text };
      }
      this.lines.push(line);
      for (const w of [...this.waiters]) {
        if (w.test(line)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    });
  }

  /** The first log line (past or future) with this message, within `timeoutMs`. */
  waitFor(msg: string, timeoutMs = 20_000): Promise<LogLine> {
    const seen = this.lines.find((l) => l.msg === msg);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no '${msg}' log line within ${timeoutMs} ms; got:\n${this.lines.map((l) => JSON.stringify(l)).join('\n')}`));
      }, timeoutMs);
      this.waiters.push({
        test: (l) => l.msg === msg,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

describe('iprisk serve, the command', () => {
  let dir = '';
  let running: ServeProcess | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'iprisk-serve-cli-'));
  });
  afterEach(async () => {
    running?.stop();
    running = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the bundled sample index, logs its URL as one JSON line, and exits 0 on SIGTERM', async () => {
    running = new ServeProcess(['--port', '0', '--api-key', 'API_KEY']);
    const listening = await running.waitFor('iprisk serve listening');
    expect(listening.url).toBe(`http://127.0.0.1:${String(listening.port)}`);
    expect(listening.index_version).toBe('sample');
    expect(JSON.stringify(running.lines)).not.toContain('"API_KEY"');

    const res = await fetch(`${String(listening.url)}/v3/security?apiKey=API_KEY&ip=2.56.188.34`);
    expect(res.status).toBe(200);
    expect(canonical(await res.text())).toBe(JSON.stringify(SEED_34));

    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    expect(running.lines.some((l) => l.msg === 'iprisk serve stopped')).toBe(true);
  });

  it('reloads a changed --index snapshot without a restart, with keys from IPRISK_API_KEYS', async () => {
    const file = path.join(dir, 'index.snap');
    await writeSnapshot(file, buildIndex([sourceOf('relay', [['203.0.114.0/24', { is_relay: true, relay_provider_name: 'First Relay' }]])], { version: 'first' }));
    running = new ServeProcess(['--port', '0', '--index', file], { IPRISK_API_KEYS: 'key-a,key-b' });
    const { url } = await running.waitFor('iprisk serve listening');
    const ask = async (): Promise<unknown> => (await fetch(`${String(url)}/v3/security?apiKey=key-b&ip=203.0.114.1&fields=security.relay_provider_name`)).json();
    expect(await ask()).toEqual({ ip: '203.0.114.1', security: { relay_provider_name: 'First Relay' } });

    await writeSnapshot(file, buildIndex([sourceOf('relay', [['203.0.114.0/24', { is_relay: true, relay_provider_name: 'Second Relay' }]])], { version: 'second' }));
    const reloaded = await running.waitFor('index snapshot reloaded');
    expect(reloaded.version).toBe('second');
    expect(await ask()).toEqual({ ip: '203.0.114.1', security: { relay_provider_name: 'Second Relay' } });

    running.child.kill('SIGINT');
    expect(await running.exited).toBe(0);
  });

  it('reads API keys from serve.api_keys_file in the config file', async () => {
    await writeFile(path.join(dir, 'keys.txt'), '# keys\nfile-key-1\n');
    await writeFile(path.join(dir, 'iprisk.yaml'), 'serve:\n  api_keys_file: keys.txt\n  port: 0\n');
    running = new ServeProcess(['-c', path.join(dir, 'iprisk.yaml')]);
    const { url } = await running.waitFor('iprisk serve listening');
    expect((await fetch(`${String(url)}/v3/security?apiKey=file-key-1&ip=2.56.188.34`)).status).toBe(200);
    expect((await fetch(`${String(url)}/v3/security?apiKey=file-key-2&ip=2.56.188.34`)).status).toBe(401);
  });

  it('refuses to start without any API key unless allow_anonymous is set', () => {
    const { status, stderr } = iprisk(['serve', '--port', '0'], { env: { IPRISK_API_KEYS: '' } });
    expect(status).toBe(2);
    expect(stderr).toContain('serve: no API key configured');
    expect(stderr).toContain('serve.allow_anonymous');
  });

  it('names a bad --port', () => {
    const { status, stderr } = iprisk(['serve', '--port', 'http']);
    expect(status).not.toBe(0);
    expect(stderr).toContain("--port must be an integer from 0 to 65535, got 'http'");
  });
});
