import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { SourceConfig } from '../../../src/config/sources.js';
import { IpriskError } from '../../../src/errors.js';
import { loadSource } from '../../../src/feeds/load.js';
import type { FeedEntry, LoadedSource } from '../../../src/feeds/types.js';
import { formatNetwork } from '../../../src/ip/network.js';
import type { Signals } from '../../../src/security/record.js';

/** A source config as the schema would produce it (enabled defaults to true). */
export function source(format: SourceConfig['format'], file: string, extra: Partial<SourceConfig> = {}): SourceConfig {
  return { name: `test-${format}`, format, path: file, enabled: true, ...extra };
}

/** Loads an absolute path (baseDir is the file's folder, so path resolution is exercised too). */
export function load(format: SourceConfig['format'], file: string, extra: Partial<SourceConfig> = {}): Promise<LoadedSource> {
  return loadSource(source(format, path.basename(file), extra), path.dirname(file));
}

export function byNetwork(entries: readonly FeedEntry[]): Map<string, Signals> {
  return new Map(entries.map((e) => [formatNetwork(e.network), e.signals]));
}

export function networksOf(entries: readonly FeedEntry[]): string[] {
  return entries.map((e) => formatNetwork(e.network));
}

export function familyCount(entries: readonly FeedEntry[], family: 4 | 6): number {
  return entries.filter((e) => e.network.family === family).length;
}

export function readText(file: string): string {
  return readFileSync(file, 'utf8');
}

/** Data lines of a plain list, counted the simple way: not blank, not a `#` comment. */
export function dataLines(file: string): string[] {
  return readText(file)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** The IpriskError `promise` rejects with; the test fails when it resolves or rejects with anything else. */
export async function failure(promise: Promise<unknown>): Promise<IpriskError> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(IpriskError);
  return error as IpriskError;
}

/** As `failure`, and the error must be FEED_UNREADABLE. */
export async function unreadable(promise: Promise<unknown>): Promise<IpriskError> {
  const error = await failure(promise);
  expect(error.code).toBe('FEED_UNREADABLE');
  return error;
}
