import type { Vec3 } from '../geometry/quaternion.ts';
import { procrustesAlign } from '../geometry/procrustes.ts';
import { BODY_17, LANDMARK_INDEX, type LandmarkName } from '../formats/landmarks.ts';
import type { Metrics } from '../formats/metrics.ts';

/**
 * Evaluation metrics of the physics-based motion capture literature (DESIGN §4.5),
 * computed on sequences of the 33 MediaPipe landmarks in world metres (y up,
 * ground at y = 0). Every function is pure; lengths come out in millimetres.
 *
 * Definitions (all averaged over frames and over the EVAL_LANDMARKS):
 * - MPJPE: root-aligned mean per-joint position error. Both skeletons are translated
 *   so that their pelvis (midpoint of the two hip landmarks) is at the origin.
 * - PA-MPJPE: per frame, the prediction is aligned to the truth with a similarity
 *   Procrustes transform (scale, rotation, translation; Umeyama), then MPJPE.
 * - MPJPE-G: global error, no alignment at all (world frame positions).
 * - Acceleration error: mean ‖a_pred − a_true‖ with a = p[t+1] − 2p[t] + p[t−1], the
 *   second difference of root-aligned positions, in mm/frame² (as in HMMR/VIBE).
 * - Foot skating: share (%) of frame transitions t−1 → t in which a foot in contact
 *   slides. A foot is in contact when both its points (heel and foot_index landmarks)
 *   are lower than `contactHeight` (5 cm) at both frames; it slides when the centre of
 *   those points moves more than `skateDistance` (2 cm) horizontally. Requiring both
 *   points keeps a swinging foot out: in real walking the toe skims the ground a few
 *   centimetres up at 3–4 m/s, and a one-point rule flags ~30 % of the frames of the
 *   ground truth itself (CMU walk at 30 fps). Measured on the prediction alone (it is a
 *   plausibility measure, not an error; evaluate() also reports the truth's own value).
 * - Penetration: mean over frames and the four foot points of the depth below the
 *   ground, max(0, −y), in mm (prediction alone).
 * - Ground distance: over frames where the truth has a foot in contact (its lowest foot
 *   point below `contactHeight`), the mean |h_pred − h_true| of the lowest foot point
 *   height, in mm: how much the predicted contact foot floats or sinks where the true
 *   foot touches the ground.
 * - Float: over the same frames, the mean height above the ground, max(0, h_pred), of the
 *   predicted lowest foot point, in mm: a body hovering over the floor.
 */

/** The landmarks scored by the position metrics: the 17 body landmarks (formats/landmarks.ts). */
export const EVAL_LANDMARKS: readonly LandmarkName[] = BODY_17;

/** Foot points used by the contact metrics, per foot. */
export const FOOT_LANDMARKS: { left: readonly LandmarkName[]; right: readonly LandmarkName[] } = {
  left: ['left_heel', 'left_foot_index'],
  right: ['right_heel', 'right_foot_index'],
};

/** One frame: 33 landmark positions in world metres. */
export type LandmarkFrame = readonly Vec3[];

export interface MetricOptions {
  /** Landmarks scored by the position metrics. */
  landmarks?: readonly LandmarkName[];
  /** A foot point lower than this (m) is in contact with the ground. */
  contactHeight?: number;
  /** Horizontal motion (m) between frames of a contact point that counts as skating. */
  skateDistance?: number;
}

export const METRIC_DEFAULTS: Required<MetricOptions> = {
  landmarks: EVAL_LANDMARKS,
  contactHeight: 0.05,
  skateDistance: 0.02,
};

const MM = 1000;

function pick(frame: LandmarkFrame, indices: readonly number[]): Vec3[] {
  return indices.map((i) => frame[i]!);
}

function indicesOf(names: readonly LandmarkName[]): number[] {
  return names.map((n) => LANDMARK_INDEX[n]);
}

/** Pelvis = midpoint of the hip landmarks. */
export function pelvis(frame: LandmarkFrame): Vec3 {
  const l = frame[LANDMARK_INDEX.left_hip]!;
  const r = frame[LANDMARK_INDEX.right_hip]!;
  return [(l[0] + r[0]) / 2, (l[1] + r[1]) / 2, (l[2] + r[2]) / 2];
}

function rootAligned(frame: LandmarkFrame, indices: readonly number[]): Vec3[] {
  const c = pelvis(frame);
  return pick(frame, indices).map((p) => [p[0] - c[0], p[1] - c[1], p[2] - c[2]] as Vec3);
}

function meanDistance(a: readonly Vec3[], b: readonly Vec3[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.hypot(a[i]![0] - b[i]![0], a[i]![1] - b[i]![1], a[i]![2] - b[i]![2]);
  return a.length ? s / a.length : 0;
}

function meanOver<T>(items: readonly T[], f: (item: T, i: number) => number): number {
  if (items.length === 0) return 0;
  let s = 0;
  items.forEach((item, i) => { s += f(item, i); });
  return s / items.length;
}

/** Root-aligned MPJPE in mm. */
export function mpjpe(pred: readonly LandmarkFrame[], truth: readonly LandmarkFrame[], options: MetricOptions = {}): number {
  const idx = indicesOf(options.landmarks ?? METRIC_DEFAULTS.landmarks);
  return MM * meanOver(pred, (p, t) => meanDistance(rootAligned(p, idx), rootAligned(truth[t]!, idx)));
}

/** Procrustes-aligned MPJPE in mm. */
export function paMpjpe(pred: readonly LandmarkFrame[], truth: readonly LandmarkFrame[], options: MetricOptions = {}): number {
  const idx = indicesOf(options.landmarks ?? METRIC_DEFAULTS.landmarks);
  return MM * meanOver(pred, (p, t) => {
    const tr = pick(truth[t]!, idx);
    return meanDistance(procrustesAlign(pick(p, idx), tr), tr);
  });
}

/** Global MPJPE (no alignment) in mm. */
export function mpjpeG(pred: readonly LandmarkFrame[], truth: readonly LandmarkFrame[], options: MetricOptions = {}): number {
  const idx = indicesOf(options.landmarks ?? METRIC_DEFAULTS.landmarks);
  return MM * meanOver(pred, (p, t) => meanDistance(pick(p, idx), pick(truth[t]!, idx)));
}

/** Acceleration error in mm/frame² (root-aligned second differences); 0 for fewer than 3 frames. */
export function accelError(pred: readonly LandmarkFrame[], truth: readonly LandmarkFrame[], options: MetricOptions = {}): number {
  const idx = indicesOf(options.landmarks ?? METRIC_DEFAULTS.landmarks);
  if (pred.length < 3) return 0;
  const P = pred.map((f) => rootAligned(f, idx));
  const T = truth.map((f) => rootAligned(f, idx));
  let s = 0;
  let n = 0;
  for (let t = 1; t < P.length - 1; t++) {
    for (let j = 0; j < idx.length; j++) {
      let e2 = 0;
      for (let k = 0; k < 3; k++) {
        const ap = P[t + 1]![j]![k]! - 2 * P[t]![j]![k]! + P[t - 1]![j]![k]!;
        const at = T[t + 1]![j]![k]! - 2 * T[t]![j]![k]! + T[t - 1]![j]![k]!;
        e2 += (ap - at) ** 2;
      }
      s += Math.sqrt(e2);
      n++;
    }
  }
  return (MM * s) / n;
}

/**
 * Horizontal displacement (m) of a foot's centre (mean of its landmark points) between two
 * frames, given as coordinate accessors (landmark, axis): what foot skating compares with
 * `skateDistance` (the physics stage's loss uses the same measure).
 */
export function footCentreShift(before: (landmark: number, axis: number) => number, after: (landmark: number, axis: number) => number, points: readonly number[]): number {
  let dx = 0;
  let dz = 0;
  for (const i of points) { dx += after(i, 0) - before(i, 0); dz += after(i, 2) - before(i, 2); }
  return Math.hypot(dx, dz) / points.length;
}

/** Share (%) of frame transitions in which a foot in ground contact slides (see the header). */
export function footSkatePct(frames: readonly LandmarkFrame[], options: MetricOptions = {}): number {
  const h = options.contactHeight ?? METRIC_DEFAULTS.contactHeight;
  const d = options.skateDistance ?? METRIC_DEFAULTS.skateDistance;
  if (frames.length < 2) return 0;
  const feet = [indicesOf(FOOT_LANDMARKS.left), indicesOf(FOOT_LANDMARKS.right)];
  let skating = 0;
  for (let t = 1; t < frames.length; t++) {
    const a = frames[t - 1]!;
    const b = frames[t]!;
    const slides = feet.some((foot) => {
      if (!foot.every((i) => a[i]![1] < h && b[i]![1] < h)) return false;
      return footCentreShift((i, c) => a[i]![c]!, (i, c) => b[i]![c]!, foot) > d;
    });
    if (slides) skating++;
  }
  return (100 * skating) / (frames.length - 1);
}

/** Mean depth (mm) of the foot points below the ground, over frames and foot points. */
export function penetrationMm(frames: readonly LandmarkFrame[]): number {
  const idx = [...indicesOf(FOOT_LANDMARKS.left), ...indicesOf(FOOT_LANDMARKS.right)];
  return MM * meanOver(frames, (f) => meanOver(idx, (i) => Math.max(0, -f[i]![1])));
}

function lowestFootHeight(frame: LandmarkFrame): number {
  let lo = Infinity;
  for (const n of [...FOOT_LANDMARKS.left, ...FOOT_LANDMARKS.right]) lo = Math.min(lo, frame[LANDMARK_INDEX[n]]![1]);
  return lo;
}

/** Mean |h_pred − h_true| (mm) of the lowest foot point over the truth's contact frames (0 when none). */
export function groundDistanceMm(pred: readonly LandmarkFrame[], truth: readonly LandmarkFrame[], options: MetricOptions = {}): number {
  const h = options.contactHeight ?? METRIC_DEFAULTS.contactHeight;
  let s = 0;
  let n = 0;
  truth.forEach((f, t) => {
    const ht = lowestFootHeight(f);
    if (ht < h) { s += Math.abs(lowestFootHeight(pred[t]!) - ht); n++; }
  });
  return n ? (MM * s) / n : 0;
}

/**
 * Mean height (mm) of the lowest foot point above the ground, max(0, h), over the frames where
 * the truth (or, without one, the prediction itself) has a foot in contact — its lowest foot
 * point below `contactHeight`: a body hovering over the floor shows here, not in penetration.
 */
export function floatMm(pred: readonly LandmarkFrame[], truth?: readonly LandmarkFrame[], options: MetricOptions = {}): number {
  const h = options.contactHeight ?? METRIC_DEFAULTS.contactHeight;
  const reference = truth ?? pred;
  let s = 0;
  let n = 0;
  pred.forEach((f, t) => {
    if (lowestFootHeight(reference[t]!) < h) { s += Math.max(0, lowestFootHeight(f)); n++; }
  });
  return n ? (MM * s) / n : 0;
}

/** All metrics of metrics.json for two landmark sequences of equal length (checked by the caller). */
export function computeMetrics(pred: readonly LandmarkFrame[], truth: readonly LandmarkFrame[], options: MetricOptions = {}): Metrics {
  return { ...positionMetrics(pred, truth, options), ...contactMetrics(pred, truth, options), frames: pred.length };
}

/** The position metrics (MPJPE, PA-MPJPE, MPJPE-G, acceleration): valid in any rigid frame shared by both. */
export function positionMetrics(pred: readonly LandmarkFrame[], truth: readonly LandmarkFrame[], options: MetricOptions = {}): Pick<Metrics, 'mpjpe' | 'paMpjpe' | 'mpjpeG' | 'accelError'> {
  return {
    mpjpe: mpjpe(pred, truth, options),
    paMpjpe: paMpjpe(pred, truth, options),
    mpjpeG: mpjpeG(pred, truth, options),
    accelError: accelError(pred, truth, options),
  };
}

/** The contact metrics (skating, penetration, ground distance): world coordinates, ground at y = 0. */
export function contactMetrics(pred: readonly LandmarkFrame[], truth: readonly LandmarkFrame[], options: MetricOptions = {}): Pick<Metrics, 'footSkatePct' | 'penetrationMm' | 'groundDistanceMm'> & { floatMm: number } {
  return {
    footSkatePct: footSkatePct(pred, options),
    penetrationMm: penetrationMm(pred),
    groundDistanceMm: groundDistanceMm(pred, truth, options),
    floatMm: floatMm(pred, truth, options),
  };
}

/**
 * Per-landmark errors (mm) of the position metrics, for diagnosis: for each scored landmark
 * its root-aligned error and its error after the frame's Procrustes alignment (computed on
 * all scored landmarks together, as PA-MPJPE is), averaged over frames. Their means over
 * the landmarks are the MPJPE and PA-MPJPE.
 */
export function perLandmarkErrors(pred: readonly LandmarkFrame[], truth: readonly LandmarkFrame[], options: MetricOptions = {}): Array<{ landmark: LandmarkName; mpjpe: number; paMpjpe: number }> {
  const names = options.landmarks ?? METRIC_DEFAULTS.landmarks;
  const idx = indicesOf(names);
  const ra = new Array<number>(idx.length).fill(0);
  const pa = new Array<number>(idx.length).fill(0);
  const n = Math.max(1, pred.length);
  pred.forEach((p, t) => {
    const a = rootAligned(p, idx), b = rootAligned(truth[t]!, idx);
    const tr = pick(truth[t]!, idx);
    const al = procrustesAlign(pick(p, idx), tr);
    for (let k = 0; k < idx.length; k++) {
      ra[k]! += Math.hypot(a[k]![0] - b[k]![0], a[k]![1] - b[k]![1], a[k]![2] - b[k]![2]) / n;
      pa[k]! += Math.hypot(al[k]![0] - tr[k]![0], al[k]![1] - tr[k]![1], al[k]![2] - tr[k]![2]) / n;
    }
  });
  return names.map((landmark, k) => ({ landmark, mpjpe: MM * ra[k]!, paMpjpe: MM * pa[k]! }));
}
