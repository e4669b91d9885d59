/**
 * Reconstruction windows as a task family (src/optimus/types.ts TaskFamily), so the PES trainer and
 * the benches run on them unchanged: mocap clips synthesized with random cameras, the BlazePose noise
 * model, dropout and subject sizes, cut into windows of the kinematic stage (exact loss and gradient,
 * kinematicWindowProblem). Training and evaluation clips are fixed, disjoint lists (by CMU subject,
 * so no motion is seen in two rigs). The physics stage's windows: window-tasks-physics.ts.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBvh } from '../body/bvh.ts';
import { resolveNoiseModel, type NoiseModel } from '../eval/noise-model.ts';
import { synthesize, type SynthResult } from '../eval/synth.ts';
import type { KeypointsFile } from '../formats/keypoints.ts';
import type { Objective, Task, TaskFamily } from '../optimus/types.ts';
import { TRAIN_SEED_BASE } from '../optimus/train/task-distribution.ts';
import { mixSeed, Rng } from '../random.ts';
import { KINEMATIC_DEFAULTS, kinematicWindowProblem } from './kinematic.ts';
import { prepareObservations, type Observations } from './observations.ts';
import { scaledObjective } from './run-optimizer.ts';
import { buildScene, type Scene } from './scene.ts';
import { makeWindows } from './windows.ts';

/** Clips the optimizer is trained on (CMU subjects 1, 2, 60, 131). */
export const TRAINING_CLIPS: readonly string[] = [
  'cmu_01_01_forward_jumps.bvh', 'cmu_01_01_forward_jumps_iclone60.bvh', 'cmu_02_01_walk.bvh', 'cmu_02_04_jump_balance_iclone60.bvh',
  'cmu_02_07_swordplay_iclone60.bvh', 'cmu_02_10_wash_self_iclone60.bvh', 'cmu_60_02_salsa_lead_scaled.bvh', 'cmu_131_03_mj_start_hop_stop_scaled.bvh',
];

/** Clips it is measured on, never trained or validated on (CMU subjects 7 and 22: two walks and the squat). */
export const EVALUATION_CLIPS: readonly string[] = ['cmu_22_14_squat.bvh', 'cmu_07_04_slow_walk_iclone60.bvh', 'cmu_07_12_brisk_walk_iclone60.bvh'];

/** The CMU subject of a clip file (cmu_<subject>_<trial>_…). */
export function cmuSubject(clip: string): number {
  const m = /^cmu_(\d+)_/.exec(clip);
  if (!m) throw new Error(`${clip}: not a cmu_<subject>_… clip name`);
  return Number(m[1]);
}

/** Where the shared mocap clips are (the tasks need them; a user's machine may not have them). */
export const MOCAP_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/data/mocap');

/** How a clip is turned into detector-like observations: the random choices per variant. */
export interface VariantOptions {
  /** Camera azimuth range (degrees) around the subject. */
  yawDeg: [number, number];
  /** Camera height range (m). */
  cameraHeight: [number, number];
  /** Horizontal field-of-view range (degrees). */
  fovDeg: [number, number];
  /** Subject stature range (m). */
  subjectHeight: [number, number];
  /** Share of landmarks lost per frame (range): low score, a much worse position. */
  dropout: [number, number];
  /** σ (px) of a lost landmark's position error. */
  lostPx: number;
  /** Frame rate of the synthesized keypoints (the stage's usual input). */
  fps: number;
  /** Detector noise model (noise-model.ts name or file). */
  noiseModel: string;
}

export const VARIANT_DEFAULTS: VariantOptions = {
  yawDeg: [-180, 180], cameraHeight: [0.7, 1.8], fovDeg: [45, 75], subjectHeight: [1.5, 1.95],
  dropout: [0, 0.1], lostPx: 25, fps: 30, noiseModel: 'blazepose',
};

/** Training tasks draw from this many synthesized variants per clip (each cached once built). */
export const TRAINING_VARIANTS = 16;

/** One clip as a detector would have seen it under one variant's camera, noise and subject. */
export interface ClipVariant {
  clip: string;
  variant: number;
  synth: SynthResult;
  keypoints: KeypointsFile;
}

/**
 * Which variant a task seed gets: training seeds (≥ TRAIN_SEED_BASE) one of TRAINING_VARIANTS per
 * clip, so prepared clips are reused; evaluation seeds their own, never a training one.
 */
export function variantOfSeed(seed: number): number {
  return seed >= TRAIN_SEED_BASE ? seed % TRAINING_VARIANTS : TRAINING_VARIANTS + seed;
}

let blazepose: NoiseModel | null | undefined;

/** Synthesizes one variant of a clip: the camera, subject, noise and dropout drawn from its seed. */
export function synthesizeVariant(dir: string, clip: string, variant: number, options: VariantOptions = VARIANT_DEFAULTS): ClipVariant {
  const path = join(dir, clip);
  if (!existsSync(path)) throw new Error(`${path}: mocap clip not found (window tasks need ../shared/data/mocap)`);
  const rng = new Rng(mixSeed(variant, 0x3d1a, clip.length, clip.charCodeAt(4), clip.charCodeAt(clip.length - 5)));
  const u = (r: [number, number]) => rng.uniform(r[0], r[1]);
  const model = options.noiseModel === 'blazepose' ? (blazepose ??= resolveNoiseModel('blazepose')) : resolveNoiseModel(options.noiseModel);
  const synth = synthesize(readBvh(path), {
    fps: options.fps, seed: mixSeed(variant, 7), noiseModel: model, subjectHeight: u(options.subjectHeight),
    camera: { yawDeg: u(options.yawDeg), height: u(options.cameraHeight), fovDeg: u(options.fovDeg) },
  });
  const keypoints = withDropout(synth.keypoints, u(options.dropout), options.lostPx, rng);
  return { clip, variant, synth, keypoints };
}

/** Loses each landmark with probability `rate` the way detectors do: a low score and a much worse position. */
function withDropout(kp: KeypointsFile, rate: number, lostPx: number, rng: Rng): KeypointsFile {
  const frames = kp.frames.map((f) => ({
    ...f,
    keypoints: f.keypoints?.map((k): [number, number, number] => {
      if (k[2] === 0 || rng.next() >= rate) return k;
      return [k[0] + lostPx * rng.normal(), k[1] + lostPx * rng.normal(), rng.uniform(0, 0.3)];
    }) ?? null,
  }));
  return { ...kp, frames } as KeypointsFile;
}

/** A variant prepared for the kinematic stage: its observations and scene. */
interface PreparedClip {
  obs: Observations;
  scene: Scene;
}

/** Prepared clips by (clip, variant), the most recent kept (PES keeps a few dozen tasks alive). */
class PreparedCache {
  private map = new Map<string, PreparedClip>();
  constructor(private readonly size: number) {}
  get(key: string, make: () => PreparedClip): PreparedClip {
    let p = this.map.get(key);
    if (p) {
      this.map.delete(key);
    } else {
      p = make();
      if (this.map.size >= this.size) this.map.delete(this.map.keys().next().value!);
    }
    this.map.set(key, p);
    return p;
  }
}

export interface WindowFamilyOptions {
  /** Family name (what configs and tables call it). */
  name: string;
  clips: readonly string[];
  dir?: string;
  variant?: VariantOptions;
  /** Frames per window when a task asks for none (dim < 2): the kinematic stage's own by default. */
  windowSize?: number;
  /** The optimizer's units: x = x0 + paramScale · z (the stage's own). */
  paramScale?: number;
}

/**
 * Kinematic windows as a task family: seed → a clip, a synthesized variant, one window of it. The
 * task's objective is the window's loss in the optimizer's units (z = 0 is the stage's start point),
 * with 0 as its known lower bound (every term is a square), so log-gap metrics are log(loss).
 * `dim` asks for windows of that many frames (≥ 2; the dimension is frames × parameters per frame).
 */
export function kinematicWindowFamily(options: WindowFamilyOptions): TaskFamily {
  const dir = options.dir ?? MOCAP_DIR;
  const size = options.windowSize ?? KINEMATIC_DEFAULTS.windowSize;
  const scale = options.paramScale ?? KINEMATIC_DEFAULTS.paramScale;
  const cache = new PreparedCache(48);
  return {
    name: options.name,
    sample(seed: number, dim?: number): Task {
      const rng = new Rng(mixSeed(seed, 0x6b77));
      const clip = rng.pick(options.clips);
      const variant = variantOfSeed(seed);
      const p = cache.get(`${clip}#${variant}`, () => prepareClip(dir, clip, variant, options.variant));
      const frames = dim !== undefined && dim >= 2 ? dim : size;
      // Full windows only: a short tail window is a different, smaller problem.
      const windows = makeWindows(p.obs.frameCount, frames, 0).filter((w) => w.end - w.start === frames);
      if (!windows.length) throw new Error(`${clip}: shorter than a window of ${frames} frames`);
      const win = rng.pick(windows);
      const problem = kinematicWindowProblem(p.obs, p.scene, win);
      const objective: Objective = { ...scaledObjective(problem.objective, problem.x0, scale), name: `kinematic:${clip}#${variant}@${win.start}`, minimum: 0 };
      return { objective, x0: new Float64Array(problem.x0.length) };
    },
  };
}

function prepareClip(dir: string, clip: string, variant: number, options: VariantOptions | undefined): PreparedClip {
  const v = synthesizeVariant(dir, clip, variant, options);
  const source = `${clip} (variant ${variant})`;
  const obs = prepareObservations(v.keypoints, source);
  return { obs, scene: buildScene(obs, v.keypoints.camera, source) };
}

/** A clip's short name in family names: cmu_22_14_squat.bvh → 22_14. */
export function clipTag(clip: string): string {
  const m = /^cmu_(\d+_\d+)_/.exec(clip);
  return m ? m[1]! : clip.replace(/\.bvh$/i, '');
}

/**
 * The window families by the names training configs use: kinematic windows of the training clips,
 * and of the evaluation clips. (Physics windows need the stage run first: window-tasks-physics.ts.)
 */
export function windowTaskFamilies(dir = MOCAP_DIR): Record<string, TaskFamily> {
  const out: Record<string, TaskFamily> = {
    'kinematic-window': kinematicWindowFamily({ name: 'kinematic-window', clips: TRAINING_CLIPS, dir }),
    'kinematic-window-eval': kinematicWindowFamily({ name: 'kinematic-window-eval', clips: EVALUATION_CLIPS, dir }),
  };
  // One family per evaluation clip, so held-out grids have cells to pair (acceptOnHeldOut).
  for (const clip of EVALUATION_CLIPS) out[`kinematic-eval-${clipTag(clip)}`] = kinematicWindowFamily({ name: `kinematic-eval-${clipTag(clip)}`, clips: [clip], dir });
  return out;
}
