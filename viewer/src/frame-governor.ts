/**
 * A frame-time governor for playback: from each played frame's measured time
 * and whether clip frames were skipped, it picks the drawing-buffer scale
 * (share of the canvas's device pixels) that keeps playback at the clip's frame
 * rate. Frames skipped or far too slow → fewer pixels; no skips and well inside
 * the budget → more pixels again. Skips are the main signal because a display
 * synchronised at 60 Hz rounds frame times up to 16.7 ms steps: a frame
 * measured at 33 ms may be exactly on time. Pure (no DOM): the draw loop feeds
 * it, the 3D view applies the scale it returns.
 */
export interface FrameGovernorOptions {
  /** Frames per second to hold (the clip's rate). */
  targetFps: number;
  /** Scale playback starts at (1 = the canvas's full device resolution). */
  startScale: number;
  /** Lowest scale: below it the picture stops being useful, so frames may then come late. */
  minScale: number;
  /** Highest scale. */
  maxScale: number;
  /** Factor per change (scale × or ÷ step). */
  step: number;
  /** Frame times judged together (their median); a change waits for this many new ones. */
  window: number;
  /** Scale down when more than this share of the window's frames skipped clip frames. */
  skipShare: number;
  /** Scale down when the median frame time exceeds this share of the frame budget (1000 / targetFps ms). */
  slowShare: number;
  /** Scale up when the median frame time is below this share of the budget (hysteresis against flicker). */
  fastShare: number;
}

export const FRAME_GOVERNOR_DEFAULTS: FrameGovernorOptions = {
  targetFps: 30,
  startScale: 1,
  // Below half the resolution per axis 1-pixel lines (grid, skeleton) break into dots (tried 0.35);
  // with the cheap playback picture pixels are no longer the main cost on SwiftShader anyway.
  minScale: 0.5,
  maxScale: 1,
  step: 1.15,
  window: 8,
  // One skip in eight frames is tolerated (clock jitter at a frame boundary).
  skipShare: 0.125,
  // Above one and a half budgets a frame is late however the display rounds it.
  slowShare: 1.5,
  // One step up multiplies the pixel count by step² ≈ 1.3: only go up when that still fits.
  fastShare: 0.55,
};

export class FrameGovernor {
  readonly options: FrameGovernorOptions;
  private current: number;
  private samples: number[] = [];
  private skipped = 0;
  /** Scale changes so far (for diagnostics and tests). */
  changes = 0;

  constructor(options: Partial<FrameGovernorOptions> = {}) {
    this.options = { ...FRAME_GOVERNOR_DEFAULTS, ...options };
    const o = this.options;
    if (!(o.targetFps > 0) || !(o.minScale > 0) || !(o.skipShare >= 0) || o.minScale > o.maxScale || !(o.step > 1) || o.window < 1 || !(o.fastShare < o.slowShare)) {
      throw new Error(`FrameGovernor: inconsistent options ${JSON.stringify(o)}`);
    }
    this.current = clamp(o.startScale, o.minScale, o.maxScale);
  }

  /** The drawing-buffer scale to render at now. */
  get scale(): number { return this.current; }

  /** Milliseconds one frame may take at the target rate. */
  get budgetMs(): number { return 1000 / this.options.targetFps; }

  /** Sets the rate to hold (clip fps × playback speed); forgets the frames measured at the old one. */
  setTarget(fps: number): void {
    if (!(fps > 0) || fps === this.options.targetFps) return;
    this.options.targetFps = fps;
    this.samples = [];
    this.skipped = 0;
  }

  /** Forgets the measured frames (playback restarts, another clip) and starts over at startScale. */
  reset(startScale = this.options.startScale): void {
    this.samples = [];
    this.skipped = 0;
    this.current = clamp(startScale, this.options.minScale, this.options.maxScale);
  }

  /**
   * Records one played frame: how long it took (ms, from the start of its draw
   * to the start of the next draw-loop pass) and how many clip frames the clock
   * moved since the frame drawn before it (1 = none skipped). Returns the new
   * scale when it changes, else null. Each decision uses a fresh window of frames.
   */
  record(frameMs: number, advanced = 1): number | null {
    if (!Number.isFinite(frameMs) || frameMs < 0) return null;
    const o = this.options;
    this.samples.push(frameMs);
    if (advanced > 1) this.skipped++;
    if (this.samples.length < o.window) return null;
    const median = medianOf(this.samples);
    const skipShare = this.skipped / this.samples.length;
    this.samples = [];
    this.skipped = 0;
    let next = this.current;
    if (skipShare > o.skipShare || median > o.slowShare * this.budgetMs) next = clamp(this.current / o.step, o.minScale, o.maxScale);
    else if (skipShare === 0 && median < o.fastShare * this.budgetMs) next = clamp(this.current * o.step, o.minScale, o.maxScale);
    if (next === this.current) return null;
    this.current = next;
    this.changes++;
    return next;
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, x));
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
