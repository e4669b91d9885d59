import { LANDMARK_COUNT, LANDMARK_INDEX, LANDMARK_MIRROR, type LandmarkName } from '../formats/landmarks.ts';
import type { Vec3 } from '../geometry/quaternion.ts';
import { projectCalibrated, type ViewCamera } from '../geometry/triangulate.ts';
import { solveSmall } from './multiview-bundle.ts';
import { median, type PersonTruth, type ViewTracks } from './multiview-truth.ts';

/**
 * The triangulated truth re-fitted over the whole clip at once: every landmark of every frame moves
 * to balance its reprojection error in the views (robust, Cauchy: a swapped or misplaced sighting
 * weighs little), the lengths of the rigid segments (one length per segment for the clip: a thigh
 * does not change length between frames, a per-frame triangulation lets it by ±10 %) and a weak
 * penalty on acceleration. Solved by block Gauss–Seidel: one 3 × 3 Gauss–Newton step per point,
 * sweeping the clip, the segment lengths re-estimated (median over frames) after each sweep.
 */
export const SMOOTH_DEFAULTS = {
  sweeps: 12,
  /** Cauchy scale of the reprojection error (px). */
  robustPx: 6,
  /** Sightings below this detector confidence are not used. */
  minConfidence: 0.3,
  /** A 1 px reprojection error weighs as much as this deviation from the clip's segment length (m). */
  boneSigma: 0.0025,
  /** …and as much as this second difference of a landmark's position (m per frame²; at 60 fps a foot reaches ~0.01). */
  accelSigma: 0.005,
};

export type SmoothOptions = Partial<typeof SMOOTH_DEFAULTS>;

/** Landmark pairs whose distance a body keeps over a clip (limbs, feet, hands, pelvis, shoulders, head). */
const SEGMENTS: ReadonlyArray<readonly [LandmarkName, LandmarkName]> = [
  ['left_hip', 'left_knee'], ['right_hip', 'right_knee'], ['left_knee', 'left_ankle'], ['right_knee', 'right_ankle'],
  ['left_shoulder', 'left_elbow'], ['right_shoulder', 'right_elbow'], ['left_elbow', 'left_wrist'], ['right_elbow', 'right_wrist'],
  ['left_ankle', 'left_heel'], ['right_ankle', 'right_heel'], ['left_heel', 'left_foot_index'], ['right_heel', 'right_foot_index'],
  ['left_ankle', 'left_foot_index'], ['right_ankle', 'right_foot_index'],
  ['left_wrist', 'left_index'], ['right_wrist', 'right_index'], ['left_wrist', 'left_pinky'], ['right_wrist', 'right_pinky'],
  ['left_hip', 'right_hip'], ['left_shoulder', 'right_shoulder'], ['left_ear', 'right_ear'], ['nose', 'left_ear'], ['nose', 'right_ear'],
];
/** Largest move of a point in one step (m). */
const MAX_STEP = 0.02;
const SEGMENT_INDEX = SEGMENTS.map(([a, b]) => [LANDMARK_INDEX[a], LANDMARK_INDEX[b]] as const);

interface Obs { cam: ViewCamera; u: number; v: number; w: number }

/** The truth's sightings per frame and landmark, with its side labels applied. */
function sightings(cams: readonly ViewCamera[], views: readonly ViewTracks[], truth: PersonTruth, minConfidence: number): Obs[][][] {
  return truth.assignments.map((a, f) => Array.from({ length: LANDMARK_COUNT }, (_, i) => a.track.flatMap((k, v) => {
    const p = k == null ? null : views[v]!.tracks[k]!.frames[f]?.keypoints?.[a.swapped[v] ? LANDMARK_MIRROR[i]! : i];
    return p && p[2] >= minConfidence ? [{ cam: cams[v]!, u: p[0], v: p[1], w: p[2] }] : [];
  })));
}

const dist = (a: Vec3, b: Vec3) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

/** Each segment's length for the clip: the median over frames where both ends exist. */
export function segmentLengths(frames: ReadonlyArray<ReadonlyArray<Vec3 | null> | null>): number[] {
  return SEGMENT_INDEX.map(([a, b]) => median(frames.flatMap((f) => (f?.[a] && f[b] ? [dist(f[a]!, f[b]!)] : []))));
}

/**
 * Spread of the segment lengths over the clip: per segment (p90 − p10) / median, averaged (a rigid
 * body scores 0; the evidence a truth gives of its own consistency).
 */
export function segmentSpread(frames: ReadonlyArray<ReadonlyArray<Vec3 | null> | null>): number {
  const spreads = SEGMENT_INDEX.slice(0, 8).map(([a, b]) => {
    const ls = frames.flatMap((f) => (f?.[a] && f[b] ? [dist(f[a]!, f[b]!)] : [])).sort((x, y) => x - y);
    return ls.length < 3 ? NaN : (ls[Math.floor(0.9 * (ls.length - 1))]! - ls[Math.floor(0.1 * (ls.length - 1))]!) / median(ls);
  }).filter(Number.isFinite);
  return spreads.reduce((s, x) => s + x, 0) / spreads.length;
}

/** The truth with its points re-fitted (see the file comment); frames and points it lacks stay missing. */
export function smoothTruth(cams: readonly ViewCamera[], views: readonly ViewTracks[], truth: PersonTruth, options: SmoothOptions = {}): PersonTruth {
  const o = { ...SMOOTH_DEFAULTS, ...options };
  const obs = sightings(cams, views, truth, o.minConfidence);
  const frames = truth.frames.map((f) => (f ? f.map((p) => (p ? [...p] as Vec3 : null)) : null));
  const segmentsOf = Array.from({ length: LANDMARK_COUNT }, (_, i) => SEGMENT_INDEX.flatMap(([a, b], s) => (a === i ? [{ s, other: b }] : b === i ? [{ s, other: a }] : [])));
  for (let sweep = 0; sweep < o.sweeps; sweep++) {
    const lengths = segmentLengths(frames);
    frames.forEach((f, t) => {
      if (!f) return;
      for (let i = 0; i < LANDMARK_COUNT; i++) {
        if (!f[i]) continue;
        const bones = segmentsOf[i]!.flatMap(({ s, other }) => (f[other] && Number.isFinite(lengths[s]!) ? [{ end: f[other]!, length: lengths[s]! }] : []));
        const step = pointStep(f[i]!, obs[t]![i]!, bones, accelNeighbours(frames, t, i), o);
        if (step) f[i] = [f[i]![0] + step[0], f[i]![1] + step[1], f[i]![2] + step[2]];
      }
    });
  }
  const reprojection = frames.map((f, t) => (f ? truth.reprojection[t]!.map((perView, i) => perView.map((e, v) => {
    const k = truth.assignments[t]!.track[v];
    const p = f[i];
    const d = k == null ? null : views[v]!.tracks[k]!.frames[t]?.keypoints?.[truth.assignments[t]!.swapped[v] ? LANDMARK_MIRROR[i]! : i];
    const q = p ? projectCalibrated(cams[v]!, p) : null;
    return Number.isFinite(e) && d && q ? Math.hypot(q[0] - d[0], q[1] - d[1]) : e;
  })) : truth.reprojection[t]!));
  return { ...truth, frames, reprojection };
}

/**
 * The second-difference terms a point takes part in: for each, the coefficient of the point and the
 * fixed rest (c·x + rest is the second difference), over frames where all three points exist.
 */
function accelNeighbours(frames: ReadonlyArray<Array<Vec3 | null> | null>, t: number, i: number): Array<{ c: number; rest: Vec3 }> {
  const at = (k: number) => frames[k]?.[i] ?? null;
  const out: Array<{ c: number; rest: Vec3 }> = [];
  for (const centre of [t - 1, t, t + 1]) {
    const a = at(centre - 1);
    const b = at(centre);
    const c = at(centre + 1);
    if (!a || !b || !c) continue;
    const coef = centre === t ? -2 : 1;
    // Second difference a − 2b + c with this point's own contribution removed.
    const rest: Vec3 = [0, 1, 2].map((k) => a[k]! - 2 * b[k]! + c[k]! - coef * at(t)![k]!) as Vec3;
    out.push({ c: coef, rest });
  }
  return out;
}

/** One Gauss–Newton step for one point: robust reprojection, segment lengths to fixed ends, acceleration. */
function pointStep(x: Vec3, obs: readonly Obs[], bones: ReadonlyArray<{ end: Vec3; length: number }>, accel: ReadonlyArray<{ c: number; rest: Vec3 }>, o: typeof SMOOTH_DEFAULTS): Vec3 | null {
  const A = new Array(9).fill(0);
  const g = [0, 0, 0];
  const add = (J: readonly number[], r: number, w: number) => {
    for (let a = 0; a < 3; a++) {
      g[a] -= w * J[a]! * r;
      for (let b = 0; b < 3; b++) A[3 * a + b] += w * J[a]! * J[b]!;
    }
  };
  const h = 1e-5;
  for (const s of obs) {
    const q = projectCalibrated(s.cam, x);
    if (!q) continue;
    const r = [q[0] - s.u, q[1] - s.v];
    const w = s.w / (1 + (r[0]! ** 2 + r[1]! ** 2) / o.robustPx ** 2);
    const J = [0, 1, 2].map((k) => { const y: Vec3 = [...x]; y[k] += h; const p = projectCalibrated(s.cam, y) ?? q; return [(p[0] - q[0]) / h, (p[1] - q[1]) / h]; });
    add(J.map((j) => j[0]!), r[0]!, w);
    add(J.map((j) => j[1]!), r[1]!, w);
  }
  const wb = 1 / o.boneSigma ** 2;
  for (const { end, length } of bones) {
    const d = dist(x, end);
    if (d < 1e-6) continue;
    add([(x[0] - end[0]) / d, (x[1] - end[1]) / d, (x[2] - end[2]) / d], d - length, wb);
  }
  const wa = 1 / o.accelSigma ** 2;
  for (const { c, rest } of accel) for (let k = 0; k < 3; k++) add([k === 0 ? c : 0, k === 1 ? c : 0, k === 2 ? c : 0], c * x[k]! + rest[k]!, wa);
  // A point seen by one view and held by one segment is free along a line: damped, and no step over maxStep.
  for (let k = 0; k < 3; k++) A[4 * k] += 1e-3 * (A[0]! + A[4]! + A[8]!) + 1e-6;
  const s = solveSmall(A, g);
  if (!s) return null;
  const n = Math.hypot(s[0]!, s[1]!, s[2]!);
  const k = n > MAX_STEP ? MAX_STEP / n : 1;
  return [k * s[0]!, k * s[1]!, k * s[2]!];
}
