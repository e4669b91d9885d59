import type {} from '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';
import type { Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { angleCount, angleLimits, type Skeleton } from '../body/skeleton.ts';
import type { FkTf } from '../body/fk-tf.ts';
import { LANDMARK_COUNT, LANDMARK_INDEX as L } from '../formats/landmarks.ts';
import type { PinholeCamera } from '../geometry/camera.ts';
import { quatToMatrix, type Vec3 } from '../geometry/quaternion.ts';
import { tf } from '../optimus/backend.ts';
import type { Objective } from '../optimus/types.ts';

/**
 * The kinematic stage's objective for one window of frames, in tfjs so its gradient is
 * exact (tf.valueAndGrad on the flat parameter vector). Parameters per frame:
 * [root position (3), root rotation vector (3), packed joint angles (D)] — the
 * parameterisation of src/body/fk-tf.ts. Every term is a mean per landmark in m²,
 * so the weights compare like with like:
 *  - reprojection: confidence-weighted Geman–McClure of the 2D error, measured in metres
 *    at the subject's depth (pixels / focal length × depth), so outliers saturate;
 *  - prior3d: the detector's 3D landmarks (hip-centred, camera axes) — weak;
 *  - target3d: absolute 3D targets (used by the initialisation phase only);
 *  - smooth: landmark acceleration (m/frame²), including fixed frames before the window;
 *  - limits: squared excess over the joint limits;
 *  - ground: squared depth of the soles below y = 0;
 *  - pose: a small pull of the joint angles toward the rest pose (resolves ambiguity).
 */
export interface KinematicWeights {
  reprojection: number;
  prior3d: number;
  target3d: number;
  smooth: number;
  limits: number;
  ground: number;
  pose: number;
}

export const KINEMATIC_WEIGHTS: KinematicWeights = {
  reprojection: 1,
  prior3d: 0.05,
  target3d: 0,
  smooth: 0.5,
  limits: 10,
  ground: 10,
  pose: 1e-6,
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
}

export interface LossContext {
  skel: Skeleton;
  fk: FkTf;
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

/**
 * Builds the window loss as a tfjs function of the flat parameter vector. Constants are
 * created once; `dispose()` frees them.
 */
export function windowLoss(ctx: LossContext, data: WindowData) {
  const W = data.frames;
  const D = angleCount(ctx.skel);
  const N = LANDMARK_COUNT;
  const w = ctx.weights;
  const R = quatToMatrix(ctx.camera.rotation);
  const consts: Tensor[] = [];
  const keep = <T extends Tensor>(t: T): T => { consts.push(t); return t; };

  const M = keep(tf.tensor2d(R, [3, 3]));
  const C = keep(tf.tensor2d([...ctx.camera.position], [1, 3]));
  const target2d = keep(tf.tensor2d(data.normalized, [W * N, 2]));
  const confSum = data.confidence.reduce((a, b) => a + b, 0);
  const conf = keep(tf.tensor2d(data.confidence, [W * N, 1]).div(Math.max(confSum, 1e-9)));
  const { lower, upper } = widenedLimits(ctx.skel, ctx.limitMargin ?? LIMIT_MARGIN);
  const lo = keep(tf.tensor2d(Float32Array.from(lower), [1, D]));
  const hi = keep(tf.tensor2d(Float32Array.from(upper), [1, D]));
  const sole = new Float32Array(N * 3 * SOLE_LANDMARKS.length);
  SOLE_LANDMARKS.forEach((l, c) => { sole[(l * 3 + 1) * SOLE_LANDMARKS.length + c] = 1; });
  const soleSel = keep(tf.tensor2d(sole, [N * 3, SOLE_LANDMARKS.length]));
  const weighted = (d: { points: Float32Array; weight: Float32Array } | null) => {
    if (!d) return null;
    const s = d.weight.reduce((a, b) => a + b, 0);
    if (s <= 0) return null;
    return { points: keep(tf.tensor2d(d.points, [W * N, 3])), weight: keep(tf.tensor2d(d.weight, [W * N, 1]).div(s)) };
  };
  const prior = w.prior3d > 0 ? weighted(data.prior3d) : null;
  const target = w.target3d > 0 ? weighted(data.target3d) : null;
  const kBefore = data.before ? data.before.length / (N * 3) : 0;
  const before = data.before && kBefore > 0 ? keep(tf.tensor3d(data.before, [kBefore, N, 3])) : null;
  const s2 = (ROBUST_SCALE / ctx.depth) ** 2; // robust scale in normalised image units

  /** Loss terms (scalars) for a parameter vector x [W·(6+D)]. */
  const terms = (x: Tensor1D): Record<keyof KinematicWeights, Tensor | null> => {
    const X = x.reshape([W, 6 + D]);
    const rootPosition = X.slice([0, 0], [W, 3]) as Tensor2D;
    const rootRotation = X.slice([0, 3], [W, 3]) as Tensor2D;
    const angles = X.slice([0, 6], [W, D]) as Tensor2D;
    const lm = ctx.fk.landmarks({ rootPosition, rootRotation, angles }); // [W,33,3]
    const flat = lm.reshape([W * N, 3]);

    // Reprojection (Geman–McClure in normalised image units, reported in m² at `depth`).
    const pc = flat.sub(C).matMul(M);
    const z = pc.slice([0, 2], [W * N, 1]).neg().sub(0.1).relu().add(0.1);
    const xy = pc.slice([0, 0], [W * N, 2]).div(z);
    const e2 = xy.sub(target2d).square().sum(1, true);
    const rho = e2.mul(s2).div(e2.add(s2));
    const reprojection = rho.mul(conf).sum().mul(ctx.depth * ctx.depth);

    let prior3d: Tensor | null = null;
    if (prior) {
      const mid = lm.slice([0, L.left_hip, 0], [W, 1, 3]).add(lm.slice([0, L.right_hip, 0], [W, 1, 3])).mul(0.5);
      const rel = lm.sub(mid).reshape([W * N, 3]).matMul(M);
      prior3d = rel.sub(prior.points).square().sum(1, true).mul(prior.weight).sum();
    }
    let target3d: Tensor | null = null;
    if (target) target3d = flat.sub(target.points).square().sum(1, true).mul(target.weight).sum();

    let smooth: Tensor | null = null;
    const all = before ? tf.concat([before, lm], 0) : lm;
    const K = all.shape[0];
    if (K >= 3) {
      const acc = all.slice([2, 0, 0], [K - 2, N, 3]).sub(all.slice([1, 0, 0], [K - 2, N, 3]).mul(2)).add(all.slice([0, 0, 0], [K - 2, N, 3]));
      smooth = acc.square().sum(2).mean();
    }
    const limits = angles.sub(hi).relu().square().add(lo.sub(angles).relu().square()).sum(1).mean();
    const soleY = lm.reshape([W, N * 3]).matMul(soleSel);
    const ground = soleY.neg().relu().square().mean();
    const pose = angles.square().sum(1).mean();
    return { reprojection, prior3d, target3d, smooth, limits, ground, pose };
  };

  const total = (x: Tensor1D): Tensor => {
    const t = terms(x);
    let sum: Tensor = tf.scalar(0);
    for (const k of Object.keys(t) as (keyof KinematicWeights)[]) {
      const v = t[k];
      if (v && w[k] > 0) sum = sum.add(v.mul(w[k]));
    }
    return sum;
  };

  const grad = tf.valueAndGrad(total);

  return {
    dim: W * (6 + D),
    valueAndGrad(x: Float64Array): { value: number; grad: Float64Array } {
      const xt = tf.tensor1d(Float32Array.from(x));
      const { value, grad: g } = tf.tidy(() => grad(xt));
      xt.dispose();
      const v = value.dataSync()[0]!;
      const gd = g.dataSync();
      value.dispose();
      g.dispose();
      const out = new Float64Array(gd.length);
      for (let i = 0; i < gd.length; i++) out[i] = Number.isFinite(gd[i]!) ? gd[i]! : 0;
      return { value: Number.isFinite(v) ? v : Infinity, grad: out };
    },
    /** Each term's unweighted value at x. */
    terms(x: Float64Array): LossTerms {
      const out = {} as LossTerms;
      tf.tidy(() => {
        const t = terms(tf.tensor1d(Float32Array.from(x)));
        for (const k of Object.keys(t) as (keyof KinematicWeights)[]) out[k] = t[k] ? t[k]!.dataSync()[0]! : 0;
      });
      return out;
    },
    /** Landmarks [W][33] of x. */
    landmarks(x: Float64Array): Vec3[][] {
      const lm = tf.tidy(() => {
        const X = tf.tensor2d(Float32Array.from(x), [W, 6 + D]);
        return ctx.fk.landmarks({
          rootPosition: X.slice([0, 0], [W, 3]) as Tensor2D,
          rootRotation: X.slice([0, 3], [W, 3]) as Tensor2D,
          angles: X.slice([0, 6], [W, D]) as Tensor2D,
        });
      });
      const d = lm.dataSync();
      lm.dispose();
      return Array.from({ length: W }, (_, t) => Array.from({ length: N }, (_, j) => [d[(t * N + j) * 3]!, d[(t * N + j) * 3 + 1]!, d[(t * N + j) * 3 + 2]!] as Vec3));
    },
    dispose(): void {
      for (const c of consts) c.dispose();
    },
  };
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
