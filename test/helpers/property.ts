import type fc from 'fast-check';

/**
 * Run settings shared by the property tests. Every property has a fixed seed, so a failure
 * reproduces on any machine; fast-check prints the seed and the shrunk counterexample's path.
 *
 * - PROPERTY_SCALE multiplies every default run count (a soak run: `=50` turns the
 *   address properties' 400,000 strings into 20 million). Timeouts grow with it.
 * - PROPERTY_SEED replaces every fixed seed, to explore other inputs.
 */
function envNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(text)}`);
  return value;
}

export const PROPERTY_SCALE = envNumber('PROPERTY_SCALE', 1);
const SEED_OVERRIDE = process.env.PROPERTY_SEED;

/** The run count for a property whose default is `runs`, scaled by PROPERTY_SCALE. */
export function runs(defaultRuns: number): number {
  return Math.max(1, Math.round(defaultRuns * PROPERTY_SCALE));
}

/** A vitest timeout for a test whose default-scale run takes about `defaultMs`. */
export function timeoutMs(defaultMs: number): number {
  return Math.round(Math.max(30_000, defaultMs * 3) * Math.max(1, PROPERTY_SCALE));
}

export function seedFor(seed: number): number {
  if (SEED_OVERRIDE === undefined || SEED_OVERRIDE === '') return seed;
  return Number(SEED_OVERRIDE) | 0;
}

/** fc.assert parameters: the fixed (or overridden) seed and the scaled run count. */
export function params<T>(seed: number, defaultRuns: number): fc.Parameters<T> {
  return { seed: seedFor(seed), numRuns: runs(defaultRuns) };
}
