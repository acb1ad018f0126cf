import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Real public feeds shared with CI: `../shared/data` beside the repository. */
export const SHARED_DATA = path.resolve(REPO_ROOT, '..', 'shared', 'data');

export function sharedData(...parts: string[]): string {
  return path.join(SHARED_DATA, ...parts);
}

export function fixture(...parts: string[]): string {
  return path.join(REPO_ROOT, 'test', 'fixtures', ...parts);
}
