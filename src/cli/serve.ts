import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import type { LoadedConfig } from '../config/load.js';
import { loadConfig, resolvePath } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { API_KEYS_ENV, ApiKeyStore, envApiKeys, keyProblem, readApiKeysFile } from '../http/api-keys.js';
import { ApiKeysFileWatcher } from '../http/api-keys-watch.js';
import { SecurityApiServer } from '../http/server.js';
import { IndexHolder } from '../range-index/reload.js';
import { createRemote } from '../remote/create.js';
import { createLogger } from '../telemetry/logger.js';
import { createMetrics } from '../telemetry/metrics.js';
import { openIndex, servedView } from './open-index.js';

interface ServeOptions {
  config?: string;
  index?: string;
  port?: number;
  host?: string;
  apiKey: string[];
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) throw new InvalidArgumentError(`--port must be an integer from 0 to 65535, got '${value}'.`);
  return port;
}

function collect(value: string, previous: string[]): string[] {
  const problem = keyProblem(value);
  // The key itself is not echoed: the command line may end up in shell history or logs.
  if (problem) throw new InvalidArgumentError(`--api-key: the API key ${problem}.`);
  return [...previous, value];
}

/** Every accepted key: config, $IPRISK_API_KEYS and --api-key (fixed), and the keys file (reloaded). */
function gatherKeys(loaded: LoadedConfig, cli: readonly string[]): { fixed: string[]; file: string | undefined; fromFile: string[] } {
  const serve = loaded.config.serve;
  const file = serve.api_keys_file === undefined ? undefined : resolvePath(loaded, serve.api_keys_file);
  const fromFile = file === undefined ? [] : readApiKeysFile(file);
  return { fixed: [...serve.api_keys, ...envApiKeys(process.env), ...cli], file, fromFile };
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      "serve ipgeolocation's v3 IP Security API from the local index: GET /v3/security, POST /v3/security-bulk (same parameters, answers and status codes), plus GET /healthz, /readyz and /metrics",
    )
    .option('-c, --config <file>', 'configuration file (default: $IPRISK_CONFIG); section `serve`')
    .option('--index <file>', 'index snapshot, reloaded when the file changes (default: index.path from config, else the bundled sample index)')
    .option('--port <n>', 'port to listen on; 0 picks a free one (default: serve.port, 8080)', parsePort)
    .option('--host <address>', 'address to listen on (default: serve.host, 127.0.0.1)')
    .option('--api-key <key>', `accept this apiKey (repeatable); also serve.api_keys, serve.api_keys_file, $${API_KEYS_ENV}`, collect, [])
    .addHelpText(
      'after',
      `
Without any API key the server refuses to start, unless serve.allow_anonymous is true (then no
apiKey is asked). Prefer serve.api_keys_file or $${API_KEYS_ENV} to --api-key: a command line is
visible to other users of the machine. Keys are never logged; logs name them by key id.
SIGTERM / SIGINT stop accepting connections, let in-flight requests finish, and exit 0.`,
    )
    .action(async (opts: ServeOptions) => {
      const loaded = loadConfig(opts.config);
      const { config } = loaded;
      const gathered = gatherKeys(loaded, opts.apiKey);
      const keys = new ApiKeyStore([...gathered.fixed, ...gathered.fromFile]);
      if (keys.size === 0 && !config.serve.allow_anonymous) {
        throw new ConfigError(loaded.file ?? 'defaults', [
          `serve: no API key configured. Pass --api-key KEY, set ${API_KEYS_ENV}, serve.api_keys or serve.api_keys_file, or set serve.allow_anonymous: true to serve without keys.`,
        ]);
      }
      const logger = createLogger();
      const metrics = createMetrics();
      const view = servedView(loaded.config);
      const { index, file } = await openIndex(opts.index, loaded, view);
      // The keys file is re-read when it changes; a bad or empty new file keeps the keys in use.
      const keysWatcher =
        gathered.file === undefined ? undefined : new ApiKeysFileWatcher(keys, gathered.file, gathered.fixed, { logger });
      keysWatcher?.start();
      const holder = new IndexHolder(index, file, view);
      if (file !== undefined && config.index.watch) {
        holder.watchSnapshot(file, {
          debounceMs: config.index.reload_debounce_ms,
          logger,
          onReload: (outcome) => {
            metrics.indexReloads.inc({ outcome });
          },
        });
      }
      // Index misses go to the remote providers when some are configured (SPEC section 6).
      const fallback = createRemote(config.remote, { logger, metrics, baseDir: loaded.baseDir, weights: config.score });
      const server = new SecurityApiServer({ config: config.serve, index: holder, keys, metrics, logger, ...(fallback ? { fallback } : {}) });
      const { url, host, port } = await server.listen(opts.port ?? config.serve.port, opts.host ?? config.serve.host);
      logger.info(
        {
          url,
          host,
          port,
          index_version: index.version,
          index_file: file ?? null,
          key_ids: keys.keyIds,
          anonymous: keys.size === 0,
        },
        'iprisk serve listening',
      );

      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals): void => {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          // A second signal while draining ends the process at once.
          process.once(signal, () => process.exit(1));
          logger.info({ signal }, 'iprisk serve shutting down: finishing in-flight requests');
          holder.close();
          keysWatcher?.close();
          void server.close().then(async () => {
            await fallback?.close();
            logger.info({}, 'iprisk serve stopped');
            resolve();
          });
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      });
    });
}
