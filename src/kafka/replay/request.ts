import type { IpriskConfig } from '../../config/schema.js';
import { ConfigError } from '../../errors.js';
import { parseInstant } from '../../time/instant.js';

/** The command line of `iprisk replay`, as commander hands it over. */
export interface ReplayArgs {
  from: string;
  to: string;
  toTopic: string;
  topics?: string | undefined;
  rate?: string | undefined;
  group?: string | undefined;
  alerts?: boolean | undefined;
}

/** A validated replay: what to read, where to write, how fast. */
export interface ReplayRequest {
  fromMs: number;
  toMs: number;
  /** Input topics, each a configured input (so its kind and format are known). */
  topics: string[];
  toTopic: string;
  /** Events per second; undefined: as fast as the pipeline goes. */
  ratePerSec: number | undefined;
  groupId: string;
  alerts: boolean;
}

/** `<group_id>-replay-20250131T120000123Z`: unique per start, and sorting by name sorts by time. */
export function defaultReplayGroup(liveGroupId: string, now: Date): string {
  return `${liveGroupId}-replay-${now.toISOString().replace(/[-:.]/g, '')}`;
}

/**
 * Checks a replay command line against the configuration and lists every problem at once,
 * each naming the option and the value (exit status 2, as for an invalid config).
 */
export function parseReplayRequest(args: ReplayArgs, config: Readonly<IpriskConfig>, now = new Date()): ReplayRequest {
  const problems: string[] = [];
  const fromMs = parseInstant(args.from, '--from', problems);
  const toMs = parseInstant(args.to, '--to', problems);
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) {
    problems.push(`--to: '${args.to}' must be later than --from '${args.from}' (the window is [from, to))`);
  }

  const configured = config.inputs.map((i) => i.topic);
  let topics = configured;
  if (configured.length === 0) problems.push('inputs: no input topics are configured, so there is nothing to replay');
  if (args.topics !== undefined) {
    topics = [...new Set(args.topics.split(',').map((t) => t.trim()).filter((t) => t !== ''))];
    if (topics.length === 0) problems.push(`--topics: '${args.topics}' names no topic`);
    for (const topic of topics) {
      if (!configured.includes(topic)) {
        problems.push(`--topics: '${topic}' is not a configured input (${configured.length > 0 ? configured.join(', ') : 'none configured'}); its kind and format come from inputs`);
      }
    }
  }

  const toTopic = args.toTopic.trim();
  if (toTopic === '') problems.push('--to-topic: a target topic is needed');
  else if (topics.includes(toTopic)) problems.push(`--to-topic: '${toTopic}' is one of the topics being replayed; write to another topic`);

  let ratePerSec: number | undefined;
  if (args.rate !== undefined) {
    ratePerSec = Number(args.rate);
    if (args.rate.trim() === '' || !Number.isFinite(ratePerSec) || ratePerSec <= 0) {
      problems.push(`--rate: '${args.rate}' is not a positive number of events per second`);
    }
  }

  const groupId = args.group?.trim() ?? defaultReplayGroup(config.kafka.group_id, now);
  if (groupId === '') problems.push('--group: the consumer group id is empty');
  else if (groupId === config.kafka.group_id) {
    problems.push(`--group: '${groupId}' is the live group (kafka.group_id); a replay joining it would take partitions from the running processors`);
  }

  const avro = config.outputs.enriched.format === 'avro' || (args.alerts === true && config.outputs.alerts.format === 'avro') || config.inputs.some((i) => topics.includes(i.topic) && i.format !== 'json');
  if (avro && config.schema_registry === undefined) {
    problems.push('schema_registry.url: Avro input or output (the default) needs a Confluent-compatible schema registry');
  }

  if (problems.length > 0) throw new ConfigError('the replay command line', problems);
  return { fromMs: fromMs!, toMs: toMs!, topics, toTopic, ratePerSec, groupId, alerts: args.alerts === true };
}
