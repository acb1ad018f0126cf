import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../src/config/load.js';
import { ConfigError } from '../../../../src/errors.js';
import { defaultReplayGroup, parseReplayRequest } from '../../../../src/kafka/replay/request.js';

const config = parseConfig(
  {
    kafka: { group_id: 'iprisk' },
    schema_registry: { url: 'http://127.0.0.1:8081/apis/ccompat/v7' },
    inputs: [
      { topic: 'access-logs', kind: 'access', format: 'auto' },
      { topic: 'auth-events', kind: 'auth', format: 'json' },
    ],
  },
  'test',
);
const NOW = new Date('2025-03-04T05:06:07.089Z');

function problems(args: Parameters<typeof parseReplayRequest>[0], cfg = config): string[] {
  try {
    parseReplayRequest(args, cfg, NOW);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

describe('parseReplayRequest', () => {
  it('reads a window with zones, every configured input and a fresh group by default', () => {
    const request = parseReplayRequest({ from: '2025-01-31T12:00:00Z', to: '2025-01-31T14:00:00+01:00', toTopic: 'replayed' }, config, NOW);
    expect(request).toEqual({
      fromMs: Date.UTC(2025, 0, 31, 12),
      toMs: Date.UTC(2025, 0, 31, 13),
      topics: ['access-logs', 'auth-events'],
      toTopic: 'replayed',
      ratePerSec: undefined,
      groupId: 'iprisk-replay-20250304T050607089Z',
      alerts: false,
    });
  });

  it('reads a bare date as midnight UTC, and --topics, --rate, --group and --alerts as given', () => {
    const request = parseReplayRequest(
      { from: '2025-01-01', to: '2025-01-02', toTopic: 'out', topics: 'auth-events', rate: '250.5', group: 'my-replay', alerts: true },
      config,
      NOW,
    );
    expect(request).toMatchObject({ fromMs: Date.UTC(2025, 0, 1), toMs: Date.UTC(2025, 0, 2), topics: ['auth-events'], ratePerSec: 250.5, groupId: 'my-replay', alerts: true });
  });

  it('names every bad option and its value at once', () => {
    expect(
      problems({ from: '2025-01-31T12:00:00', to: 'tomorrow', toTopic: 'access-logs', topics: 'access-logs,nope', rate: '-3', group: 'iprisk' }),
    ).toEqual([
      "--from: '2025-01-31T12:00:00' is not an ISO 8601 date or date-time with a zone (e.g. 2025-01-31T12:00:00Z): add Z or an offset such as +02:00",
      "--to: 'tomorrow' is not an ISO 8601 date or date-time with a zone (e.g. 2025-01-31T12:00:00Z)",
      "--topics: 'nope' is not a configured input (access-logs, auth-events); its kind and format come from inputs",
      "--to-topic: 'access-logs' is one of the topics being replayed; write to another topic",
      "--rate: '-3' is not a positive number of events per second",
      "--group: 'iprisk' is the live group (kafka.group_id); a replay joining it would take partitions from the running processors",
    ]);
  });

  it('rejects a window that ends before it starts', () => {
    expect(problems({ from: '2025-02-01', to: '2025-01-01', toTopic: 'out' })).toEqual([
      "--to: '2025-01-01' must be later than --from '2025-02-01' (the window is [from, to))",
    ]);
  });

  it('rejects an impossible date', () => {
    expect(problems({ from: '2025-02-30T00:00:00Z', to: '2025-03-05', toTopic: 'out' })).toEqual(["--from: '2025-02-30T00:00:00Z' is not a valid date or time"]);
    expect(problems({ from: '2025-01-01T24:00:00Z', to: '2025-03-05', toTopic: 'out' })).toEqual(["--from: '2025-01-01T24:00:00Z' is not a valid date or time"]);
  });

  it('needs inputs to replay and a registry for Avro', () => {
    const bare = parseConfig({}, 'test');
    expect(problems({ from: '2025-01-01', to: '2025-01-02', toTopic: 'out' }, bare)).toEqual([
      'inputs: no input topics are configured, so there is nothing to replay',
      'schema_registry.url: Avro input or output (the default) needs a Confluent-compatible schema registry',
    ]);
  });

  it('names the default group after the live group and the start time', () => {
    expect(defaultReplayGroup('iprisk', NOW)).toBe('iprisk-replay-20250304T050607089Z');
  });
});
