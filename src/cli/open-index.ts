import type { LoadedConfig } from '../config/load.js';
import type { IpriskConfig } from '../config/schema.js';
import { loadConfig, resolvePath } from '../config/load.js';
import { formatProblem, loadSource } from '../feeds/load.js';
import type { LoadedSource } from '../feeds/types.js';
import { SAMPLE_SOURCES } from '../paths.js';
import { allowlistView } from '../range-index/allowlist.js';
import { buildIndex } from '../range-index/build.js';
import { CompiledRangeIndex } from '../range-index/range-index.js';
import { readSnapshot } from '../range-index/snapshot.js';
import type { RangeIndex, SnapshotData } from '../range-index/types.js';

export interface BuildReport {
  data: SnapshotData;
  sources: LoadedSource[];
}

/** How many problems of one source are printed before the rest are only counted. */
const PROBLEMS_SHOWN_PER_SOURCE = 20;

/**
 * Reads every enabled source of a configuration and compiles them. Bad lines are reported
 * (file:line: message) through `report` and skipped; an unreadable feed fails the build.
 */
export async function buildFromConfig(loaded: LoadedConfig, report: (line: string) => void, version?: string): Promise<BuildReport> {
  const sources: LoadedSource[] = [];
  for (const source of loaded.config.sources) {
    if (!source.enabled) continue;
    const result = await loadSource(source, loaded.baseDir);
    for (const problem of result.problems.slice(0, PROBLEMS_SHOWN_PER_SOURCE)) report(formatProblem(problem));
    if (result.problems.length > PROBLEMS_SHOWN_PER_SOURCE) {
      report(`${result.file}: ${result.problems.length - PROBLEMS_SHOWN_PER_SOURCE} more problems not shown`);
    }
    sources.push(result);
  }
  const data = buildIndex(sources, { weights: loaded.config.score, ...(version === undefined ? {} : { version }) });
  return { data, sources };
}

let sample: Promise<RangeIndex> | undefined;

function ignoreReport(): void {
  return;
}

/** The bundled sample index, compiled in memory from its small sources on first use. */
export function sampleIndex(): Promise<RangeIndex> {
  sample ??= (async () => {
    const loaded = loadConfig(SAMPLE_SOURCES, {});
    // The sample's own rows are checked by its tests; there is nothing to report here.
    const { data } = await buildFromConfig(loaded, ignoreReport, 'sample');
    return new CompiledRangeIndex(data);
  })();
  return sample;
}

/**
 * Where a command's index comes from, as plain data: what a worker thread is handed to open
 * the same index itself (a live index cannot cross threads).
 */
export type IndexSpec = { kind: 'snapshot'; path: string } | { kind: 'sample' };

/** The index a command uses: --index, else the config's index.path, else the sample index. */
export function describeIndex(explicit: string | undefined, loaded: LoadedConfig): IndexSpec {
  if (explicit !== undefined) return { kind: 'snapshot', path: explicit };
  const configured = loaded.config.index.path;
  return configured === undefined ? { kind: 'sample' } : { kind: 'snapshot', path: resolvePath(loaded, configured) };
}

/** What a command serves of each index it loads: the index as seen through the config's allowlist. */
export function servedView(config: Pick<IpriskConfig, 'allowlist' | 'score'>): (index: RangeIndex) => RangeIndex {
  return allowlistView(config.allowlist, config.score);
}

/** The index a spec names, opened and seen through `view` (servedView of the config). */
export async function openIndexSpec(spec: IndexSpec, view: (index: RangeIndex) => RangeIndex): Promise<RangeIndex> {
  return view(spec.kind === 'snapshot' ? await readSnapshot(spec.path) : await sampleIndex());
}

/** The index a command uses (describeIndex) and its file, opened and seen through `view`. */
export async function openIndex(
  explicit: string | undefined,
  loaded: LoadedConfig,
  view: (index: RangeIndex) => RangeIndex = servedView(loaded.config),
): Promise<{ index: RangeIndex; file: string | undefined }> {
  const spec = describeIndex(explicit, loaded);
  return { index: await openIndexSpec(spec, view), file: spec.kind === 'snapshot' ? spec.path : undefined };
}
