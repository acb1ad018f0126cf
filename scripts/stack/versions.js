// The verified recipe (SPEC section 11). Change a version here and the cache key changes with it.
export const KAFKA = {
  version: '4.4.0',
  scala: '2.13',
  log4j: '2.25.5',
  /** Kafka 4.x brokers need Java 17 or newer. */
  minJava: 17,
};

export const REGISTRY = {
  /** Apicurio 3.3.x is a Quarkus fast-jar that needs Java 21+. */
  current: { version: '3.3.3', minJava: 21 },
  /** The newest release that still runs on Java 17: a single runner jar, health on the main port. */
  java17: { version: '3.0.9', minJava: 17 },
  ccompatPath: '/apis/ccompat/v7',
};

/** Pinned so a cold cache resolves the same plugin everywhere instead of Maven's old default. */
export const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
