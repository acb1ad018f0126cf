import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import path from 'node:path';
import type { ApiKeyStore } from './api-keys.js';
import { readApiKeysFile } from './api-keys.js';

/** The logger calls the watcher makes; a pino logger fits as it is. */
export interface KeysFileLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface KeysFileWatchOptions {
  logger: KeysFileLogger;
  /** Quiet time after the last change before the file is read, so a file being written is not. */
  debounceMs?: number;
  onReload?: (outcome: 'success' | 'failure') => void;
}

/**
 * Keeps an ApiKeyStore in step with serve.api_keys_file: the file's folder is watched (editors
 * and `mv` replace the file, which a watch on the file itself would lose), and after each
 * change the whole key set (the keys from elsewhere plus the file's) is swapped at once. A file
 * that cannot be read, holds a bad line or holds no key at all keeps the previous keys: a
 * half-written or truncated file must not lock every client out. That is logged as an error,
 * since an operator's change did not take effect.
 */
export class ApiKeysFileWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: ApiKeyStore,
    private readonly file: string,
    /** Keys from the config, the environment and the command line, kept across reloads. */
    private readonly fixedKeys: readonly string[],
    private readonly options: KeysFileWatchOptions,
  ) {}

  start(): void {
    const name = path.basename(this.file);
    const debounceMs = this.options.debounceMs ?? 200;
    this.watcher = watch(path.dirname(this.file), { persistent: false }, (_event, changed) => {
      // Some platforms omit the name; a needless reload is cheaper than a missed one.
      if (changed !== null && changed !== name) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.reload();
      }, debounceMs);
    });
    this.watcher.on('error', (err) => {
      this.options.logger.error({ err, file: this.file }, 'API keys file watch failed; the current keys stay in use');
    });
  }

  /** Reads the file now and swaps the keys when it is good; true when it did. */
  reload(): boolean {
    let keys: string[];
    try {
      keys = readApiKeysFile(this.file);
    } catch (err) {
      this.failed(err);
      return false;
    }
    if (keys.length === 0) {
      this.failed(new Error(`serve.api_keys_file ${this.file} holds no API key`));
      return false;
    }
    this.store.replace([...this.fixedKeys, ...keys]);
    this.options.logger.info({ file: this.file, key_ids: this.store.keyIds }, 'API keys file reloaded');
    this.options.onReload?.('success');
    return true;
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.watcher?.close();
    this.watcher = undefined;
  }

  private failed(err: unknown): void {
    this.options.logger.error({ err, file: this.file }, 'API keys file not reloaded; the previous keys stay in use');
    this.options.onReload?.('failure');
  }
}
