/**
 * Every error iprisk raises on purpose carries one of these closed codes, so callers
 * (CLI exit paths, DLQ headers, HTTP answers) can branch on `code` rather than on text.
 */
export const ERROR_CODES = {
  CONFIG_INVALID: 'configuration failed validation',
  CONFIG_UNREADABLE: 'configuration file could not be read',
  FEED_UNREADABLE: 'a feed file could not be read or parsed at all',
  FEED_FORMAT_UNKNOWN: 'a feed names a format iprisk does not know',
  FEED_DOWNLOAD_FAILED: 'a feed could not be downloaded (network error, timeout or HTTP error status)',
  FEED_REJECTED: 'a downloaded feed failed validation (size limit, checksum or format) and was not installed',
  SNAPSHOT_INVALID: 'an index snapshot is corrupt, truncated or of another format version',
  SNAPSHOT_UNREADABLE: 'an index snapshot file could not be read',
  SNAPSHOT_UNWRITABLE: 'an index snapshot file could not be written',
  HISTORY_INVALID: 'a snapshot history folder is missing, empty, or its manifest is unreadable or malformed',
  HISTORY_UNWRITABLE: 'a snapshot could not be filed into a history folder (unwritable, or locked by another writer)',
  IP_INVALID: 'text is not an IP address',
  NETWORK_INVALID: 'text is not a CIDR network or address range',
  RULE_INVALID: 'an alert rule is malformed',
  INPUT_UNREADABLE: 'an input file could not be opened',
  WORKER_FAILED: 'a worker thread of `iprisk enrich --workers` could not start, failed or exited',
  REMOTE_UNAUTHORIZED: 'a remote provider refused the API key or account (401/403, or its own key/credit message): a configuration error',
  REMOTE_UNAVAILABLE: 'the remote providers could not answer within the wait allowed by on_remote_failure: block',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface IpriskErrorOptions {
  cause?: unknown;
  /** Whether retrying the same operation may succeed (network, I/O), as opposed to bad input. */
  canRetry?: boolean;
}

export class IpriskError extends Error {
  readonly code: ErrorCode;
  readonly canRetry: boolean;

  constructor(code: ErrorCode, message: string, options: IpriskErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IpriskError';
    this.code = code;
    this.canRetry = options.canRetry ?? false;
  }
}

/** Configuration problems are collected, never thrown one at a time: the operator fixes all at once. */
export class ConfigError extends IpriskError {
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[]) {
    super('CONFIG_INVALID', `invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
