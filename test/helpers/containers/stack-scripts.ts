// Typed entry points into the local JVM stack's modules (scripts/stack/*.js), so the container
// path downloads the very same artifacts, finds the same JDKs and checks readiness the same way.
// The scripts are plain JavaScript without declarations; these interfaces state what is used.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../paths.js';

export type Say = (message: string) => void;

export interface Jdk {
  home: string | null;
  java: string;
  major: number;
  version: string;
}

export interface RegistryDist {
  version: string;
  jar: string;
  healthOnMainPort: boolean;
}

interface InstallModule {
  ensureKafka: (say: Say) => Promise<string>;
  ensureRegistry: (javaMajor: number, say: Say) => Promise<RegistryDist>;
}

interface JavaModule {
  findJdks: () => Jdk[];
}

interface VersionsModule {
  KAFKA: { version: string; scala: string; minJava: number };
  REGISTRY: { current: { version: string; minJava: number }; ccompatPath: string };
}

interface PathsModule {
  cacheRoot: () => string;
  STACK_CACHE: string;
  stackFile: { state: string };
}

interface PortsModule {
  claimPort: (variable: string, port: number, exclude?: number[]) => Promise<number>;
}

interface KafkaMetadataModule {
  metadataBrokers: (host: string, port: number, timeoutMs: number) => Promise<string[]>;
}

interface RegistryModule {
  registryAnswers: (o: { port: number; managementPort: number; healthOnMainPort: boolean }) => Promise<boolean>;
  registryUrl: (port: number) => string;
}

async function load<T>(name: string): Promise<T> {
  return (await import(pathToFileURL(path.join(REPO_ROOT, 'scripts', 'stack', `${name}.js`)).href)) as T;
}

export const install = (): Promise<InstallModule> => load<InstallModule>('install');
export const java = (): Promise<JavaModule> => load<JavaModule>('java');
export const versions = (): Promise<VersionsModule> => load<VersionsModule>('versions');
export const paths = (): Promise<PathsModule> => load<PathsModule>('paths');
export const ports = (): Promise<PortsModule> => load<PortsModule>('ports');
export const kafkaMetadata = (): Promise<KafkaMetadataModule> => load<KafkaMetadataModule>('kafka-metadata');
export const registry = (): Promise<RegistryModule> => load<RegistryModule>('registry');
