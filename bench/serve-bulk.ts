/**
 * `npm run bench:serve`: how long `iprisk serve` takes to answer a 50,000-IP bulk request on
 * the real-feed index, against a baseline server in the same process that does only the
 * transport work of the same exchange: read the same body, JSON.parse it and send back a
 * response of the same bytes. Also the longest event-loop stall seen while a bulk is answered,
 * since a large bulk must never freeze the server for its other clients. Then the fairness
 * figure (serve/fairness.ts): the worst wait of a single lookup while 8 such bulks run.
 * `--fairness` runs the fairness figure alone.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ApiKeyStore } from '../src/http/api-keys.js';
import { serveSchema } from '../src/http/serve-schema.js';
import { SecurityApiServer } from '../src/http/server.js';
import { formatIPv4 } from '../src/ip/address.js';
import { CompiledRangeIndex } from '../src/range-index/range-index.js';
import { createMetrics } from '../src/telemetry/metrics.js';
import { buildRealIndex } from './lib/indexes.js';
import { median, nowMs } from './lib/measure.js';
import { Prng } from './lib/prng.js';
import { ms, ratio, table } from './lib/report.js';
import { measureFairness } from './serve/fairness.js';

const BULK = 50_000;
const quick = process.argv.includes('--quick');
const fairnessOnly = process.argv.includes('--fairness');
const rounds = quick ? 3 : 7;
/** Concurrent bulks of the fairness figure, and how long the single lookups are timed. */
const FAIR_BULKS = 8;
const FAIR_WINDOW_MS = quick ? 5000 : 15_000;
/** The worst single-lookup wait under 8 bulks measured before bulk work was scheduled fairly. */
const UNFAIR_MS = 629;
const FAIR_AIM_MS = 250;

/** Half the addresses inside indexed ranges, half random public ones (seeded, repeatable). */
function bulkBody(index: CompiledRangeIndex, rng: Prng): string {
  const starts = index.segmentsV4.starts;
  const ids = index.segmentsV4.entryIds;
  const ips: string[] = [];
  while (ips.length < BULK) {
    if (ips.length % 2 === 0) {
      const seg = rng.next() % starts.length;
      if (ids[seg]! < 0) continue;
      ips.push(formatIPv4(starts[seg]!));
    } else {
      const value = rng.next();
      const first = value >>> 24;
      if (first === 0 || first === 10 || first === 127 || first >= 224) continue;
      ips.push(formatIPv4(value));
    }
  }
  return JSON.stringify({ ips });
}

async function post(url: string, body: string): Promise<{ ms: number; bytes: Buffer; status: number }> {
  const t0 = nowMs();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { ms: nowMs() - t0, bytes, status: res.status };
}

const { data } = await buildRealIndex();
const index = new CompiledRangeIndex(data);
const body = bulkBody(index, new Prng(50_000));

async function bulkFigure(): Promise<void> {
  const server = new SecurityApiServer({
    config: serveSchema.parse({ allow_anonymous: true }),
    index: { current: index },
    keys: new ApiKeyStore([]),
    metrics: createMetrics({ defaultMetrics: false }),
  });
  const { url } = await server.listen(0, '127.0.0.1');
  const bulkUrl = `${url}/v3/security-bulk`;

  // The first answer, checked, becomes the baseline's response.
  const first = await post(bulkUrl, body);
  const answers = JSON.parse(first.bytes.toString('utf8')) as unknown[];
  if (first.status !== 200 || answers.length !== BULK) throw new Error(`serve answered ${first.status} with ${answers.length} entries`);

  const baseline = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { ips: unknown[] };
      if (parsed.ips.length !== BULK) throw new Error('baseline got a short body');
      res.writeHead(200, { 'content-type': 'application/json' }).end(first.bytes);
    });
  });
  await new Promise<void>((resolve) => baseline.listen(0, '127.0.0.1', resolve));
  const baselineUrl = `http://127.0.0.1:${(baseline.address() as AddressInfo).port}/`;

  const iprisk: number[] = [];
  const plain: number[] = [];
  const stall = monitorEventLoopDelay({ resolution: 5 });
  for (let r = 0; r < rounds; r++) {
    plain.push((await post(baselineUrl, body)).ms);
    stall.enable();
    iprisk.push((await post(bulkUrl, body)).ms);
    stall.disable();
  }
  await server.close();
  await new Promise<void>((resolve) => {
    baseline.close(() => {
      resolve();
    });
  });

  const ipriskMs = median(iprisk);
  const plainMs = median(plain);
  const stallMs = stall.max / 1e6;
  process.stdout.write(
    table(
      `iprisk serve: one POST /v3/security-bulk of ${BULK.toLocaleString('en-US')} IPv4 addresses (median of ${rounds}, wall clock, client and server in one process)`,
      [
        { figure: 'bulk answer time', iprisk: ms(ipriskMs), baseline: ms(plainMs), ratio: ratio(ipriskMs / plainMs), aim: ipriskMs < 1000 ? '< 1 s met' : '< 1 s NOT met' },
        { figure: 'longest event-loop stall during a bulk', iprisk: ms(stallMs), baseline: '-', ratio: '-', aim: '' },
      ],
      [
        `index: ${data.stats.rangesV4.toLocaleString('en-US')} IPv4 ranges from the real feeds; half the addresses inside indexed ranges`,
        `baseline: node:http server reading the same body, JSON.parse, and sending the same ${(first.bytes.length / 1048576).toFixed(1)} MiB answer`,
      ],
    ),
  );
}

async function fairnessFigure(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'iprisk-bench-serve-'));
  try {
    const f = await measureFairness(data, body, dir, FAIR_BULKS, FAIR_WINDOW_MS);
    const row = (figure: string, loaded: number, idle: number, aimText: string): { figure: string; iprisk: string; baseline: string; ratio: string; aim: string } => ({
      figure,
      iprisk: ms(loaded),
      baseline: ms(idle),
      ratio: ratio(loaded / idle),
      aim: aimText,
    });
    process.stdout.write(
      table(
        `iprisk serve: GET /v3/security while ${FAIR_BULKS} bulks of ${BULK.toLocaleString('en-US')} run (${f.loaded.count} lookups over ${(FAIR_WINDOW_MS / 1000).toFixed(0)} s; baseline: the same lookups on the idle server, ${f.idle.count})`,
        [
          row('single lookup, worst', f.loaded.max, f.idle.max, f.loaded.max < FAIR_AIM_MS ? `< ${FAIR_AIM_MS} ms met` : `< ${FAIR_AIM_MS} ms NOT met`),
          row('single lookup, p99', f.loaded.p99, f.idle.p99, ''),
          row('single lookup, p50', f.loaded.p50, f.idle.p50, ''),
          { figure: 'server event-loop delay, worst', iprisk: ms(f.serverLagMaxMs), baseline: '-', ratio: '-', aim: '' },
        ],
        [
          `before fair scheduling the worst single lookup under this load was ${UNFAIR_MS} ms`,
          `bulks answered during the window: ${f.bulksAnswered} (${f.bulkMiB.toFixed(0)} MiB, statuses ${JSON.stringify(f.bulkStatuses)}), each from its own API key`,
          'three processes: the built `iprisk serve` on a snapshot of the real-feed index, the bulk load, and the timed lookups',
        ],
      ),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (!fairnessOnly) await bulkFigure();
await fairnessFigure();
