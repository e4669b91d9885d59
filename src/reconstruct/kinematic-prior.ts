import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { readValidated } from '../formats/io.ts';
import { symmetricEigen } from '../geometry/eigen.ts';
import { Rng } from '../random.ts';

/**
 * A learned pose prior for the kinematic stage: a Gaussian mixture over the packed joint-angle
 * vector (src/body/pose.ts anglesFromPose), fitted on mocap retargeted to the project's skeleton
 * (scripts/fit-pose-prior.ts, CMU clips of ../shared/data/mocap only). The loss term is
 * −2·log p(angles)/dim, offset so that a component's mean scores ~0 (one component: the
 * Mahalanobis distance per angle). It says which joint combinations people adopt: evidence about
 * depth that neither the 2D keypoints nor a per-frame 3D guess carry.
 */
const component = z.object({
  weight: z.number().positive(),
  mean: z.array(z.number()),
  /** Inverse of the regularised covariance, row-major dim × dim. */
  precision: z.array(z.number()),
  logDetPrecision: z.number(),
});
export const posePriorSchema = z.object({
  format: z.literal('optimus-motion/pose-prior@1'),
  /** Angles per frame (the skeleton's angleCount). */
  dim: z.number().int().positive(),
  components: z.array(component).min(1),
  provenance: z.record(z.string(), z.unknown()),
}).refine((p) => p.components.every((c) => c.mean.length === p.dim && c.precision.length === p.dim * p.dim), { message: 'every component needs dim means and a dim × dim precision' });

export type PosePrior = z.infer<typeof posePriorSchema>;

export interface PosePriorFit {
  /** Mixture components. */
  components: number;
  /**
   * Added to every variance (rad²): angles the clips never move (the hands, spine twist) would
   * otherwise get an infinite precision; 0.05 rad² is a spread of ~13°.
   */
  ridge: number;
  /** EM iterations (mixtures only). */
  iterations: number;
  seed: number;
}

export const POSE_PRIOR_FIT_DEFAULTS: PosePriorFit = { components: 1, ridge: 0.05, iterations: 60, seed: 0 };

/** The prior shipped with the project (data/pose-prior/cmu-gaussian.json). */
export const DEFAULT_POSE_PRIOR_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../../data/pose-prior/cmu-gaussian.json');

let cached: PosePrior | null = null;

/** The shipped prior (read once); null when the file is absent. */
export function defaultPosePrior(): PosePrior | null {
  if (!cached && existsSync(DEFAULT_POSE_PRIOR_PATH)) cached = readValidated(posePriorSchema, DEFAULT_POSE_PRIOR_PATH);
  return cached;
}

/** A Gaussian mixture over angle vectors (one per frame) by EM from a seeded k-means++ start. */
export function fitPosePrior(samples: readonly ArrayLike<number>[], provenance: Record<string, unknown>, options: Partial<PosePriorFit> = {}): PosePrior {
  const o = { ...POSE_PRIOR_FIT_DEFAULTS, ...options };
  if (samples.length < 2 * o.components) throw new Error(`a pose prior of ${o.components} components needs at least ${2 * o.components} frames`);
  const D = samples[0]!.length;
  const n = samples.length;
  // Responsibilities: hard k-means++ seeds first, then EM.
  let resp = seedResponsibilities(samples, o.components, new Rng(o.seed));
  let comps = resp.map((r) => weightedGaussian(samples, r, D, o.ridge));
  for (let it = 0; o.components > 1 && it < o.iterations; it++) {
    const logp = samples.map((s) => comps.map((c) => componentLog(c, s, D).log));
    resp = comps.map((_, k) => logp.map((l) => Math.exp(l[k]! - logSumExp(l))));
    comps = resp.map((r) => weightedGaussian(samples, r, D, o.ridge));
  }
  const total = comps.reduce((s, c) => s + c.weight, 0) || n;
  return { format: 'optimus-motion/pose-prior@1', dim: D, components: comps.map((c) => ({ ...c, weight: c.weight / total })), provenance };
}

/** One responsibility vector per component: each sample wholly in its nearest k-means++ seed. */
function seedResponsibilities(samples: readonly ArrayLike<number>[], K: number, rng: Rng): number[][] {
  const dist2 = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let d = 0; d < a.length; d++) s += (a[d]! - b[d]!) ** 2; return s; };
  const seeds = [samples[Math.floor(rng.next() * samples.length)]!];
  while (seeds.length < K) {
    const w = samples.map((s) => Math.min(...seeds.map((c) => dist2(s, c))));
    let u = rng.next() * w.reduce((a, b) => a + b, 0);
    const i = w.findIndex((v) => (u -= v) <= 0);
    seeds.push(samples[i < 0 ? samples.length - 1 : i]!);
  }
  const nearest = samples.map((s) => { const d = seeds.map((c) => dist2(s, c)); return d.indexOf(Math.min(...d)); });
  return seeds.map((_, k) => nearest.map((j) => (j === k ? 1 : 0)));
}

type Component = PosePrior['components'][number];

/** Weighted mean and ridged covariance of the samples as a component (weight = Σ responsibilities). */
function weightedGaussian(samples: readonly ArrayLike<number>[], r: readonly number[], D: number, ridge: number): Component {
  const w = r.reduce((a, b) => a + b, 0) || 1e-12;
  const mean = new Array<number>(D).fill(0);
  samples.forEach((s, i) => { for (let d = 0; d < D; d++) mean[d]! += (r[i]! * s[d]!) / w; });
  const cov = new Array<number>(D * D).fill(0);
  samples.forEach((s, i) => {
    if (!(r[i]! > 1e-9)) return;
    for (let a = 0; a < D; a++) {
      const ea = (r[i]! * (s[a]! - mean[a]!)) / w;
      for (let b = 0; b < D; b++) cov[a * D + b]! += ea * (s[b]! - mean[b]!);
    }
  });
  for (let a = 0; a < D; a++) cov[a * D + a]! += ridge;
  const { values, vectors } = symmetricEigen(cov, D);
  const precision = new Array<number>(D * D).fill(0);
  for (let k = 0; k < D; k++) {
    const inv = 1 / values[k]!;
    for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) precision[a * D + b]! += vectors[a * D + k]! * inv * vectors[b * D + k]!;
  }
  return { weight: w, mean, precision, logDetPrecision: -values.reduce((s, v) => s + Math.log(v), 0) };
}

/** log(weight·√det P) − ½ eᵀPe of one component at the angles `a` (read from a[offset …]), with P·e. */
function componentLog(c: Component, a: ArrayLike<number>, D: number, offset = 0): { log: number; pe: Float64Array } {
  const e = new Float64Array(D);
  for (let d = 0; d < D; d++) e[d] = a[offset + d]! - c.mean[d]!;
  const pe = new Float64Array(D);
  let m = 0;
  for (let i = 0; i < D; i++) {
    let s = 0;
    for (let j = 0; j < D; j++) s += c.precision[i * D + j]! * e[j]!;
    pe[i] = s;
    m += e[i]! * s;
  }
  return { log: Math.log(c.weight) + 0.5 * c.logDetPrecision - 0.5 * m, pe };
}

function logSumExp(v: readonly number[]): number {
  const m = Math.max(...v);
  return m + Math.log(v.reduce((s, x) => s + Math.exp(x - m), 0));
}

/**
 * The prior's value over W frames of packed parameters (angles at `offset` within each frame of
 * `stride` numbers): mean over frames of −2·log p / dim, less its value at the peaks (one
 * component: (a − μ)ᵀ P (a − μ) / dim), of which each frame has `free` per angle for nothing: a
 * pose as likely as a typical one is not pulled toward the mean, only unlikely ones are. With
 * `grad`, adds weight × its gradient.
 */
export function posePriorTerm(prior: PosePrior, x: ArrayLike<number>, W: number, stride: number, offset: number, weight: number, grad: Float64Array | null, free = 0): number {
  const D = prior.dim;
  const logZ = logSumExp(prior.components.map((c) => Math.log(c.weight) + 0.5 * c.logDetPrecision));
  let value = 0;
  for (let f = 0; f < W; f++) {
    const base = f * stride + offset;
    const parts = prior.components.map((c) => componentLog(c, x, D, base));
    const lse = logSumExp(parts.map((p) => p.log));
    const v = (-2 * (lse - logZ)) / D;
    if (v <= free) continue;
    value += (v - free) / W;
    if (!grad) continue;
    for (const p of parts) {
      const r = Math.exp(p.log - lse);
      for (let d = 0; d < D; d++) grad[base + d]! += (2 * weight * r * p.pe[d]!) / (D * W);
    }
  }
  return value;
}
