import type { FeedProblem } from './types.js';

/** `file:line: message`, the shape editors and CI annotators recognise. */
export function formatProblem(p: FeedProblem): string {
  return `${p.file}:${p.line}: ${p.message}`;
}
