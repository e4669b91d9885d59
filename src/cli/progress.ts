/**
 * Progress for long work: a single rewritten line on a TTY (count, rate, ETA),
 * silent with --quiet or when stderr is not a TTY.
 */
export interface ProgressOptions {
  quiet?: boolean;
  stream?: NodeJS.WriteStream;
}

export class Progress {
  private start = Date.now();
  private lastDraw = 0;
  private readonly enabled: boolean;
  private readonly stream: NodeJS.WriteStream;

  constructor(private readonly label: string, private readonly total: number, options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.enabled = !options.quiet && Boolean(this.stream.isTTY);
  }

  /** Reports that `done` of `total` units are finished; `detail` is appended (e.g. a loss). */
  update(done: number, detail = ''): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && done < this.total) return;
    this.lastDraw = now;
    const elapsed = (now - this.start) / 1000;
    const eta = done > 0 ? (elapsed / done) * (this.total - done) : NaN;
    const pct = this.total > 0 ? ((100 * done) / this.total).toFixed(0) : '?';
    const etaText = Number.isFinite(eta) ? ` ETA ${formatSeconds(eta)}` : '';
    this.stream.write(`\r\x1b[K${this.label} ${done}/${this.total} (${pct}%)${etaText} ${detail}`);
  }

  /** Ends the line and returns the elapsed milliseconds. */
  done(detail = ''): number {
    const ms = Date.now() - this.start;
    if (this.enabled) this.stream.write(`\r\x1b[K${this.label} done in ${formatSeconds(ms / 1000)} ${detail}\n`);
    return ms;
  }
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${Math.round(s - 60 * m).toString().padStart(2, '0')}s`;
}
