import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiKeyStore, readApiKeysFile } from '../../../src/http/api-keys.js';
import { ApiKeysFileWatcher } from '../../../src/http/api-keys-watch.js';
import type { Running } from './harness.js';
import { raw, startServe } from './harness.js';

type Outcome = 'success' | 'failure';

/** Reload outcomes as they come; `next(o)` waits for the next outcome `o` (earlier others are skipped). */
class Outcomes {
  private readonly seen: Outcome[] = [];
  private waiter: { want: Outcome; resolve: () => void } | undefined;
  readonly errors: string[] = [];

  push = (outcome: Outcome): void => {
    this.seen.push(outcome);
    if (this.waiter?.want === outcome) {
      this.waiter.resolve();
      this.waiter = undefined;
    }
  };

  next(want: Outcome): Promise<void> {
    this.seen.length = 0;
    return new Promise((resolve) => (this.waiter = { want, resolve }));
  }
}

describe('the API keys file', () => {
  let dir = '';
  let file = '';
  let api: Running;
  let watcher: ApiKeysFileWatcher;
  let outcomes: Outcomes;
  const status = async (key: string): Promise<number> => (await raw(api.port, 'GET', `/v3/security?apiKey=${key}&ip=2.56.188.34`)).status;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'iprisk-serve-keys-'));
    file = path.join(dir, 'keys.txt');
    await writeFile(file, '# first keys\nOLD_KEY\n');
    const store = new ApiKeyStore(['FIXED_KEY', ...readApiKeysFile(file)]);
    outcomes = new Outcomes();
    const logger = {
      info: () => undefined,
      error: (obj: object, msg: string) => {
        // As pino's err serialiser does: an Error's message is part of the line.
        outcomes.errors.push(`${msg} ${JSON.stringify(obj, (_k, v: unknown) => (v instanceof Error ? { message: v.message } : v))}`);
      },
    };
    watcher = new ApiKeysFileWatcher(store, file, ['FIXED_KEY'], { logger, debounceMs: 50, onReload: outcomes.push });
    watcher.start();
    api = await startServe({ keyStore: store });
  });
  afterEach(async () => {
    watcher.close();
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reloads when it changes: the new key works, the removed one gets 401, keys from elsewhere stay', async () => {
    expect(await status('OLD_KEY')).toBe(200);
    expect(await status('NEW_KEY')).toBe(401);
    const reloaded = outcomes.next('success');
    await writeFile(file, 'NEW_KEY\n');
    await reloaded;
    expect(await status('NEW_KEY')).toBe(200);
    expect(await status('OLD_KEY')).toBe(401);
    expect(await status('FIXED_KEY')).toBe(200);
  });

  it('reloads a file replaced by rename, as editors and config management write it', async () => {
    const reloaded = outcomes.next('success');
    await writeFile(path.join(dir, 'keys.txt.tmp'), 'RENAMED_KEY\n');
    await rename(path.join(dir, 'keys.txt.tmp'), file);
    await reloaded;
    expect(await status('RENAMED_KEY')).toBe(200);
    expect(await status('OLD_KEY')).toBe(401);
  });

  it('keeps the old keys and logs an error when the new file is broken or empty', async () => {
    const broken = outcomes.next('failure');
    await writeFile(file, 'NEW_KEY\nthis line has spaces\n');
    await broken;
    expect(await status('OLD_KEY')).toBe(200);
    expect(await status('NEW_KEY')).toBe(401);
    expect(outcomes.errors.join('\n')).toContain('line 2');
    // The key text never reaches the log, only where it is.
    expect(outcomes.errors.join('\n')).not.toContain('this line has spaces');

    const empty = outcomes.next('failure');
    await writeFile(file, '# nothing left\n');
    await empty;
    expect(await status('OLD_KEY')).toBe(200);
    expect(outcomes.errors.join('\n')).toContain('holds no API key');
  });
});
