/**
 * The One-Euro filter (Casiez, Roussel, Vogel, CHI 2012): a low-pass filter whose
 * cutoff rises with the signal's speed, so slow jitter is smoothed and fast
 * motion keeps little lag. Stateful, with explicit timestamps (seconds).
 */
export interface OneEuroOptions {
  /** Cutoff (Hz) at zero speed: lower = smoother when still. */
  minCutoff?: number;
  /** How fast the cutoff grows with speed: higher = less lag when moving. */
  beta?: number;
  /** Cutoff (Hz) for the speed estimate itself. */
  derivativeCutoff?: number;
}

/** Values tuned for landmarks in pixels at video rates (MediaPipe uses similar ones). */
export const ONE_EURO_DEFAULTS: Required<OneEuroOptions> = { minCutoff: 1.0, beta: 0.01, derivativeCutoff: 1.0 };

function smoothingFactor(dt: number, cutoff: number): number {
  const r = 2 * Math.PI * cutoff * dt;
  return r / (r + 1);
}

/** Filters a vector of values that share one timestamp (for example 33 × 2 coordinates). */
export class OneEuroFilter {
  private readonly options: Required<OneEuroOptions>;
  /** Last filtered output. */
  private last: Float64Array | null = null;
  /** Last raw input: the speed is measured between raw inputs (Casiez et al.; MediaPipe's OneEuroFilter). */
  private lastRaw: Float64Array | null = null;
  private lastSpeed: Float64Array | null = null;
  private lastTime = 0;

  constructor(options: OneEuroOptions = {}) {
    this.options = { ...ONE_EURO_DEFAULTS, ...options };
  }

  /**
   * Returns the filtered values at time `t` (seconds); the first call passes values
   * through. `speedScale` multiplies the speed before it is smoothed and raises the
   * cutoff (units → scale-free, like MediaPipe's value scale 1 / object size).
   */
  apply(values: ArrayLike<number>, t: number, speedScale = 1): Float64Array {
    const x = Float64Array.from(values);
    if (!this.last || !this.lastRaw || !this.lastSpeed || this.last.length !== x.length || t <= this.lastTime) {
      this.last = x;
      this.lastRaw = x;
      this.lastSpeed = new Float64Array(x.length);
      this.lastTime = t;
      return Float64Array.from(x);
    }
    const dt = t - this.lastTime;
    const { minCutoff, beta, derivativeCutoff } = this.options;
    const aSpeed = smoothingFactor(dt, derivativeCutoff);
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const speed = aSpeed * ((speedScale * (x[i]! - this.lastRaw[i]!)) / dt) + (1 - aSpeed) * this.lastSpeed[i]!;
      const a = smoothingFactor(dt, minCutoff + beta * Math.abs(speed));
      out[i] = a * x[i]! + (1 - a) * this.last[i]!;
      this.lastSpeed[i] = speed;
    }
    this.last = out;
    this.lastRaw = x;
    this.lastTime = t;
    return Float64Array.from(out);
  }

  /** Forgets the past (after a frame without a person). */
  reset(): void {
    this.last = null;
    this.lastRaw = null;
    this.lastSpeed = null;
  }
}

/**
 * One-Euro filtering of a pose: image keypoints (pixels, with the speed measured
 * relative to the person's size so the filter behaves the same at any resolution)
 * and world keypoints (metres). Scores pass through unfiltered.
 */
export class PoseFilter {
  private readonly image: OneEuroFilter;
  private readonly world: OneEuroFilter;

  constructor(options: { image?: OneEuroOptions; world?: OneEuroOptions } = {}) {
    this.image = new OneEuroFilter({ ...POSE_FILTER_DEFAULTS.image, ...options.image });
    this.world = new OneEuroFilter({ ...POSE_FILTER_DEFAULTS.world, ...options.world });
  }

  apply(keypoints: Array<[number, number, number]>, world: Array<[number, number, number]> | null, t: number) {
    // Speeds count in person sizes per second, so beta means the same at any resolution.
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const [x, y] of keypoints) { minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y); }
    // Object scale as MediaPipe takes it: the mean of the bounding box's sides.
    const size = Math.max((maxX - minX + maxY - minY) / 2, 1);
    const f = this.image.apply(keypoints.flatMap(([x, y]) => [x, y]), t, 1 / size);
    const outKp = keypoints.map(([, , s], i): [number, number, number] => [f[2 * i]!, f[2 * i + 1]!, s]);
    let outWorld = world;
    if (world) {
      const w = this.world.apply(world.flat(), t);
      outWorld = world.map((_, i): [number, number, number] => [w[3 * i]!, w[3 * i + 1]!, w[3 * i + 2]!]);
    }
    return { keypoints: outKp, world: outWorld };
  }

  reset(): void {
    this.image.reset();
    this.world.reset();
  }
}

/**
 * MediaPipe's settings (pose_landmark_filtering.pbtxt): image landmarks with the speed
 * measured in object sizes per second, world landmarks in metres (no value scaling),
 * and the two auxiliary landmarks that place the next frame's crop, smoothed harder so
 * the crop stays steady while the person is still.
 */
export const POSE_FILTER_DEFAULTS = {
  image: { minCutoff: 0.05, beta: 80, derivativeCutoff: 1.0 } as OneEuroOptions,
  world: { minCutoff: 0.1, beta: 40, derivativeCutoff: 1.0 } as OneEuroOptions,
  auxiliary: { minCutoff: 0.01, beta: 10, derivativeCutoff: 1.0 } as OneEuroOptions,
};
