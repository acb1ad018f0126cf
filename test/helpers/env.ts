/**
 * The environment for an `iprisk` child process: this process's, without any inherited
 * `IPRISK_*` variable (a developer's `IPRISK_INDEX__PATH` or the like would otherwise become a
 * config override of every command a test runs), plus what the test sets.
 */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('IPRISK_')) env[name] = value;
  return { ...env, ...extra };
}
