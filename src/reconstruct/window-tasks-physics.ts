/**
 * Physics-stage windows as tasks: a slice of a synthesized clip (window-tasks.ts) goes through the
 * pipeline's kinematic stage, then its physics stage runs with a stage-optimizer hook that takes each
 * window's objective (the stage's own window loss over rollouts of the fully physical controller,
 * gradient by central finite differences) instead of optimizing it. The tasks are built before use
 * (the stage is asynchronous; TaskFamily.sample is not) and stay live: the stage runs on the calling
 * thread without the sampling search, so no rollout pool is freed under them. The optimizer alone
 * chooses the controls here; the stage with `--iterations` refines the search's controls instead.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeKeypoints, type KeypointsFile } from '../formats/keypoints.ts';
import { writeTruth, type TruthFile } from '../formats/truth.ts';
import type { Optimizer, OptimizerState, Task, TaskFamily } from '../optimus/types.ts';
import { mixSeed, Rng } from '../random.ts';
import { withStageOptimizerHook } from './optimizers.ts';
import type { PhysicsStageOptions } from './physics-options.ts';
import { reconstruct } from './pipeline.ts';
import { clipTag, EVALUATION_CLIPS, MOCAP_DIR, synthesizeVariant, TRAINING_CLIPS, windowTaskFamilies, type VariantOptions } from './window-tasks.ts';

export interface PhysicsTaskOptions {
  clips: readonly string[];
  /** Synthesized variants per clip (window-tasks.ts variant ids). */
  variants: readonly number[];
  /** Length (s) of the slice of each variant that goes through the stages; its start is drawn from the variant. */
  seconds: number;
  /** Windows kept per slice, from its start (later windows start from wherever the unoptimized body went). */
  windowsPerSlice: number;
  /** Where the slices' stage outputs go (kinematic.json is reused by later builds). */
  workDir: string;
  dir?: string;
  variant?: VariantOptions;
  /** Physics-stage options over the task defaults (PHYSICS_TASK_STAGE). */
  physicsStage?: PhysicsStageOptions;
  log?: (line: string) => void;
}

/** The stage as the tasks run it: the fully physical controller without the sampling search (no pool). */
export const PHYSICS_TASK_STAGE: PhysicsStageOptions = { controller: { physical: { sampling: null } } };

export interface PhysicsWindowTask extends Task {
  clip: string;
  variant: number;
  /** First frame of the slice in the synthesized clip, and the window's index in the slice. */
  sliceStart: number;
  window: number;
  /** Rollouts one evaluation (value and central-difference gradient) costs: 2 · dim + 1. */
  rolloutsPerEvaluation: number;
}

/** A slice of a clip as its own keypoints.json and truth.json (frames re-indexed from 0). */
export function sliceClip(kp: KeypointsFile, truth: TruthFile, start: number, frames: number): { keypoints: KeypointsFile; truth: TruthFile } {
  const end = Math.min(kp.frames.length, start + frames);
  const fps = kp.source.fps;
  const keypoints = { ...kp, source: { ...kp.source, frameCount: end - start }, frames: kp.frames.slice(start, end).map((f, i) => ({ ...f, index: i, time: i / fps })) };
  return { keypoints, truth: { ...truth, frames: truth.frames.slice(start, end) } };
}

/** An optimizer that only records the objective and start point it is given (and never moves). */
function captureInto(tasks: Task[]): Optimizer {
  return {
    name: 'capture',
    init(objective, x0): OptimizerState {
      tasks.push({ objective, x0: Float64Array.from(x0) });
      return { x: Float64Array.from(x0), step: 0, gradEvals: 0 };
    },
    step: (_objective, state) => ({ ...state, step: state.step + 1 }),
  };
}

/** Builds the physics window tasks of every (clip, variant): slices through the kinematic stage, then the capturing physics stage. */
export async function physicsWindowTasks(options: PhysicsTaskOptions): Promise<PhysicsWindowTask[]> {
  const out: PhysicsWindowTask[] = [];
  for (const clip of options.clips) {
    for (const variant of options.variants) {
      const slice = await sliceThroughKinematic(options, clip, variant);
      const captured: Task[] = [];
      const report = await withStageOptimizerHook(() => captureInto(captured), () => reconstruct(slice.keypointsPath, {
        out: slice.dir, exports: [], checkSheet: false, workers: 0, iterations: 1,
        physicsStage: { ...PHYSICS_TASK_STAGE, ...options.physicsStage },
      }));
      // The kinematic stage must have been reused: its optimizer would have been captured too.
      if (!report.stages.kinematic?.skipped) throw new Error(`${slice.dir}: the kinematic stage ran again under the capture hook`);
      captured.slice(0, options.windowsPerSlice).forEach((t, window) => {
        out.push({ ...t, objective: { ...t.objective, minimum: 0 }, clip, variant, sliceStart: slice.start, window, rolloutsPerEvaluation: 2 * t.objective.dim + 1 });
      });
      options.log?.(`${clip} variant ${variant} frames ${slice.start}+: ${Math.min(captured.length, options.windowsPerSlice)} physics windows (dim ${captured[0]?.objective.dim ?? '-'})`);
    }
  }
  return out;
}

/** Where a slice of a variant went: its folder, keypoints.json, truth.json, first frame. */
export interface WrittenSlice {
  dir: string;
  keypointsPath: string;
  truthPath: string;
  start: number;
}

/** Writes a variant's slice (`seconds` long, its start drawn from the variant) as keypoints.json + truth.json under `workDir`. */
export function writeSlice(o: { workDir: string; seconds: number; dir?: string; variant?: VariantOptions }, clip: string, variant: number): WrittenSlice {
  const v = synthesizeVariant(o.dir ?? MOCAP_DIR, clip, variant, o.variant);
  const frames = Math.round(o.seconds * v.keypoints.source.fps);
  const rng = new Rng(mixSeed(variant, 0x51ce));
  const start = rng.int(0, Math.max(0, v.keypoints.frames.length - frames));
  const dir = join(o.workDir, `${clip.replace(/\.bvh$/i, '')}-v${variant}-f${start}-n${frames}`);
  mkdirSync(dir, { recursive: true });
  const s = sliceClip(v.keypoints, v.synth.truth, start, frames);
  const keypointsPath = join(dir, 'keypoints.json');
  const truthPath = join(dir, 'truth.json');
  writeKeypoints(keypointsPath, s.keypoints);
  writeTruth(truthPath, s.truth);
  return { dir, keypointsPath, truthPath, start };
}

/** A variant's slice written out and fitted by the kinematic stage (reused when already there). */
async function sliceThroughKinematic(options: PhysicsTaskOptions, clip: string, variant: number): Promise<WrittenSlice> {
  const slice = writeSlice(options, clip, variant);
  await reconstruct(slice.keypointsPath, { out: slice.dir, physics: false, exports: [], checkSheet: false });
  // motion.json now holds the kinematic fit; the capturing run must run the physics stage.
  if (existsSync(join(slice.dir, 'motion.json'))) rmSync(join(slice.dir, 'motion.json'));
  return slice;
}

/** Prebuilt tasks as a family: seed → one of them (training seeds wrap around the list). */
export function physicsWindowFamily(name: string, tasks: readonly PhysicsWindowTask[]): TaskFamily {
  if (!tasks.length) throw new Error(`${name}: no physics window tasks`);
  return { name, sample: (seed: number) => tasks[seed % tasks.length]! };
}

/** The prebuilt physics families a training config may name: training clips, their validation variant, and one per evaluation clip. */
export const PHYSICS_FAMILY_SPECS: Readonly<Record<string, Pick<PhysicsTaskOptions, 'clips' | 'variants' | 'windowsPerSlice'>>> = {
  'physics-window': { clips: TRAINING_CLIPS, variants: [0, 1], windowsPerSlice: 3 },
  'physics-window-val': { clips: TRAINING_CLIPS.filter((_, i) => i % 2 === 0), variants: [20], windowsPerSlice: 1 },
  ...Object.fromEntries(EVALUATION_CLIPS.map((clip) => [`physics-eval-${clipTag(clip)}`, { clips: [clip], variants: [16, 17], windowsPerSlice: 1 }])),
};

/**
 * The window families a config names, by name: the kinematic ones (window-tasks.ts) and the physics
 * ones of PHYSICS_FAMILY_SPECS, built first (1 s slices; a few seconds each).
 */
export async function reconstructionFamilies(names: readonly string[], workDir: string, log?: (line: string) => void): Promise<Record<string, TaskFamily>> {
  const out: Record<string, TaskFamily> = { ...windowTaskFamilies() };
  for (const name of new Set(names)) {
    const spec = PHYSICS_FAMILY_SPECS[name];
    if (!spec) continue;
    out[name] = physicsWindowFamily(name, await physicsWindowTasks({ ...spec, seconds: 1, workDir, ...(log ? { log } : {}) }));
  }
  return out;
}
