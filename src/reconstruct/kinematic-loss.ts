import { angleCount, angleLimits, type Skeleton } from '../body/skeleton.ts';
import type { FkGrad } from '../body/fk-grad.ts';
import { LANDMARK_COUNT, LANDMARK_INDEX as L } from '../formats/landmarks.ts';
import type { PinholeCamera } from '../geometry/camera.ts';
import { quatToMatrix, type Vec3 } from '../geometry/quaternion.ts';
import type { Objective } from '../optimus/types.ts';
import { posePriorTerm, type PosePrior } from './kinematic-prior.ts';

/**
 * The kinematic stage's objective for one window of frames, with its exact gradient
 * (reverse mode through src/body/fk-grad.ts). Parameters per frame:
 * [root position (3), root rotation vector (3), packed joint angles (D)] — the
 * parameterisation of src/body/fk-tf.ts and fk-grad.ts. Every term is a mean per landmark in m²,
 * so the weights compare like with like:
 *  - reprojection: confidence-weighted Geman–McClure of the 2D error, measured in metres
 *    at the subject's depth (pixels / focal length × depth), so outliers saturate;
 *  - prior3d: the detector's 3D landmarks (hip-centred, camera axes) — weak;
 *  - target3d: absolute 3D targets (used by the initialisation phase only);
 *  - smooth: landmark acceleration (m/frame²) beyond the detector's own (WindowData.accelTarget),
 *    including fixed frames before the window;
 *  - limits: squared excess over the joint limits;
 *  - ground: squared depth of the soles below y = 0;
 *  - contact: squared height of the soles of feet in stance (WindowData.stance) above their
 *    flat-foot height over y = 0 (kinematic-contact.ts);
 *  - pose: a small pull of the joint angles toward the rest pose (resolves ambiguity);
 *  - posePrior: Mahalanobis distance of the joint angles under a Gaussian learned from mocap
 *    (kinematic-prior.ts), per angle; needs LossContext.posePrior.
 */
export interface KinematicWeights {
  reprojection: number;
  prior3d: number;
  target3d: number;
  smooth: number;
  limits: number;
  ground: number;
  contact: number;
  pose: number;
  posePrior: number;
}

export const KINEMATIC_WEIGHTS: KinematicWeights = {
  reprojection: 1,
  prior3d: 0.05,
  target3d: 0,
  smooth: 0.5,
  limits: 10,
  ground: 10,
  /** Off: on bench:real it lowers the soles in stance but moves PA-MPJPE by −5 to +7 mm (docs/notebook/real-video.md). */
  contact: 0,
  pose: 1e-6,
  /** bench:real (full) mean kinematic PA-MPJPE man 113.5 → 108.3 mm, woman 70.8 → 67.8 at 2e-3 with KINEMATIC_DEFAULTS.posePriorFree (106.5 / 63.4 without it). */
  posePrior: 2e-3,
};

/** Geman–McClure scale (metres at the subject's depth): errors beyond ~10 cm saturate. */
export const ROBUST_SCALE = 0.1;

export interface WindowData {
  frames: number;
  /** Normalised image coordinates [(u − cx)/fx, −(v − cy)/fy] per frame and landmark (W·33·2). */
  normalized: Float32Array;
  /** Confidence per frame and landmark (W·33). */
  confidence: Float32Array;
  /** Detector 3D landmarks, hip-centred, camera axes (W·33·3), with a weight per frame·landmark; or null. */
  prior3d: { points: Float32Array; weight: Float32Array } | null;
  /** Absolute world targets (W·33·3) with weights (initialisation), or null. */
  target3d: { points: Float32Array; weight: Float32Array } | null;
  /** Landmarks of up to two fixed frames just before the window (k·33·3), for the smoothness term. */
  before: Float32Array | null;
  /**
   * What the smoothness term lets each landmark accelerate by (camera axes, m/frame², one entry
   * per acceleration of [before; window]: (before + W − 2)·33·3): the detector's own hip-centred
   * accelerations, so a fast swing the detector sees is not smoothed away; null: none (zero).
   */
  accelTarget?: Float32Array | null;
  /** Per frame [left, right] stance weight (W·2) for the contact term, or null. */
  stance?: Float32Array | null;
  /** Height above the ground of each SOLE_LANDMARKS entry on a flat foot (m). */
  soleRest?: readonly number[];
}

export interface LossContext {
  skel: Skeleton;
  fk: FkGrad;
  camera: PinholeCamera;
  /** Typical subject depth (m): turns normalised image errors into metres. */
  depth: number;
  weights: KinematicWeights;
  /**
   * Radians by which the loss widens the skeleton's joint limits (the lower end of 1-DoF
   * hinges stays: knees and elbows never bend backwards). The limits are bounds on
   * rotation-vector components, not anatomical angles: a deep squat measures up to 0.7 rad
   * past the hip's abduction bound and 0.2 rad past the knee's (CMU 22_14).
   */
  limitMargin?: number;
  /** The learned pose prior the posePrior term reads (null or absent: the term is off). */
  posePrior?: PosePrior | null;
  /** Per-angle prior value a frame has for free (kinematic-prior.ts posePriorTerm's `free`; 0 when absent). */
  posePriorFree?: number;
}

/** Default of LossContext.limitMargin. */
export const LIMIT_MARGIN = 0.3;

export const SOLE_LANDMARKS = [L.left_heel, L.right_heel, L.left_foot_index, L.right_foot_index];

/** Parameters per frame: root position, root rotation vector, joint angles. */
export function paramsPerFrame(skel: Skeleton): number {
  return 6 + angleCount(skel);
}

/** Per-term values of a window loss (for reports). */
export type LossTerms = Record<keyof KinematicWeights, number>;

/** Weighted 3D points normalised to weights summing to 1 (null when absent or all zero). */
type WeightedPoints = { points: Float32Array; weight: Float64Array } | null;

/** Everything a window's terms read, computed once per window. */
interface WindowTerms {
  W: number;
  D: number;
  P: number;
  w: KinematicWeights;
  /** World → camera: pc = Mᵀ (p − C) with M the camera's rotation (row-major). */
  M: number[];
  C: Vec3;
  data: WindowData;
  /** Confidences normalised to sum 1. */
  conf: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  prior: WeightedPoints;
  target: WeightedPoints;
  /** Fixed frames before the window. */
  kBefore: number;
  /** data.accelTarget in world axes, or null. */
  accel: Float64Array | null;
  /** Robust scale squared, in normalised image units. */
  s2: number;
  depth2: number;
  posePrior: PosePrior | null;
  posePriorFree: number;
}

function normalizedWeights(d: { points: Float32Array; weight: Float32Array } | null): WeightedPoints {
  if (!d) return null;
  const s = d.weight.reduce((a, b) => a + b, 0);
  if (s <= 0) return null;
  return { points: d.points, weight: Float64Array.from(d.weight, (v) => v / s) };
}

function windowTerms(ctx: LossContext, data: WindowData): WindowTerms {
  const D = angleCount(ctx.skel);
  const w = ctx.weights;
  const confSum = data.confidence.reduce((a, b) => a + b, 0);
  const { lower, upper } = widenedLimits(ctx.skel, ctx.limitMargin ?? LIMIT_MARGIN);
  const M = quatToMatrix(ctx.camera.rotation);
  return {
    W: data.frames, D, P: 6 + D, w,
    M, C: ctx.camera.position, data,
    conf: Float64Array.from(data.confidence, (c) => c / Math.max(confSum, 1e-9)),
    lower, upper,
    prior: w.prior3d > 0 ? normalizedWeights(data.prior3d) : null,
    target: w.target3d > 0 ? normalizedWeights(data.target3d) : null,
    kBefore: data.before ? data.before.length / (LANDMARK_COUNT * 3) : 0,
    accel: data.accelTarget ? cameraToWorldAxes(data.accelTarget, M) : null,
    s2: (ROBUST_SCALE / ctx.depth) ** 2,
    depth2: ctx.depth * ctx.depth,
    posePrior: w.posePrior > 0 && ctx.posePrior ? ctx.posePrior : null,
    posePriorFree: ctx.posePriorFree ?? 0,
  };
}

/**
 * Builds the window loss of the flat parameter vector, with its exact gradient by reverse
 * mode through `FkGrad` (plain float64 arithmetic: a window is far too small for tfjs,
 * whose per-kernel dispatch cost dominated the stage).
 */
export function windowLoss(ctx: LossContext, data: WindowData) {
  const t = windowTerms(ctx, data);
  const { W, P, w } = t;
  const fk = ctx.fk;
  const N = LANDMARK_COUNT;

  const totalOf = (terms: LossTerms): number => {
    let sum = 0;
    for (const k of Object.keys(terms) as (keyof KinematicWeights)[]) if (w[k] > 0) sum += w[k] * terms[k];
    return sum;
  };

  return {
    dim: W * P,
    valueAndGrad(x: Float64Array): { value: number; grad: Float64Array } {
      const grad = new Float64Array(W * P);
      const v = totalOf(evaluateTerms(t, fk, x, grad));
      for (let i = 0; i < grad.length; i++) if (!Number.isFinite(grad[i]!)) grad[i] = 0;
      return { value: Number.isFinite(v) ? v : Infinity, grad };
    },
    /** Each term's unweighted value at x. */
    terms(x: Float64Array): LossTerms {
      return evaluateTerms(t, fk, x, null);
    },
    /** Landmarks [W][33] of x. */
    landmarks(x: Float64Array): Vec3[][] {
      const d = fk.forward(x, W);
      return Array.from({ length: W }, (_, f) => Array.from({ length: N }, (_, j) => [d[(f * N + j) * 3]!, d[(f * N + j) * 3 + 1]!, d[(f * N + j) * 3 + 2]!] as Vec3));
    },
  };
}

/**
 * Every term's unweighted value at x; with `grad`, adds the gradient of the weighted sum
 * (terms with weight 0 or no data are left out, as in the total). Each term adds its
 * landmark gradient to `gLm`, which one backward pass through FK turns into `grad`.
 */
function evaluateTerms(t: WindowTerms, fk: FkGrad, x: ArrayLike<number>, grad: Float64Array | null): LossTerms {
  const lm = fk.forward(x, t.W); // [W·33·3]
  const gLm = grad ? new Float64Array(lm.length) : null;
  const reprojection = reprojectionTerm(t, lm, gLm);
  const prior3d = prior3dTerm(t, lm, gLm);
  const target3d = target3dTerm(t, lm, gLm);
  const smooth = smoothTerm(t, lm, gLm);
  const ground = groundTerm(t, lm, gLm);
  const contact = contactTerm(t, lm, gLm);
  const { limits, pose } = angleTerms(t, x, grad);
  const posePrior = t.posePrior ? posePriorTerm(t.posePrior, x, t.W, t.P, 6, t.w.posePrior, grad, t.posePriorFree) : 0;
  if (grad && gLm) fk.backward(gLm, grad);
  return { reprojection, prior3d, target3d, smooth, limits, ground, contact, pose, posePrior };
}

/** Geman–McClure of the 2D error in normalised image units, reported in m² at `depth`. */
function reprojectionTerm(t: WindowTerms, lm: Float64Array, gLm: Float64Array | null): number {
  // Plain locals in the hot loops (object property reads there cost measurably).
  const { M, C, conf, s2, depth2 } = t;
  const normalized = t.data.normalized;
  const wr = t.w.reprojection;
  const n = t.W * LANDMARK_COUNT;
  let value = 0;
  for (let i = 0; i < n; i++) {
    const d0 = lm[i * 3]! - C[0], d1 = lm[i * 3 + 1]! - C[1], d2 = lm[i * 3 + 2]! - C[2];
    const p0 = d0 * M[0]! + d1 * M[3]! + d2 * M[6]!;
    const p1 = d0 * M[1]! + d1 * M[4]! + d2 * M[7]!;
    const p2 = d0 * M[2]! + d1 * M[5]! + d2 * M[8]!;
    const zRaw = -p2;
    const z = zRaw > 0.1 ? zRaw : 0.1; // points behind the camera are clamped, not flipped
    const ex = p0 / z - normalized[i * 2]!, ey = p1 / z - normalized[i * 2 + 1]!;
    const e2 = ex * ex + ey * ey;
    value += ((e2 * s2) / (e2 + s2)) * conf[i]! * depth2;
    if (gLm && wr > 0) {
      const k = (wr * depth2 * conf[i]! * s2 * s2) / ((e2 + s2) * (e2 + s2)); // dV/de²
      const g0 = (2 * k * ex) / z, g1 = (2 * k * ey) / z;
      const g2 = zRaw > 0.1 ? (2 * k * (ex * p0 + ey * p1)) / (z * z) : 0; // dV/dp2 = −dV/dz
      gLm[i * 3]! += M[0]! * g0 + M[1]! * g1 + M[2]! * g2;
      gLm[i * 3 + 1]! += M[3]! * g0 + M[4]! * g1 + M[5]! * g2;
      gLm[i * 3 + 2]! += M[6]! * g0 + M[7]! * g1 + M[8]! * g2;
    }
  }
  return value;
}

/** The detector's hip-centred 3D landmarks, in camera axes. */
function prior3dTerm(t: WindowTerms, lm: Float64Array, gLm: Float64Array | null): number {
  const prior = t.prior;
  if (!prior) return 0;
  const { M, W } = t;
  const wp = t.w.prior3d;
  const N = LANDMARK_COUNT;
  let value = 0;
  for (let f = 0; f < W; f++) {
    const lh = (f * N + L.left_hip) * 3, rh = (f * N + L.right_hip) * 3;
    const mid0 = 0.5 * (lm[lh]! + lm[rh]!), mid1 = 0.5 * (lm[lh + 1]! + lm[rh + 1]!), mid2 = 0.5 * (lm[lh + 2]! + lm[rh + 2]!);
    let gm0 = 0, gm1 = 0, gm2 = 0;
    for (let j = 0; j < N; j++) {
      const i = f * N + j;
      const d0 = lm[i * 3]! - mid0, d1 = lm[i * 3 + 1]! - mid1, d2 = lm[i * 3 + 2]! - mid2;
      const e0 = d0 * M[0]! + d1 * M[3]! + d2 * M[6]! - prior.points[i * 3]!;
      const e1 = d0 * M[1]! + d1 * M[4]! + d2 * M[7]! - prior.points[i * 3 + 1]!;
      const e2 = d0 * M[2]! + d1 * M[5]! + d2 * M[8]! - prior.points[i * 3 + 2]!;
      const pw = prior.weight[i]!;
      value += (e0 * e0 + e1 * e1 + e2 * e2) * pw;
      if (gLm) {
        const k = 2 * wp * pw;
        const g0 = k * (M[0]! * e0 + M[1]! * e1 + M[2]! * e2);
        const g1 = k * (M[3]! * e0 + M[4]! * e1 + M[5]! * e2);
        const g2 = k * (M[6]! * e0 + M[7]! * e1 + M[8]! * e2);
        gLm[i * 3]! += g0; gLm[i * 3 + 1]! += g1; gLm[i * 3 + 2]! += g2;
        gm0 -= g0; gm1 -= g1; gm2 -= g2;
      }
    }
    if (gLm) {
      gLm[lh]! += 0.5 * gm0; gLm[lh + 1]! += 0.5 * gm1; gLm[lh + 2]! += 0.5 * gm2;
      gLm[rh]! += 0.5 * gm0; gLm[rh + 1]! += 0.5 * gm1; gLm[rh + 2]! += 0.5 * gm2;
    }
  }
  return value;
}

/** Absolute 3D targets (initialisation). */
function target3dTerm(t: WindowTerms, lm: Float64Array, gLm: Float64Array | null): number {
  const target = t.target;
  if (!target) return 0;
  const wt = t.w.target3d;
  const n = t.W * LANDMARK_COUNT;
  let value = 0;
  for (let i = 0; i < n; i++) {
    const tw = target.weight[i]!;
    for (let c = 0; c < 3; c++) {
      const e = lm[i * 3 + c]! - target.points[i * 3 + c]!;
      value += e * e * tw;
      if (gLm) gLm[i * 3 + c]! += 2 * wt * tw * e;
    }
  }
  return value;
}

/** Landmark acceleration over [fixed frames before the window; the window]. */
function smoothTerm(t: WindowTerms, lm: Float64Array, gLm: Float64Array | null): number {
  const { kBefore } = t;
  const N = LANDMARK_COUNT;
  const K = kBefore + t.W;
  if (K < 3) return 0;
  const F = N * 3;
  const all = new Float64Array(K * F);
  if (kBefore > 0) all.set(t.data.before!, 0);
  all.set(lm, kBefore * F);
  const scale = 1 / ((K - 2) * N);
  const g = t.w.smooth > 0 ? 2 * t.w.smooth * scale : 0;
  const target = t.accel;
  let value = 0;
  for (let k = 0; k + 2 < K; k++) {
    for (let q = 0; q < F; q++) {
      const acc = all[(k + 2) * F + q]! - 2 * all[(k + 1) * F + q]! + all[k * F + q]! - (target ? target[k * F + q]! : 0);
      value += acc * acc * scale;
      if (gLm && g > 0) {
        if (k >= kBefore) gLm[(k - kBefore) * F + q]! += g * acc;
        if (k + 1 >= kBefore) gLm[(k + 1 - kBefore) * F + q]! -= 2 * g * acc;
        gLm[(k + 2 - kBefore) * F + q]! += g * acc;
      }
    }
  }
  return value;
}

/** Camera-axis vectors (x, y, z per entry) turned into world axes: M·v (M the camera's rotation, row-major). */
function cameraToWorldAxes(v: Float32Array, M: number[]): Float64Array {
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i += 3) {
    const a = v[i]!, b = v[i + 1]!, c = v[i + 2]!;
    out[i] = M[0]! * a + M[1]! * b + M[2]! * c;
    out[i + 1] = M[3]! * a + M[4]! * b + M[5]! * c;
    out[i + 2] = M[6]! * a + M[7]! * b + M[8]! * c;
  }
  return out;
}

/** Soles above the ground. */
function groundTerm(t: WindowTerms, lm: Float64Array, gLm: Float64Array | null): number {
  const W = t.W;
  const wg = t.w.ground;
  let value = 0;
  for (let f = 0; f < W; f++) {
    for (const l of SOLE_LANDMARKS) {
      const q = (f * LANDMARK_COUNT + l) * 3 + 1;
      const y = lm[q]!;
      if (y >= 0) continue;
      value += (y * y) / (W * SOLE_LANDMARKS.length);
      if (gLm && wg > 0) gLm[q]! += (2 * wg * y) / (W * SOLE_LANDMARKS.length);
    }
  }
  return value;
}

/** Soles of feet in stance on the floor: each at its flat-foot height above y = 0. */
function contactTerm(t: WindowTerms, lm: Float64Array, gLm: Float64Array | null): number {
  const stance = t.data.stance;
  if (!stance || !(t.w.contact > 0)) return 0;
  const { W } = t;
  const wc = t.w.contact;
  const rest = t.data.soleRest ?? [0, 0, 0, 0];
  const n = W * SOLE_LANDMARKS.length;
  let value = 0;
  for (let f = 0; f < W; f++) {
    SOLE_LANDMARKS.forEach((l, k) => {
      const w = stance[f * 2 + (k % 2)]!;
      if (!(w > 0)) return;
      const q = (f * LANDMARK_COUNT + l) * 3 + 1;
      const e = lm[q]! - rest[k]!;
      value += (w * e * e) / n;
      if (gLm) gLm[q]! += (2 * wc * w * e) / n;
    });
  }
  return value;
}

/** Joint limits and the pull toward the rest pose act on the angles directly. */
function angleTerms(t: WindowTerms, x: ArrayLike<number>, grad: Float64Array | null): { limits: number; pose: number } {
  const { W, D, P, lower, upper, w } = t;
  let limits = 0, pose = 0;
  for (let f = 0; f < W; f++) {
    for (let d = 0; d < D; d++) {
      const k = f * P + 6 + d;
      const a = x[k]!;
      const over = a > upper[d]! ? a - upper[d]! : a < lower[d]! ? a - lower[d]! : 0;
      limits += (over * over) / W;
      pose += (a * a) / W;
      if (grad) grad[k]! += (2 * (w.limits * over + w.pose * a)) / W;
    }
  }
  return { limits, pose };
}

export type WindowLoss = ReturnType<typeof windowLoss>;

/** The skeleton's joint limits widened by `margin` (hinges: upper end only). */
export function widenedLimits(skel: Skeleton, margin: number): { lower: Float64Array; upper: Float64Array } {
  const { lower, upper } = angleLimits(skel);
  let k = 0;
  for (const j of skel.joints) {
    if (j.parent < 0) continue;
    for (let i = 0; i < j.axes.length; i++, k++) {
      if (j.axes.length > 1) lower[k]! -= margin;
      upper[k]! += margin;
    }
  }
  return { lower, upper };
}

/** The window loss as an Objective for src/optimus. */
export function asObjective(loss: WindowLoss, name: string): Objective {
  return { name, dim: loss.dim, valueAndGrad: (x) => loss.valueAndGrad(x) };
}
