import { LANDMARK_INDEX, type LandmarkName } from '../formats/landmarks.ts';
import type { Vec3 } from '../geometry/quaternion.ts';
import { applySimilarity, fitSimilarity } from '../geometry/similarity.ts';
import { EVAL_LANDMARKS, FOOT_LANDMARKS } from './metrics.ts';

/**
 * Scores a monocular 3D sequence against a triangulated one whose world frame differs
 * (a lab's z-up frame against the reconstruction's y-up frame, or BlazePose's hip-centred
 * one), so every error is measured after an alignment that says what it forgives:
 * - PA-MPJPE: a similarity per frame (pose only);
 * - root-relative MPJPE after one rotation for the whole clip (pose and its orientation over time);
 * - WA-MPJPE: one similarity for the whole clip, trajectory included; its scale is how much
 *   larger the truth is than the prediction (1.05: the subject came out 5 % too small).
 * Frames or landmarks the truth lacks are left out.
 */
export type Frame33 = ReadonlyArray<Vec3 | null>;

export interface RealScore {
  frames: number;
  paMpjpe: number;
  rootRotMpjpe: number;
  /** null when the prediction has no trajectory (hip-centred). */
  waMpjpe: number | null;
  waScale: number | null;
  /** Median over frames of the per-frame similarity's scale: the body's size alone (the WA scale also absorbs a trajectory that wanders too much or too little). */
  poseScale: number;
}

export interface ScoreOptions {
  landmarks?: readonly LandmarkName[];
  /** The prediction is hip-centred (no trajectory): WA-MPJPE is not defined. */
  rootCentred?: boolean;
}

const MM = 1000;

/** Pairs of (prediction, truth) points of one frame over the scored landmarks both have. */
function pairs(pred: Frame33, truth: Frame33, idx: readonly number[]): { a: Vec3[]; b: Vec3[] } {
  const a: Vec3[] = [];
  const b: Vec3[] = [];
  for (const i of idx) {
    const p = pred[i];
    const t = truth[i];
    if (p && t) { a.push(p); b.push(t); }
  }
  return { a, b };
}

function meanDist(a: readonly Vec3[], b: readonly Vec3[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.hypot(a[i]![0] - b[i]![0], a[i]![1] - b[i]![1], a[i]![2] - b[i]![2]);
  return a.length ? s / a.length : NaN;
}

function hipCentre(f: Frame33): Vec3 | null {
  const l = f[LANDMARK_INDEX.left_hip];
  const r = f[LANDMARK_INDEX.right_hip];
  return l && r ? [(l[0] + r[0]) / 2, (l[1] + r[1]) / 2, (l[2] + r[2]) / 2] : null;
}

function centred(f: Frame33, c: Vec3): Frame33 {
  return f.map((p) => (p ? [p[0] - c[0], p[1] - c[1], p[2] - c[2]] as Vec3 : null));
}

export function scoreSequence(pred: ReadonlyArray<Frame33 | null>, truth: ReadonlyArray<Frame33 | null>, options: ScoreOptions = {}): RealScore {
  const idx = (options.landmarks ?? EVAL_LANDMARKS).map((n) => LANDMARK_INDEX[n]);
  const both = pred.flatMap((p, f) => (p && truth[f] ? [[p, truth[f]!] as const] : []));
  let pa = 0;
  let paN = 0;
  const scales: number[] = [];
  const rootA: Vec3[] = [];
  const rootB: Vec3[] = [];
  const allA: Vec3[] = [];
  const allB: Vec3[] = [];
  for (const [p, t] of both) {
    const { a, b } = pairs(p, t, idx);
    if (a.length >= 4) {
      const T = fitSimilarity(a, b);
      pa += meanDist(a.map((q) => applySimilarity(T, q)), b);
      paN += 1;
      scales.push(T.scale);
    }
    allA.push(...a);
    allB.push(...b);
    const cp = hipCentre(p);
    const ct = hipCentre(t);
    if (cp && ct) {
      const r = pairs(centred(p, cp), centred(t, ct), idx);
      rootA.push(...r.a);
      rootB.push(...r.b);
    }
  }
  const rot = fitSimilarity(rootA, rootB, { scale: false, translation: false });
  const rootRotMpjpe = meanDist(rootA.map((q) => applySimilarity(rot, q)), rootB);
  let waMpjpe: number | null = null;
  let waScale: number | null = null;
  if (!options.rootCentred && allA.length) {
    const wa = fitSimilarity(allA, allB);
    waMpjpe = MM * meanDist(allA.map((q) => applySimilarity(wa, q)), allB);
    waScale = wa.scale;
  }
  scales.sort((x, y) => x - y);
  const poseScale = scales.length ? scales[scales.length >> 1]! : NaN;
  return { frames: both.length, paMpjpe: paN ? (MM * pa) / paN : NaN, rootRotMpjpe: MM * rootRotMpjpe, waMpjpe, waScale, poseScale };
}

/**
 * Stance frames from the truth: frames where its lowest foot point is within `band` (m) of the
 * support level, taken as a low percentile of that point over the clip (a few mistriangulated
 * frames must not set the floor).
 */
export function stanceFrames(truth: ReadonlyArray<Frame33 | null>, up: Vec3, band = 0.03, percentile = 10): number[] {
  const heights = truth.map((f) => (f ? lowestFoot(f, up) : null));
  const sorted = heights.filter((h): h is number => h != null).sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  const floor = sorted[Math.floor(((sorted.length - 1) * percentile) / 100)]!;
  return heights.flatMap((h, i) => (h != null && Math.abs(h - floor) <= band ? [i] : []));
}

/** Height along `up` of a frame's lowest foot point (heels and toes). */
export function lowestFoot(f: Frame33, up: Vec3): number | null {
  let low = Infinity;
  for (const n of [...FOOT_LANDMARKS.left, ...FOOT_LANDMARKS.right]) {
    const p = f[LANDMARK_INDEX[n]];
    if (p) low = Math.min(low, p[0] * up[0] + p[1] * up[1] + p[2] * up[2]);
  }
  return Number.isFinite(low) ? low : null;
}

/** Mean height (mm) of the lowest foot point above the ground (height 0 along `up`) over the given frames. */
export function meanFootHeightMm(frames: ReadonlyArray<Frame33 | null>, at: readonly number[], up: Vec3): number {
  const hs = at.flatMap((i) => {
    const f = frames[i];
    const h = f ? lowestFoot(f, up) : null;
    return h == null ? [] : [h];
  });
  return hs.length ? (MM * hs.reduce((s, h) => s + h, 0)) / hs.length : NaN;
}
