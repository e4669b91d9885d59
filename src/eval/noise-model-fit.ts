import { LANDMARK_COUNT, LANDMARK_INDEX, MEDIAPIPE_33 } from '../formats/landmarks.ts';
import type { Vec3 } from '../geometry/quaternion.ts';
import { fitSimilarity } from '../geometry/similarity.ts';
import { fitFactors } from './noise-factors.ts';
import { measureGross, type ErrorSequence, type GrossMask } from './noise-gross.ts';
import { NOISE_MODEL_FORMAT, torsoPx, type NoiseModel } from './noise-model.ts';
import { errorSummary } from './noise-stats.ts';

/**
 * Measuring a detector's noise model (noise-model.ts) from sequences of its output against a
 * truth: the marginal statistics per landmark, then (format @2) the gross failures as events and
 * the correlated rest as factors.
 */
/** One sequence of a detector against the truth, both in one camera's frame. */
export interface NoiseSample {
  /** Per frame: the truth projected into the image (px) and in camera coordinates (m, x right, y down, z forward); null: no truth. */
  truthPx: Array<Array<[number, number] | null> | null>;
  truthCam: Array<Array<Vec3 | null> | null>;
  /** Per frame: the detector's image keypoints and hip-centred world landmarks (null: not detected). */
  detectedPx: Array<ReadonlyArray<readonly [number, number, number]> | null>;
  detectedWorld: Array<ReadonlyArray<readonly [number, number, number]> | null>;
}

const L_HIP = LANDMARK_INDEX.left_hip, R_HIP = LANDMARK_INDEX.right_hip;

/** Per landmark error series of one sequence: 2D (torso units) and 3D (m), NaN where missing, and the truth in the same units. */
export function errorSeries(s: NoiseSample): ErrorSequence & { scale: number } {
  const frames = s.truthPx.length;
  const [e2d, e3d, t2d, t3d] = [0, 1, 2, 3].map(() => Array.from({ length: LANDMARK_COUNT }, () => [] as number[][]));
  // One similarity (no translation: both hip-centred) per sequence gives the detector's size.
  const a: Vec3[] = [];
  const b: Vec3[] = [];
  const centred: Array<{ det: Vec3[]; truth: Array<Vec3 | null> } | null> = [];
  for (let f = 0; f < frames; f++) {
    const t = s.truthCam[f];
    const w = s.detectedWorld[f];
    if (!t || !w || !t[L_HIP] || !t[R_HIP]) { centred.push(null); continue; }
    const hip = t[L_HIP]!.map((v, k) => (v + t[R_HIP]![k]!) / 2) as Vec3;
    const truth = t.map((p) => (p ? [p[0] - hip[0], p[1] - hip[1], p[2] - hip[2]] as Vec3 : null));
    const det = w.map((p) => [p[0], p[1], p[2]] as Vec3);
    centred.push({ det, truth });
    truth.forEach((p, i) => { if (p) { a.push(det[i]!); b.push(p); } });
  }
  const scale = a.length ? fitSimilarity(a, b, { translation: false }).scale : 1;
  for (let f = 0; f < frames; f++) {
    const tp = s.truthPx[f];
    const dp = s.detectedPx[f];
    const torso = tp ? torsoPx(tp) : null;
    const c = centred[f];
    for (let i = 0; i < LANDMARK_COUNT; i++) {
      const t = tp?.[i];
      const d = dp?.[i];
      e2d[i]!.push(t && d && torso ? [(d[0] - t[0]) / torso, (d[1] - t[1]) / torso] : [NaN, NaN]);
      t2d[i]!.push(t && torso ? [t[0] / torso, t[1] / torso] : [NaN, NaN]);
      const ct = c?.truth[i];
      e3d[i]!.push(c && ct ? [0, 1, 2].map((k) => scale * c.det[i]![k]! - ct[k]!) : [NaN, NaN, NaN]);
      t3d[i]!.push(ct ? [...ct] : [NaN, NaN, NaN]);
    }
  }
  return { e2d: e2d!, e3d: e3d!, t2d: t2d!, t3d: t3d!, scale };
}

interface Moments { bias: number[]; sigma: number[]; rho: number; n: number; grossPct: number }

/**
 * Robust bias (median) and spread (1.4826 · median absolute deviation) per axis, and the lag-1
 * autocorrelation of the de-biased error winsorized at 3 spreads, pooled over axes and sequences:
 * the detector's occasional gross failures (sides swapped, a limb on the wrong body) would
 * otherwise set the spread of every frame.
 */
function moments(series: number[][][], dims: number): Moments {
  const values = Array.from({ length: dims }, (_, k) => series.flatMap((seq) => seq.flatMap((e) => (Number.isNaN(e[0]) ? [] : [e[k]!]))));
  const n = values[0]!.length;
  const bias = values.map((v) => median(v));
  const sigma = values.map((v, k) => 1.4826 * median(v.map((x) => Math.abs(x - bias[k]!))));
  const clip = (x: number, k: number) => Math.max(-3 * sigma[k]!, Math.min(3 * sigma[k]!, x - bias[k]!));
  let lagNum = 0;
  let lagDen = 0;
  let gross = 0;
  for (const seq of series) {
    seq.forEach((e, t) => {
      if (!Number.isNaN(e[0]) && e.some((x, k) => Math.abs(x - bias[k]!) > 3 * sigma[k]!)) gross += 1;
      const p = seq[t - 1];
      if (Number.isNaN(e[0]) || !p || Number.isNaN(p[0])) return;
      for (let k = 0; k < dims; k++) {
        const a = clip(e[k]!, k);
        const b = clip(p[k]!, k);
        lagNum += a * b;
        lagDen += (a * a + b * b) / 2;
      }
    });
  }
  return { bias, sigma, rho: lagDen > 0 ? Math.max(-1, Math.min(1, lagNum / lagDen)) : 0, n, grossPct: n ? (100 * gross) / n : 0 };
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const NOISE_FIT_DEFAULTS = {
  /** Fit the correlated factors and the gross events too (format @2); false: the per-landmark model of @1. */
  structure: true,
};

/** Measures a noise model from sequences of one detector against the truth. */
export function measureNoiseModel(samples: NoiseSample[], meta: { detector: string; fps: number; provenance: Record<string, unknown> }, options: Partial<typeof NOISE_FIT_DEFAULTS> = {}): NoiseModel {
  const o = { ...NOISE_FIT_DEFAULTS, ...options };
  const per = samples.map(errorSeries);
  const landmarks = MEDIAPIPE_33.map((name, i) => {
    const m2 = moments(per.map((p) => p.e2d[i]!), 2);
    const m3 = moments(per.map((p) => p.e3d[i]!), 3);
    return {
      name, samples: m2.n,
      bias2d: m2.bias.map(round) as [number, number], sigma2d: m2.sigma.map(round) as [number, number], rho2d: round(m2.rho),
      bias3d: m3.bias.map(round) as [number, number, number], sigma3d: m3.sigma.map(round) as [number, number, number], rho3d: round(m3.rho),
      grossPct: round(m3.grossPct),
    };
  });
  const worldScale = per.reduce((s, p) => s + p.scale, 0) / Math.max(1, per.length);
  const base: NoiseModel = { format: 'optimus-motion/noise-model@1', detector: meta.detector, fps: meta.fps, worldScale: round(worldScale), provenance: meta.provenance, landmarks };
  if (!o.structure) return base;
  const marginals = { bias2d: landmarks.map((l) => l.bias2d), sigma2d: landmarks.map((l) => l.sigma2d), bias3d: landmarks.map((l) => l.bias3d), sigma3d: landmarks.map((l) => l.sigma3d) };
  const { model: gross, masks, limbRuns } = measureGross(per, marginals, meta.fps);
  const std = per.map((p, q) => standardized(p, marginals, masks[q]!, gross.spreads));
  const factors = fitFactors(std, 5 * LANDMARK_COUNT);
  return { ...base, format: NOISE_MODEL_FORMAT, factors, gross, summary: errorSummary(per, std, gross, limbRuns, meta.fps) };
}

/** Per frame the vector of standardized errors (2D x, y then 3D x, y, z per landmark), winsorized at `limit`; NaN: unseen or in a gross event. */
export function standardized(p: ErrorSequence, m: { bias2d: number[][]; sigma2d: number[][]; bias3d: number[][]; sigma3d: number[][] }, mask: GrossMask, limit: number): number[][] {
  const frames = p.e2d[0]!.length;
  const z = (x: number, b: number, s: number) => (Number.isNaN(x) || !(s > 0) ? NaN : Math.max(-limit, Math.min(limit, (x - b) / s)));
  return Array.from({ length: frames }, (_, f) => [
    ...p.e2d.flatMap((series, i) => series[f]!.map((x, k) => (mask[i]![f] ? NaN : z(x, m.bias2d[i]![k]!, m.sigma2d[i]![k]!)))),
    ...p.e3d.flatMap((series, i) => series[f]!.map((x, k) => (mask[i]![f] ? NaN : z(x, m.bias3d[i]![k]!, m.sigma3d[i]![k]!)))),
  ]);
}

/** Measures the same statistics from synthetic output against its clean input (for checking a model round-trips). */
export function remeasure(clean: { px: Array<Array<[number, number] | null>>; world: Vec3[][] }, noisy: { px: Array<Array<[number, number] | null>>; world: Vec3[][] }, fps: number, options: Partial<typeof NOISE_FIT_DEFAULTS> = {}): NoiseModel {
  const sample: NoiseSample = {
    truthPx: clean.px, truthCam: clean.world,
    detectedPx: noisy.px.map((f) => f.map((q) => (q ? [q[0], q[1], 1] as const : [NaN, NaN, 0] as const))),
    detectedWorld: noisy.world,
  };
  return measureNoiseModel([sample], { detector: 'remeasured', fps, provenance: {} }, options);
}


function round(v: number): number {
  return Math.round(v * 1e5) / 1e5;
}
