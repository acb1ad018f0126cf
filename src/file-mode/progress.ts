/**
 * A one-line progress display on a terminal: bytes, events and rate, redrawn at most every
 * 250 ms. Silent when stderr is not a terminal (piped, CI), so logs stay clean.
 */
export class Progress {
  private readonly out: NodeJS.WriteStream | undefined;
  private readonly started: number;
  private lastDraw = 0;
  private drawn = false;

  constructor(stream: NodeJS.WriteStream = process.stderr, enabled = stream.isTTY && !process.env.CI) {
    this.out = enabled ? stream : undefined;
    this.started = Date.now();
  }

  update(events: number, bytes: number, totalBytes: number | undefined, label: string): void {
    if (!this.out) return;
    const now = Date.now();
    if (now - this.lastDraw < 250) return;
    this.lastDraw = now;
    const secs = Math.max(0.001, (now - this.started) / 1000);
    const rate = Math.round(events / secs);
    const width = 24;
    let bar = '';
    if (totalBytes !== undefined && totalBytes > 0) {
      const ratio = Math.min(1, bytes / totalBytes);
      const fill = Math.round(ratio * width);
      bar = `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(ratio * 100).toFixed(0).padStart(3)}% `;
    }
    const text = `${bar}${events.toLocaleString('en-US')} events  ${rate.toLocaleString('en-US')}/s  ${label}`;
    this.out.write(`\r${text.slice(0, (this.out.columns || 100) - 1)}\x1b[K`);
    this.drawn = true;
  }

  done(): void {
    if (this.out && this.drawn) this.out.write('\r\x1b[K');
  }
}
