import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { readValidated } from '../formats/io.ts';
import { LANDMARK_COUNT, LANDMARK_INDEX, MEDIAPIPE_33 } from '../formats/landmarks.ts';
import type { Vec3 } from '../geometry/quaternion.ts';
import { FactorNoise, factorsSchema, rhoAt } from './noise-factors.ts';
import { GrossProcess, grossSchema } from './noise-gross.ts';
import { placementSchema } from './landmark-placement.ts';
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
export const NOISE_MODEL_FORMAT = 'optimus-motion/noise-model@2';
/** @2 with the measured people's landmark placement (landmark-placement.ts). */
export const NOISE_MODEL_PLACED_FORMAT = 'optimus-motion/noise-model@3';
export const noiseModelSchema = z.object({
  /** @1: independent per landmark (still read); @2 adds the correlated factors and the gross failures. */
  format: z.enum(['optimus-motion/noise-model@1', NOISE_MODEL_FORMAT, NOISE_MODEL_PLACED_FORMAT]),
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
  /** Errors shared across landmarks and between 2D and 3D (noise-factors.ts); without: each landmark on its own. */
  factors: factorsSchema.optional(),
  /** Side swaps and misplaced limbs at their measured rates (noise-gross.ts); without: none. */
  gross: grossSchema.optional(),
  /** Where the measured people's landmarks sit on their bodies against the skeleton's (landmark-placement.ts); synth gives each subject such offsets. */
  placement: placementSchema.optional(),
  /** Statistics of the measured errors that synth should reproduce (noise-stats.ts). */
  summary: z.record(z.string(), z.number()).optional(),
});
export type NoiseModel = z.infer<typeof noiseModelSchema>;

export function readNoiseModel(path: string): NoiseModel {
  return readValidated(noiseModelSchema, path);
}

/** Models measured by the project (npm run bench:real -- --write-noise-model), by name. */
export const NOISE_MODELS: Record<string, string> = {
  blazepose: resolve(dirname(fileURLToPath(import.meta.url)), '../../data/noise/blazepose-full.json'),
  /** Full's errors with their correlations and gross failures (format @2, noise-factors.ts, noise-gross.ts). */
  'blazepose-structured': resolve(dirname(fileURLToPath(import.meta.url)), '../../data/noise/blazepose-full-structured.json'),
  /** The structured model's file with its landmark placement applied (under 'blazepose-structured' the placement is left out). */
  'blazepose-placed': resolve(dirname(fileURLToPath(import.meta.url)), '../../data/noise/blazepose-full-structured.json'),
  /** The heavy landmark model (`--model heavy`), measured the same way. */
  'blazepose-heavy': resolve(dirname(fileURLToPath(import.meta.url)), '../../data/noise/blazepose-heavy.json'),
};

/** No detector error at all: the clean input itself (for the floor of a stage, and the placement's measurement). */
export function perfectNoiseModel(): NoiseModel {
  return {
    format: 'optimus-motion/noise-model@1', detector: 'perfect', fps: 60, worldScale: 1, provenance: { note: 'no error: the truth itself' },
    landmarks: MEDIAPIPE_33.map((name) => ({ name, samples: 0, bias2d: [0, 0], sigma2d: [0, 0], rho2d: 0, bias3d: [0, 0, 0], sigma3d: [0, 0, 0], rho3d: 0 })),
  };
}

/** 'none' → null; 'placement-only' → the placed model's landmark placement without detector error; a name of NOISE_MODELS or a path to a noise-model JSON → the model. */
export function resolveNoiseModel(nameOrPath: string): NoiseModel | null {
  if (nameOrPath === 'none') return null;
  if (nameOrPath === 'placement-only') return { ...perfectNoiseModel(), format: NOISE_MODEL_PLACED_FORMAT, placement: readNoiseModel(NOISE_MODELS['blazepose-placed']!).placement };
  const path = NOISE_MODELS[nameOrPath] ?? nameOrPath;
  if (!existsSync(path)) throw new UserError(`noise model "${nameOrPath}": not one of ${[...Object.keys(NOISE_MODELS), 'placement-only', 'none'].join(', ')}, and no such file`);
  const model = readNoiseModel(path);
  // A file applies whole; of the named models only 'blazepose-placed' moves the landmarks (the others keep their earlier meaning).
  if (nameOrPath in NOISE_MODELS && nameOrPath !== 'blazepose-placed' && model.placement) {
    delete model.placement;
    model.format = NOISE_MODEL_FORMAT;
  }
  return model;
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

/** A landmark's error over time: bias + AR(1) with the measured spread and persistence, converted to `fps`. */
export class NoiseProcess {
  private state: number[];
  private readonly rho: number;

  constructor(private readonly bias: readonly number[], private readonly sigma: readonly number[], rhoAtModelFps: number, modelFps: number, fps: number, private readonly rng: Rng) {
    this.rho = rhoAt(rhoAtModelFps, modelFps, fps);
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
export function applyNoiseModel(model: NoiseModel, clean: Clean, fps: number, rng: Rng): Clean {
  if (model.factors || model.gross) return applyStructured(model, clean, fps, rng);
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

type Clean = { px: Array<Array<[number, number] | null>>; world: Vec3[][] };

/** The @2 model: one standardized vector per frame (2D then 3D coordinates) from the factors, then the gross events. */
function applyStructured(model: NoiseModel, clean: Clean, fps: number, rng: Rng): Clean {
  const L = model.landmarks;
  const n2 = 2 * LANDMARK_COUNT;
  const independent = { dims: n2 + 3 * LANDMARK_COUNT, loadings: [], rho: [], unique: [], rhoUnique: [...L.flatMap((l) => [l.rho2d, l.rho2d]), ...L.flatMap((l) => [l.rho3d, l.rho3d, l.rho3d])], sharedPct: 0 };
  const factors = model.factors ?? { ...independent, unique: independent.rhoUnique.map(() => 1) };
  const draw = new FactorNoise(factors, model.fps, fps, rng);
  const gross = model.gross ? new GrossProcess(model.gross, model.fps, fps, { bias2d: L.map((l) => l.bias2d), bias3d: L.map((l) => l.bias3d) }, rng) : null;
  const px: Clean['px'] = [];
  const world: Clean['world'] = [];
  clean.px.forEach((frame, f) => {
    const z = draw.next();
    const torso = torsoPx(frame) ?? 0;
    const p = frame.map((q, i) => (q ? [q[0] + torso * (L[i]!.bias2d[0] + L[i]!.sigma2d[0] * z[2 * i]!), q[1] + torso * (L[i]!.bias2d[1] + L[i]!.sigma2d[1] * z[2 * i + 1]!)] as [number, number] : null));
    const w = clean.world[f]!.map((c, i) => c.map((x, k) => x + L[i]!.bias3d[k]! + L[i]!.sigma3d[k]! * z[n2 + 3 * i + k]!));
    gross?.step({ px: p, world: w, torso }, { px: frame, world: clean.world[f]!, torso });
    px.push(p);
    world.push(w.map((c) => c.map((x) => x / model.worldScale) as Vec3));
  });
  return { px, world };
}

function round(v: number): number {
  return Math.round(v * 1e5) / 1e5;
}

