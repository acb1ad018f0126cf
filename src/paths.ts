import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The installed package's root (where package.json, config/ and schemas/ live), found by
 * walking up from this module so it works from src/ under vitest and from dist/ alike. */
function findPackageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'config'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('iprisk: cannot find the package root above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export const PACKAGE_ROOT = findPackageRoot();

/** The bundled sample index: sources made from the facts in ipgeolocation's documentation. */
export const SAMPLE_SOURCES = path.join(PACKAGE_ROOT, 'config', 'sample', 'sources.yaml');
