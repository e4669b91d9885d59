import { LANDMARK_INDEX as L } from '../formats/landmarks.ts';
import type { Vec3 } from '../geometry/quaternion.ts';
import type { CameraGround } from './camera.ts';

/**
 * Ground and body size from a clip's 3D estimate in camera coordinates.
 * The ground is where the feet rest: per frame the lowest foot point lies on it
 * (most frames of human motion have a foot down), so the camera's pitch and height
 * are the plane through those points. Depth alone is noisy, so the pitch is pulled
 * toward the direction of the straightest legs (a standing body is vertical).
 */
export interface GroundOptions {
  /** Weight of the leg-vertical prior on the pitch, relative to one contact point (per point). */
  priorWeight?: number;
  /** Robust trimming of airborne frames: keep points within this many MADs of the median residual. */
  trimMads?: number;
  /** Sole points within this distance (m) of a frame's lowest count as resting on the ground. */
  contactMargin?: number;
  /** Height above the ground of each sole landmark when its foot is flat (landmark index → m); 0 when absent. */
  soleHeights?: Partial<Record<number, number>>;
  /** Re-fit iterations (contact points are re-picked with the new up direction). */
  iterations?: number;
}

export const GROUND_DEFAULTS: Required<GroundOptions> = {
  priorWeight: 0.002,
  trimMads: 2.5,
  contactMargin: 0.04,
  soleHeights: {},
  iterations: 4,
};

const FOOT = [L.left_ankle, L.right_ankle, L.left_heel, L.right_heel, L.left_foot_index, L.right_foot_index];
const SOLE = [L.left_heel, L.right_heel, L.left_foot_index, L.right_foot_index];

/** World up in camera coordinates for a camera pitched down by `pitch`. */
export function upInCamera(pitch: number): Vec3 {
  return [0, Math.cos(pitch), Math.sin(pitch)];
}

/** Pitch implied by the most extended legs (mid-ankle → mid-hip direction). */
export function legVerticalPitch(frames: readonly Vec3[][]): number {
  const legs = frames.map((p) => {
    const hip = mid(p[L.left_hip]!, p[L.right_hip]!);
    const ankle = mid(p[L.left_ankle]!, p[L.right_ankle]!);
    return sub(hip, ankle);
  });
  const order = legs.map((v, i) => [Math.hypot(...v), i] as const).sort((a, b) => b[0] - a[0]);
  const top = order.slice(0, Math.max(1, Math.ceil(order.length * 0.2)));
  const sum: Vec3 = [0, 0, 0];
  for (const [, i] of top) {
    const v = legs[i]!;
    const n = Math.hypot(...v) || 1;
    sum[1] += v[1] / n;
    sum[2] += v[2] / n;
  }
  return Math.atan2(sum[2], sum[1]);
}

/**
 * Camera pitch and height above the ground from per-frame 3D landmarks in camera
 * coordinates (x right, y up, looking down −z).
 */
export function estimateGround(frames: readonly Vec3[][], options: GroundOptions = {}): CameraGround & { contacts: number } {
  const o = { ...GROUND_DEFAULTS, ...options };
  if (frames.length === 0) return { pitch: 0, height: 1.5, contacts: 0 };
  const prior = legVerticalPitch(frames);
  let pitch = prior;
  let height = 0;
  let used = 0;
  for (let it = 0; it < o.iterations; it++) {
    const up = upInCamera(pitch);
    // Sole points of each frame near its lowest one along the current up direction
    // (heel and toe of a planted foot both: one point per frame says nothing of the tilt).
    // Each point is moved down by its landmark's height above a flat sole.
    const lift = (j: number): Vec3 => {
      const h = o.soleHeights[j] ?? 0;
      return [-up[0] * h, -up[1] * h, -up[2] * h];
    };
    let pts = frames.flatMap((p) => {
      const lowest = Math.min(...SOLE.map((j) => dot(p[j]!, up) - (o.soleHeights[j] ?? 0)));
      return SOLE.filter((j) => dot(p[j]!, up) - (o.soleHeights[j] ?? 0) <= lowest + o.contactMargin)
        .map((j) => add(p[j]!, lift(j)));
    });
    // Trim airborne frames: their lowest point is far above the others.
    const h = pts.map((p) => dot(p, up));
    const med = median(h);
    const mad = median(h.map((v) => Math.abs(v - med))) || 1e-3;
    pts = pts.filter((_, i) => Math.abs(h[i]! - med) <= o.trimMads * mad * 1.4826 + 0.01);
    pitch = fitPitch(pts, prior, o.priorWeight * pts.length);
    const upNew = upInCamera(pitch);
    height = -mean(pts.map((p) => dot(p, upNew)));
    used = pts.length;
  }
  return { pitch, height, contacts: used };
}

/** Pitch minimising Σ(n(θ)·p − mean)² + λ(θ − θ₀)²: a 1-D search (coarse grid, then golden section). */
function fitPitch(pts: readonly Vec3[], prior: number, lambda: number): number {
  const cost = (th: number) => {
    const n = upInCamera(th);
    const h = pts.map((p) => dot(p, n));
    const m = mean(h);
    let c = 0;
    for (const v of h) c += (v - m) ** 2;
    return c + lambda * (th - prior) ** 2;
  };
  let best = prior;
  let bestC = cost(prior);
  for (let k = -60; k <= 60; k++) {
    const th = prior + (k / 60) * 0.8;
    const c = cost(th);
    if (c < bestC) { bestC = c; best = th; }
  }
  let a = best - 0.8 / 60, b = best + 0.8 / 60;
  const g = (Math.sqrt(5) - 1) / 2;
  for (let i = 0; i < 40; i++) {
    const c1 = b - g * (b - a), c2 = a + g * (b - a);
    if (cost(c1) < cost(c2)) b = c2; else a = c1;
  }
  return (a + b) / 2;
}

/** Height of every foot landmark above a ground given in camera coordinates (for checks). */
export function footHeights(frame: readonly Vec3[], ground: CameraGround): number[] {
  const up = upInCamera(ground.pitch);
  return FOOT.map((j) => dot(frame[j]!, up) + ground.height);
}

/** Segment lengths measured between landmark pairs (metres); each entry averages left and right. */
export const SEGMENTS = {
  thigh: [[L.left_hip, L.left_knee], [L.right_hip, L.right_knee]],
  shin: [[L.left_knee, L.left_ankle], [L.right_knee, L.right_ankle]],
  upperArm: [[L.left_shoulder, L.left_elbow], [L.right_shoulder, L.right_elbow]],
  forearm: [[L.left_elbow, L.left_wrist], [L.right_elbow, L.right_wrist]],
  shoulderWidth: [[L.left_shoulder, L.right_shoulder]],
  hipWidth: [[L.left_hip, L.right_hip]],
} as const satisfies Record<string, ReadonlyArray<readonly [number, number]>>;
export type SegmentName = keyof typeof SEGMENTS;

/**
 * Segment lengths per metre of stature (Drillis & Contini / Winter anthropometry).
 * A caller with a skeleton model passes its own (measured on the model at height 1).
 */
export const WINTER_RATIOS: Record<SegmentName, number> = {
  thigh: 0.245, shin: 0.246, upperArm: 0.186, forearm: 0.146, shoulderWidth: 0.259, hipWidth: 0.191,
};

/** Segments trusted for stature: long, rarely foreshortened in 3D, well detected. */
const STATURE_SEGMENTS: SegmentName[] = ['thigh', 'shin', 'upperArm', 'forearm', 'hipWidth', 'shoulderWidth'];

export interface BodySize {
  /** Stature in metres. */
  height: number;
  /** Median measured length of each segment over the clip (metres). */
  segments: Record<SegmentName, number>;
  /** Measured / expected-at-this-height, per segment (1 = standard proportions). */
  proportions: Record<SegmentName, number>;
}

/** Subject stature and proportions from 3D landmark bone lengths seen over the clip (medians). */
export function estimateBodySize(frames: readonly Vec3[][], ratios: Record<SegmentName, number> = WINTER_RATIOS): BodySize {
  const segments = {} as Record<SegmentName, number>;
  for (const name of Object.keys(SEGMENTS) as SegmentName[]) {
    const lengths: number[] = [];
    for (const p of frames) for (const [a, b] of SEGMENTS[name]) lengths.push(dist(p[a]!, p[b]!));
    segments[name] = lengths.length ? median(lengths) : 0;
  }
  const estimates = STATURE_SEGMENTS.filter((s) => segments[s] > 0 && ratios[s] > 0).map((s) => segments[s] / ratios[s]);
  const raw = estimates.length ? median(estimates) : 1.7;
  // Outside human range means the 3D input is not metric: fall back to an average adult.
  const height = raw >= 1.0 && raw <= 2.3 ? raw : 1.7;
  const proportions = {} as Record<SegmentName, number>;
  for (const s of Object.keys(SEGMENTS) as SegmentName[]) proportions[s] = segments[s] > 0 ? segments[s] / (ratios[s] * height) : 1;
  return { height, segments, proportions };
}

export function median(v: readonly number[]): number {
  if (v.length === 0) return 0;
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
function mean(v: readonly number[]): number {
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0;
}
function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
function add(a: Vec3, b: Vec3): Vec3 {
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}
function sub(a: Vec3, b: Vec3): Vec3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}
function mid(a: Vec3, b: Vec3): Vec3 {
  return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2];
}
function dist(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}
