import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderConfigReference } from '../config/reference.js';
import { PACKAGE_ROOT } from '../paths.js';
import { renderMetricsReference } from '../telemetry/metrics-reference.js';

/** The generated documents: path under the package root, and what renders it. */
export const GENERATED_DOCS: readonly { readonly file: string; readonly render: () => string }[] = [
  { file: 'docs/configuration.md', render: renderConfigReference },
  { file: 'docs/metrics.md', render: renderMetricsReference },
];

/** The command that rewrites them, for messages that ask for it. */
export const REGENERATE_COMMAND = 'npm run docs';

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Writes every generated document (or with `check`, only compares). Returns the files that
 * differed from what the generator produces.
 */
export function writeReferences(options: { root?: string; check?: boolean } = {}): string[] {
  const root = options.root ?? PACKAGE_ROOT;
  const stale: string[] = [];
  for (const doc of GENERATED_DOCS) {
    const file = path.join(root, doc.file);
    const text = doc.render();
    if (read(file) === text) continue;
    stale.push(doc.file);
    if (!options.check) writeFileSync(file, text);
  }
  return stale;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  const stale = writeReferences({ check });
  if (check && stale.length > 0) {
    process.stderr.write(`out of date: ${stale.join(', ')}; run \`${REGENERATE_COMMAND}\`\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(stale.length > 0 ? `wrote ${stale.join(', ')}\n` : 'generated docs are up to date\n');
  }
}
