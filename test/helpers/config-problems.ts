import { ConfigError } from '../../src/errors.js';

/** The problems listed by the ConfigError `fn` throws; undefined when it throws none. Other errors pass through. */
function thrownProblems(fn: () => unknown): readonly string[] | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return undefined;
}

/** The problems of the ConfigError `fn` must throw. */
export function configProblems(fn: () => unknown): readonly string[] {
  const problems = thrownProblems(fn);
  if (problems === undefined) throw new Error('expected a ConfigError');
  return problems;
}

/** The problems of the ConfigError `fn` throws, or none when it accepts the configuration. */
export function configProblemsOrNone(fn: () => unknown): readonly string[] {
  return thrownProblems(fn) ?? [];
}
