import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { iprisk } from '../../helpers/cli.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import type { FeedServer } from './feed-server.js';
import { FACTS, defaultWorkspaceEachTest } from './support.js';
import type { Workspace } from './support.js';
import { childEnv } from '../../helpers/env.js';

interface Running {
  /** Resolves with the exit status once the process ends. */
  exited: Promise<{ status: number | null; stderr: string }>;
  stderr(): string;
  /** Resolves when stderr contains `text`; rejects after 20 s. */
  waitForStderr(text: string): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Starts the built CLI without blocking this process: the feed server answering it lives in
 * the same event loop, so spawnSync would deadlock.
 */
function start(args: readonly string[]): Running {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'iprisk.js'), ...args], {
    cwd: REPO_ROOT,
    env: childEnv(),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const watchers: { text: string; resolve: () => void }[] = [];
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
    for (const w of [...watchers]) {
      if (stderr.includes(w.text)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exited = new Promise<{ status: number | null; stderr: string }>((resolve) => {
    child.on('close', (status) => {
      clearTimeout(killer);
      resolve({ status, stderr });
    });
  });
  return {
    exited,
    stderr: () => stderr,
    waitForStderr: (text) =>
      new Promise<void>((resolve, reject) => {
        if (stderr.includes(text)) {
          resolve();
          return;
        }
        const timer = setTimeout(() => {
          reject(new Error(`'${text}' not on stderr within 20 s; got:\n${stderr}`));
        }, 20_000);
        watchers.push({
          text,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      }),
    kill: (signal) => child.kill(signal),
  };
}

let server: FeedServer;
let ws: Workspace;
defaultWorkspaceEachTest((s, w) => {
  server = s;
  ws = w;
});

describe('iprisk index update', () => {
  it('downloads the feeds from the local server and writes a snapshot that lookup answers from', async () => {
    const out = path.join(ws.dir, 'out.snap');
    const { status, stderr } = await start(['index', 'update', '-c', ws.config, '-o', out]).exited;
    expect(stderr).toContain('feed tor: updated');
    expect(stderr).toContain('index update: 3 updated, 0 not modified, 0 failed');
    expect(stderr).toContain(`built ${out}`);
    expect(status).toBe(0);

    const looked = iprisk(['lookup', '--index', out, FACTS.firstTorExit]);
    expect(JSON.parse(looked.stdout)).toMatchObject({ ip: FACTS.firstTorExit, security: { is_tor: true, is_anonymous: true } });

    const again = await start(['index', 'update', '-c', ws.config, '-o', out]).exited;
    expect(again.status).toBe(0);
    expect(again.stderr).toContain('index update: 0 updated, 3 not modified, 0 failed');
    expect(again.stderr).toContain('is up to date');
  });

  it('exits 0 with a warning when a feed fails but its last good copy is used', async () => {
    expect((await start(['index', 'update', '-c', ws.config, '-q']).exited).status).toBe(0);
    server.fault('/cloud.json', { kind: 'status', status: 502 });
    const { status, stderr } = await start(['index', 'update', '-c', ws.config, '--force']).exited;
    expect(stderr).toMatch(/feed gcp: FAILED: .*HTTP 502/);
    expect(stderr).toContain('1 failed');
    expect(stderr).toContain('warning: 1 feed failed to update; last good copies used for gcp');
    expect(stderr).toContain(`built ${ws.snapshot}`);
    expect(status).toBe(0);
  });

  it('exits 1 when the snapshot cannot be built because a feed has no copy at all', async () => {
    server.fault('/cloud.json', { kind: 'status', status: 404 });
    const { status, stderr } = await start(['index', 'update', '-c', ws.config]).exited;
    expect(stderr).toContain('NOT built');
    expect(stderr).toContain('no copy at all of gcp');
    expect(status).toBe(1);
  });

  it('keeps updating with --every until SIGTERM, then exits 0', async () => {
    const running = start(['index', 'update', '-c', ws.config, '--every', '1h']);
    await running.waitForStderr('next round in 1h');
    expect(running.stderr()).toContain(`built ${ws.snapshot}`);
    running.kill('SIGTERM');
    const { status, stderr } = await running.exited;
    expect(stderr).toContain('received SIGTERM');
    expect(status).toBe(0);
  });

  it('stops a round in flight on SIGINT, keeping the old copy, and exits 1 without rebuilding', async () => {
    server.fault('/cloud.json', { kind: 'stall' });
    const running = start(['index', 'update', '-c', ws.config]);
    await running.waitForStderr('feed tor: updated');
    running.kill('SIGINT');
    const { status, stderr } = await running.exited;
    expect(stderr).toContain('received SIGINT');
    expect(stderr).toContain('not rebuilt');
    expect(status).toBe(1);
  });

  it('lists unknown --only names as configuration problems and exits 2 before fetching anything', async () => {
    const { status, stderr } = await start(['index', 'update', '-c', ws.config, '--only', 'tor,nope']).exited;
    expect(stderr).toContain("--only: no source is named 'nope'");
    expect(status).toBe(2);
    expect(server.requests).toHaveLength(0);
  });
});
