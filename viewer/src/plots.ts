/** A line of a plot: values per x (NaN = gap). */
export interface Series { name: string; color: string; values: ArrayLike<number> }

export interface PlotOptions {
  title: string;
  unit?: string;
  /** Logarithmic y axis (loss curves). */
  log?: boolean;
  xLabel?: string;
  empty?: string;
}

/** Where the plot area of a drawn plot is: pixel x of index i, vertical extent (CSS px). */
interface PlotFrame { X: (i: number) => number; top: number; bottom: number }

function drawCursor(canvas: HTMLCanvasElement, f: PlotFrame, cursor: number): void {
  const ctx = canvas.getContext('2d')!;
  ctx.strokeStyle = '#ffffffaa';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(f.X(cursor), f.top);
  ctx.lineTo(f.X(cursor), f.bottom);
  ctx.stroke();
}

/**
 * A plot whose lines are drawn once (into an offscreen copy) and whose frame
 * cursor is redrawn on top: moving the cursor while playing costs one image copy,
 * not a pass over every value of every series.
 */
export class CursorPlot {
  private base = document.createElement('canvas');
  private frame: PlotFrame | null = null;
  private key = '';
  private series: Series[] = [];
  private options: PlotOptions = { title: '' };
  private cursor: number | undefined;

  constructor(readonly canvas: HTMLCanvasElement) {}

  setData(series: Series[], options: PlotOptions): void {
    this.series = series;
    this.options = options;
    this.key = '';
  }

  draw(cursor: number | undefined): void {
    const dpr = window.devicePixelRatio || 1;
    const key = `${this.canvas.clientWidth}x${this.canvas.clientHeight}@${dpr}`;
    if (key === this.key && cursor === this.cursor) return;
    this.cursor = cursor;
    if (key !== this.key) {
      this.key = key;
      this.frame = drawPlotBase(this.canvas, this.series, this.options);
      this.base.width = this.canvas.width;
      this.base.height = this.canvas.height;
      const b = this.base.getContext('2d')!;
      b.clearRect(0, 0, this.base.width, this.base.height);
      b.drawImage(this.canvas, 0, 0);
    } else {
      const ctx = this.canvas.getContext('2d')!;
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
      ctx.drawImage(this.base, 0, 0);
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    }
    if (this.frame && cursor !== undefined) drawCursor(this.canvas, this.frame, cursor);
  }
}

/** Axes, legend and lines (no cursor); returns the plot area, or null when there is nothing to plot. */
function drawPlotBase(canvas: HTMLCanvasElement, series: Series[], o: PlotOptions): PlotFrame | null {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(canvas.clientWidth * dpr));
  const h = Math.max(1, Math.round(canvas.clientHeight * dpr));
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const W = w / dpr;
  const H = h / dpr;
  ctx.clearRect(0, 0, W, H);
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#8a93a3';
  ctx.fillText(o.title + (o.unit ? ` (${o.unit})` : ''), 8, 13);
  const left = 44;
  const right = W - 8;
  const top = 32;
  const bottom = H - 16;
  const tf = (v: number) => (o.log ? Math.log10(Math.max(v, 1e-12)) : v);
  let lo = Infinity;
  let hi = -Infinity;
  let n = 0;
  for (const s of series) {
    n = Math.max(n, s.values.length);
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i]!;
      if (!Number.isFinite(v) || (o.log && v <= 0)) continue;
      lo = Math.min(lo, tf(v));
      hi = Math.max(hi, tf(v));
    }
  }
  if (!Number.isFinite(lo)) {
    ctx.fillText(o.empty ?? 'no data', left, (top + bottom) / 2);
    return null;
  }
  if (!o.log) lo = Math.min(lo, 0);
  if (hi - lo < 1e-9) hi = lo + 1;
  const X = (i: number) => left + ((right - left) * i) / Math.max(1, n - 1);
  const Y = (v: number) => bottom - ((bottom - top) * (tf(v) - lo)) / (hi - lo);
  ctx.strokeStyle = '#2c323c';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(left, top); ctx.lineTo(left, bottom); ctx.lineTo(right, bottom);
  ctx.stroke();
  ctx.fillStyle = '#6b7382';
  const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(1) : v.toPrecision(2));
  const yTop = o.log ? 10 ** hi : hi;
  const yBot = o.log ? 10 ** lo : lo;
  ctx.fillText(fmt(yTop), 4, top + 8);
  ctx.fillText(fmt(yBot), 4, bottom);
  ctx.fillText(`${o.xLabel ?? 'frame'} 0–${n - 1}`, left, H - 3);
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i]!;
      if (!Number.isFinite(v) || (o.log && v <= 0)) { pen = false; continue; }
      if (pen) ctx.lineTo(X(i), Y(v)); else ctx.moveTo(X(i), Y(v));
      pen = true;
    }
    ctx.stroke();
  }
  let lx = right;
  ctx.textAlign = 'right';
  for (const s of [...series].reverse().filter((x) => x.name)) {
    ctx.fillStyle = s.color;
    ctx.fillText(s.name, lx, 26);
    lx -= ctx.measureText(s.name).width + 10;
  }
  ctx.textAlign = 'left';
  return { X, top, bottom };
}

/** The x index under a mouse event on a plot drawn by CursorPlot with n points. */
export function plotIndexAt(canvas: HTMLCanvasElement, clientX: number, n: number): number {
  const r = canvas.getBoundingClientRect();
  const left = 44;
  const right = r.width - 8;
  const t = (clientX - r.left - left) / Math.max(1, right - left);
  return Math.max(0, Math.min(n - 1, Math.round(t * (n - 1))));
}
