import { createMetrics } from './metrics.js';

/**
 * The metrics reference (docs/metrics.md), rendered from the registry `createMetrics()` builds,
 * so a metric added there is documented by regenerating, and a test fails until it is.
 */

export interface MetricDoc {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly labels: readonly string[];
  /** Histogram bucket upper bounds (seconds, events, ...), empty for other types. */
  readonly buckets: readonly number[];
  /** The group comment it sits under in metrics.ts, from its name: pipeline, index, ... */
  readonly area: string;
}

// prom-client keeps a metric's configuration on the instance (labelNames, and a histogram's
// upperBounds) without declaring it in its types; read it through this narrow shape.
interface MetricInternals {
  readonly labelNames?: readonly string[];
  readonly upperBounds?: readonly number[];
}

const AREAS: readonly (readonly [RegExp, string])[] = [
  [/^iprisk_(events|dlq|alerts|batch|consumer|end_to_end)_/, 'Stream processor (`iprisk run`)'],
  [/^iprisk_index_/, 'Index'],
  [/^iprisk_(remote|cache)_/, 'Remote fallback and cache'],
  [/^iprisk_http_/, 'HTTP API (`iprisk serve`)'],
  [/^iprisk_feed_/, 'Feed updates (`iprisk index update`)'],
];

function areaOf(name: string): string {
  return AREAS.find(([re]) => re.test(name))?.[1] ?? 'Other';
}

/** Every metric iprisk defines, in definition order; the process defaults are left out. */
export function metricDocs(): MetricDoc[] {
  const { registry } = createMetrics({ defaultMetrics: false });
  return registry.getMetricsAsArray().map((m) => {
    const internals = m as unknown as MetricInternals;
    return {
      name: m.name,
      type: String(m.type),
      help: m.help,
      labels: [...(internals.labelNames ?? [])],
      buckets: m.type.toString() === 'histogram' ? [...(internals.upperBounds ?? [])] : [],
      area: areaOf(m.name),
    };
  });
}

function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}

export function renderMetricsReference(): string {
  const metrics = metricDocs();
  const lines = [
    '# Metrics reference',
    '',
    '<!-- Generated from createMetrics() (src/telemetry/metrics.ts) by `npm run docs`. Do not edit by hand: a test fails when this file and the registry disagree. -->',
    '',
    '`iprisk run` serves these on `http.port` (`/metrics`, default 9464); `iprisk serve` on its API port',
    '(`/metrics`). Names carry the prefix `iprisk_` and their unit; counters end in `_total`. Labels are',
    'bounded: a topic, a partition, a rule, a provider, a reason, an outcome; never an address. Histograms',
    'export `_bucket`, `_sum` and `_count` series with the bucket bounds listed.',
    '',
    "Beside these, prom-client's default process metrics are exported with the same prefix:",
    '`iprisk_process_*` (CPU seconds, resident memory, open file descriptors, start time) and `iprisk_nodejs_*`',
    '(event-loop lag, heap sizes by space, GC duration, active handles, the Node version).',
    '',
    'Both commands register every metric below. A metric without labels is exported from the start (0 until',
    'its stage records something, so `iprisk serve` also shows idle batch histograms); a labelled series',
    'appears once its stage first records it or binds it at start-up.',
  ];
  let area = '';
  for (const m of metrics) {
    if (m.area !== area) {
      area = m.area;
      lines.push('', `## ${area}`, '', '| Metric | Type | Labels | Description |', '| --- | --- | --- | --- |');
    }
    const labels = m.labels.length > 0 ? m.labels.map((l) => `\`${l}\``).join(', ') : '';
    const buckets = m.buckets.length > 0 ? ` Buckets: ${m.buckets.join(', ')}.` : '';
    lines.push(`| \`${m.name}\` | ${m.type} | ${labels} | ${cell(m.help)}.${buckets} |`);
  }
  return `${lines.join('\n')}\n`;
}
