/** Plain-text tables: the benchmark prints to a terminal or a CI log, never to a browser. */
export interface Row {
  figure: string;
  iprisk: string;
  baseline: string;
  ratio: string;
  aim: string;
}

const HEADER: Row = { figure: 'figure', iprisk: 'iprisk', baseline: 'baseline', ratio: 'ratio', aim: 'aim' };

export function table(title: string, rows: readonly Row[], notes: readonly string[] = []): string {
  const all = [HEADER, ...rows];
  const width = (k: keyof Row): number => Math.max(...all.map((r) => r[k].length));
  const w = { figure: width('figure'), iprisk: width('iprisk'), baseline: width('baseline'), ratio: width('ratio'), aim: width('aim') };
  const line = (r: Row): string =>
    `  ${r.figure.padEnd(w.figure)}  ${r.iprisk.padStart(w.iprisk)}  ${r.baseline.padStart(w.baseline)}  ${r.ratio.padStart(w.ratio)}  ${r.aim}`.trimEnd();
  const rule = `  ${'-'.repeat(w.figure + w.iprisk + w.baseline + w.ratio + w.aim + 8)}`;
  return [title, rule, line(HEADER), rule, ...rows.map(line), rule, ...notes.map((n) => `  ${n}`), ''].join('\n');
}

export function rate(perSec: number): string {
  if (perSec >= 1e6) return `${(perSec / 1e6).toFixed(2)} M/s`;
  if (perSec >= 1e3) return `${(perSec / 1e3).toFixed(1)} k/s`;
  return `${perSec.toFixed(0)} /s`;
}

export function ratio(value: number): string {
  return `${value.toFixed(value >= 10 ? 1 : 2)}x`;
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function ms(value: number): string {
  return `${value.toFixed(value >= 100 ? 0 : 1)} ms`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** "aim >= 3x: met" / "not met"; `atLeast` false for figures where lower is better. */
export function aim(label: string, value: number, target: number, atLeast = true): string {
  const met = atLeast ? value >= target : value <= target;
  return `${label} ${met ? 'met' : 'NOT met'}`;
}
