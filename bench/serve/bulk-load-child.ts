/**
 * The bulk load of the fairness figure, in a process of its own so that sending 8 bodies of
 * 50,000 addresses and reading 8 answers of many MiB never delays the probe's own timings.
 * argv: base URL, body file, concurrency, key prefix. Each worker posts the body with its own
 * key (key prefix + worker number), reads the answer to its end, and posts again at once, until
 * stdin closes. stdout: `started` once every worker has sent its first request, then, at the
 * end, one JSON line with the bulks answered and the bytes read.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';

const [base, bodyFile, concurrencyText, keyPrefix] = process.argv.slice(2);
if (base === undefined || bodyFile === undefined || concurrencyText === undefined || keyPrefix === undefined) {
  throw new Error('usage: bulk-load-child BASE BODY_FILE CONCURRENCY KEY_PREFIX');
}
const body = readFileSync(bodyFile);
const concurrency = Number(concurrencyText);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
let stopping = false;
const answered: number[] = [];
let bytes = 0;
const statuses = new Map<number, number>();

function post(worker: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}/v3/security-bulk?apiKey=${keyPrefix}${worker}`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1);
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        res.on('end', () => {
          answered[worker] = (answered[worker] ?? 0) + 1;
          resolve();
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function worker(n: number, sent: () => void): Promise<void> {
  let first = true;
  while (!stopping) {
    const done = post(n);
    if (first) {
      first = false;
      sent();
    }
    await done;
  }
}

let sentCount = 0;
const onSent = (): void => {
  if (++sentCount === concurrency) process.stdout.write('started\n');
};
const workers = Array.from({ length: concurrency }, (_, n) => worker(n, onSent));
process.stdin.resume();
process.stdin.on('end', () => {
  stopping = true;
});
await Promise.all(workers);
agent.destroy();
process.stdout.write(`${JSON.stringify({ bulks: answered.reduce((a, b) => a + b, 0), bytes, statuses: Object.fromEntries(statuses) })}\n`);
