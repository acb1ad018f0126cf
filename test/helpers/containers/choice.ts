// Which stack serves the Kafka integration tests when the environment names none:
// TEST_STACK = containers | jvm | auto (the default).
import { dockerAnswers } from '../docker.js';
import * as stack from './stack-scripts.js';

export type StackPath = 'containers' | 'jvm';

export interface StackChoice {
  path: StackPath;
  /** Why, in words, for the run's log and for the test that checks the choice. */
  reason: string;
}

const VALUES = ['containers', 'jvm', 'auto'] as const;
type Wanted = (typeof VALUES)[number];

function wanted(): Wanted {
  const value = (process.env.TEST_STACK ?? '').trim().toLowerCase();
  if (value === '') return 'auto';
  const known = VALUES.find((v) => v === value);
  if (known === undefined) throw new Error(`TEST_STACK=${value} is not one of ${VALUES.join(', ')}`);
  return known;
}

/** A JDK the JVM stack can start Kafka with (17+), as scripts/stack/java.js finds them. */
async function usableJava(): Promise<string | undefined> {
  const { KAFKA } = await stack.versions();
  const { findJdks } = await stack.java();
  const jdk = findJdks().find((j) => j.major >= KAFKA.minJava);
  return jdk === undefined ? undefined : `Java ${jdk.version} (${jdk.java})`;
}

/**
 * `containers` needs a Docker engine and says so when none answers; `jvm` is the local JVM
 * stack; `auto` takes containers only where an engine answers and no Java 17+ is installed,
 * because the JVM stack starts faster and needs nothing but Java and Maven.
 */
export async function chooseStack(): Promise<StackChoice> {
  const want = wanted();
  if (want === 'jvm') return { path: 'jvm', reason: 'TEST_STACK=jvm' };
  const engine = await dockerAnswers();
  if (want === 'containers') {
    if (!engine) {
      throw new Error(
        'TEST_STACK=containers, and no Docker engine answers `docker info` (DOCKER names another client). ' +
          'Start one, or run with TEST_STACK=jvm (or auto) to use the local JVM stack.',
      );
    }
    return { path: 'containers', reason: 'TEST_STACK=containers' };
  }
  const java = await usableJava();
  if (java !== undefined) return { path: 'jvm', reason: `auto: ${java} is installed` };
  if (engine) return { path: 'containers', reason: 'auto: a Docker engine answers and no Java 17+ is installed' };
  return { path: 'jvm', reason: 'auto: no Docker engine answers (the JVM stack explains what Java it needs)' };
}
