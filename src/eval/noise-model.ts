import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { readValidated } from '../formats/io.ts';
import { LANDMARK_COUNT, LANDMARK_INDEX, MEDIAPIPE_33 } from '../formats/landmarks.ts';
import type { Vec3 } from '../geometry/quaternion.ts';
import { fitSimilarity } from '../geometry/similarity.ts';
import type { Rng } from '../random.ts';

/**
 * How a pose detector errs, measured against a multi-view triangulation, so that synthetic
 * keypoints err the same way. Per landmark: the 2D error in the image (bias and spread, in
 * torso lengths so it carries over to any subject size in pixels) and the 3D error of the
 * hip-centred world landmarks in camera axes (x right, y down, z = depth), each with its
 * persistence in time as an AR(1) coefficient per frame at the measured rate. Bias and spread
 * are robust (median, MAD): gross failures are counted apart (`grossPct`), not spread over all frames.
 */
const vec2 = z.tuple([z.number(), z.number()]);
const vec3 = z.tuple([z.number(), z.number(), z.number()]);
export const noiseModelSchema = z.object({
  format: z.literal('optimus-motion/noise-model@1'),
  detector: z.string(),
  /** Frame rate the AR(1) coefficients were measured at. */
  fps: z.number().positive(),
  /** How much larger the truth is than the detector's world landmarks (one similarity per sequence, averaged). */
  worldScale: z.number().positive(),
  provenance: z.record(z.string(), z.unknown()),
  landmarks: z.array(z.object({
    name: z.string(),
    /** 2D error in torso lengths (image distance shoulder centre – hip centre). */
    bias2d: vec2, sigma2d: vec2, rho2d: z.number().min(-1).max(1),
    /** 3D error in metres, camera axes (x right, y down, z depth), after the sequence's scale. */
    bias3d: vec3, sigma3d: vec3, rho3d: z.number().min(-1).max(1),
    /** Sightings the statistics rest on. */
    samples: z.number().int().nonnegative(),
    /** Share (%) of 3D errors beyond 3 spreads on some axis: gross failures, not synthesized. */
    grossPct: z.number().min(0).max(100).optional(),
  })).length(LANDMARK_COUNT),
});
export type NoiseModel = z.infer<typeof noiseModelSchema>;

export function readNoiseModel(path: string): NoiseModel {
  return readValidated(noiseModelSchema, path);
}

/** Models measured by the project (npm run bench:real -- --write-noise-model), by name. */
export const NOISE_MODELS: Record<string, string> = {
  blazepose: resolve(dirname(fileURLToPath(import.meta.url)), '../../data/noise/blazepose-full.json'),
  /** The heavy landmark model (`--model heavy`), measured the same way. */
  'blazepose-heavy': resolve(dirname(fileURLToPath(import.meta.url)), '../../data/noise/blazepose-heavy.json'),
};

/** 'none' → null; a name of NOISE_MODELS or a path to a noise-model JSON → the model. */
export function resolveNoiseModel(nameOrPath: string): NoiseModel | null {
  if (nameOrPath === 'none') return null;
  const path = NOISE_MODELS[nameOrPath] ?? nameOrPath;
  if (!existsSync(path)) throw new UserError(`noise model "${nameOrPath}": not one of ${[...Object.keys(NOISE_MODELS), 'none'].join(', ')}, and no such file`);
  return readNoiseModel(path);
}

/** One sequence of a detector against the truth, both in one camera's frame. */
export interface NoiseSample {
  /** Per frame: the truth projected into the image (px) and in camera coordinates (m, x right, y down, z forward); null: no truth. */
  truthPx: Array<Array<[number, number] | null> | null>;
  truthCam: Array<Array<Vec3 | null> | null>;
  /** Per frame: the detector's image keypoints and hip-centred world landmarks (null: not detected). */
  detectedPx: Array<ReadonlyArray<readonly [number, number, number]> | null>;
  detectedWorld: Array<ReadonlyArray<readonly [number, number, number]> | null>;
}

const L_SH = LANDMARK_INDEX.left_shoulder, R_SH = LANDMARK_INDEX.right_shoulder;
const L_HIP = LANDMARK_INDEX.left_hip, R_HIP = LANDMARK_INDEX.right_hip;

function mid<T extends number[]>(a: T, b: T): T {
  return a.map((v, i) => (v + b[i]!) / 2) as T;
}

/** Torso length in the image: shoulder centre to hip centre (px). */
export function torsoPx(px: ReadonlyArray<readonly number[] | null>): number | null {
  const [ls, rs, lh, rh] = [px[L_SH], px[R_SH], px[L_HIP], px[R_HIP]];
  if (!ls || !rs || !lh || !rh) return null;
  const s = mid([ls[0]!, ls[1]!], [rs[0]!, rs[1]!]);
  const h = mid([lh[0]!, lh[1]!], [rh[0]!, rh[1]!]);
  return Math.hypot(s[0] - h[0], s[1] - h[1]);
}

/** Per landmark error series of one sequence: 2D (torso units) and 3D (m), NaN where missing. */
function errorSeries(s: NoiseSample): { e2d: number[][][]; e3d: number[][][]; scale: number } {
  const frames = s.truthPx.length;
  const e2d = Array.from({ length: LANDMARK_COUNT }, () => [] as number[][]);
  const e3d = Array.from({ length: LANDMARK_COUNT }, () => [] as number[][]);
  // One similarity (no translation: both hip-centred) per sequence gives the detector's size.
  const a: Vec3[] = [];
  const b: Vec3[] = [];
  const centred: Array<{ det: Vec3[]; truth: Array<Vec3 | null> } | null> = [];
  for (let f = 0; f < frames; f++) {
    const t = s.truthCam[f];
    const w = s.detectedWorld[f];
    if (!t || !w || !t[L_HIP] || !t[R_HIP]) { centred.push(null); continue; }
    const hip = mid([...t[L_HIP]!], [...t[R_HIP]!]) as Vec3;
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
      const ct = c?.truth[i];
      e3d[i]!.push(c && ct ? [0, 1, 2].map((k) => scale * c.det[i]![k]! - ct[k]!) : [NaN, NaN, NaN]);
    }
  }
  return { e2d, e3d, scale };
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

/** Measures a noise model from sequences of one detector against the truth. */
export function measureNoiseModel(samples: NoiseSample[], meta: { detector: string; fps: number; provenance: Record<string, unknown> }): NoiseModel {
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
  return { format: 'optimus-motion/noise-model@1', detector: meta.detector, fps: meta.fps, worldScale: round(worldScale), provenance: meta.provenance, landmarks };
}

/** A landmark's error over time: bias + AR(1) with the measured spread and persistence, converted to `fps`. */
export class NoiseProcess {
  private state: number[];
  private readonly rho: number;

  constructor(private readonly bias: readonly number[], private readonly sigma: readonly number[], rhoAtModelFps: number, modelFps: number, fps: number, private readonly rng: Rng) {
    // The same decay per second: one frame at `fps` spans modelFps/fps model frames.
    this.rho = Math.sign(rhoAtModelFps) * Math.abs(rhoAtModelFps) ** (modelFps / fps);
    this.state = sigma.map((s) => s * rng.normal());
  }

  next(): number[] {
    const keep = Math.sqrt(Math.max(0, 1 - this.rho * this.rho));
    this.state = this.state.map((x, k) => this.rho * x + keep * this.sigma[k]! * this.rng.normal());
    return this.state.map((x, k) => x + this.bias[k]!);
  }
}

/**
 * Detector-like observations from clean ones: per frame the clean image points (px, null when
 * behind the camera) and hip-centred camera-axis landmarks (m, x right, y down, z depth).
 */
export function applyNoiseModel(model: NoiseModel, clean: { px: Array<Array<[number, number] | null>>; world: Vec3[][] }, fps: number, rng: Rng): { px: Array<Array<[number, number] | null>>; world: Vec3[][] } {
  const p2 = model.landmarks.map((l) => new NoiseProcess(l.bias2d, l.sigma2d, l.rho2d, model.fps, fps, rng));
  const p3 = model.landmarks.map((l) => new NoiseProcess(l.bias3d, l.sigma3d, l.rho3d, model.fps, fps, rng));
  const px = clean.px.map((frame) => {
    const torso = torsoPx(frame) ?? 0;
    return frame.map((q, i) => {
      const e = p2[i]!.next();
      return q ? [q[0] + torso * e[0]!, q[1] + torso * e[1]!] as [number, number] : null;
    });
  });
  const world = clean.world.map((frame) => frame.map((p, i) => {
    const e = p3[i]!.next();
    return [0, 1, 2].map((k) => (p[k]! + e[k]!) / model.worldScale) as Vec3;
  }));
  return { px, world };
}

/** Measures the same statistics from synthetic output against its clean input (for checking a model round-trips). */
export function remeasure(clean: { px: Array<Array<[number, number] | null>>; world: Vec3[][] }, noisy: { px: Array<Array<[number, number] | null>>; world: Vec3[][] }, fps: number): NoiseModel {
  const sample: NoiseSample = {
    truthPx: clean.px, truthCam: clean.world,
    detectedPx: noisy.px.map((f) => f.map((q) => (q ? [q[0], q[1], 1] as const : [NaN, NaN, 0] as const))),
    detectedWorld: noisy.world,
  };
  return measureNoiseModel([sample], { detector: 'remeasured', fps, provenance: {} });
}

function round(v: number): number {
  return Math.round(v * 1e5) / 1e5;
}

