import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { landmarkPositions } from '../body/fk.ts';
import { poseFromAngles, restPose, type Pose } from '../body/pose.ts';
import { createSkeleton, type Proportions, type Skeleton } from '../body/skeleton.ts';
import { UserError } from '../errors.ts';
import { writeFileAtomic, writeJsonAtomic, readJsonFile } from '../formats/io.ts';
import { KEYPOINTS_FORMAT, readKeypoints, type KeypointsFile } from '../formats/keypoints.ts';
import type { IngestOptions } from '../ingest/ingest.ts';
import { motionFile, physicsStageReport, type MotionFile, type PhysicsAccounting } from '../formats/motion.ts';
import type { PinholeCamera } from '../geometry/camera.ts';
import { quatFromRotationVector, type Quat, type Vec3 } from '../geometry/quaternion.ts';
import { initBackend, type BackendName } from '../optimus/backend.ts';
import { PHYSICS_DEFAULTS } from '../physics/humanoid.ts';
import { TRACKING_DEFAULTS } from '../physics/tracking.ts';
import { EXPORT_FORMATS, exportMotion, type ExportFormat } from '../export/index.ts';
import { findSourceVideo, renderCheckSheet } from './check-sheet.ts';
import { GROUND_DEFAULTS } from './ground.ts';
import { KINEMATIC_WEIGHTS } from './kinematic-loss.ts';
import { resolveIntrinsics } from './camera.ts';
import { rejectGross } from './kinematic-gross.ts';
import { KINEMATIC_DEFAULTS, runKinematic, transformParams, type KinematicCheckpoint, type KinematicOptions } from './kinematic.ts';
import { buildMotion } from './motion.ts';
import { OBSERVATION_DEFAULTS, prepareObservations, type ObservationOptions, type Observations } from './observations.ts';
import { describeOptimizer } from './optimizers.ts';
import { motionAccounting, motionFrameForces } from './physics-accounting.ts';
import { PHYSICS_WEIGHTS } from './physics-loss.ts';
import { PHYSICS_STAGE_DEFAULTS, describePhysicsOptimizer, runPhysics, type PhysicsCheckpoint, type PhysicsStageOptions } from './physics-stage.ts';
import { SCENE_DEFAULTS, buildScene, type Scene } from './scene.ts';
import { canonicalJson, codeVersion, digest, fingerprintPath, resolvedOptions } from './stage-stamp.ts';

/**
 * `optimus-motion reconstruct`: video or keypoints.json → OUT/kinematic.json → OUT/motion.json
 * (+ exports, report.json). Each stage stores a digest of its inputs, options and code
 * (stage-stamp.ts) with its output; a stage whose output carries the same digest is skipped
 * (unless `force`). While a stage runs, a checkpoint is written after every window, so
 * `resume` continues an interrupted run from the last finished window with the same result.
 */
export interface ReconstructOptions {
  out: string;
  /** Run the physics stage (default true). */
  physics?: boolean;
  /** Optimizer of the physics stage. */
  optimizer?: string;
  /**
   * Optimizer of the kinematic stage. Default lbfgs: with exact gradients on a smooth loss,
   * quasi-Newton steps measured best (see the bench); `optimizer` drives the physics stage.
   */
  kinematicOptimizer?: string;
  /** Iterations per window of the physics stage (the kinematic stage has its own, `kinematic.iterations`). */
  iterations?: number;
  /** Worker threads for the physics stage's rollouts (0: the calling thread; the result is the same). */
  workers?: number;
  /** Continue from the checkpoints of an interrupted run. */
  resume?: boolean;
  /** Redo stages even when their outputs are up to date. */
  force?: boolean;
  /** Export formats written next to motion.json (default: all). */
  exports?: ExportFormat[];
  /** Write check.jpg (default true): the 3D landmarks projected onto evenly spread source frames. */
  checkSheet?: boolean;
  backend?: BackendName;
  kinematic?: KinematicOptions;
  physicsStage?: PhysicsStageOptions;
  observations?: ObservationOptions;
  /** Stature of the subject (m) when known. */
  subjectHeight?: number;
  /** Detection options for a video input, passed to ingest (model, camera, person, frame range). */
  ingest?: ReconstructIngestOptions;
  /** Progress of a stage: done of total windows (ETA is the caller's). */
  onProgress?: (stage: 'ingest' | 'kinematic' | 'physics', done: number, total: number, detail?: string) => void;
  /** Test hook: stop after this many windows of a stage, as an interruption would. */
  stopAfter?: { stage: 'kinematic' | 'physics'; windows: number };
}

export type ReconstructIngestOptions = Pick<IngestOptions, 'model' | 'fovDeg' | 'focalPx' | 'person' | 'start' | 'end' | 'maxFrames'>;

/** Ingest options that a keypoints.json input cannot honour, by their command-line flags. */
const VIDEO_ONLY_FLAGS: Record<string, string> = { fovDeg: '--fov', focalPx: '--focal', person: '--person', start: '--start', end: '--end', maxFrames: '--max-frames' };

export const RECONSTRUCT_DEFAULTS = {
  physics: true,
  optimizer: 'optimus',
  exports: ['bvh', 'glb', 'csv'] as ExportFormat[],
  /** Write check.jpg: the 3D landmarks projected onto evenly spread source frames. */
  checkSheet: true,
  backend: 'wasm' as BackendName,
};

export interface ReconstructReport {
  input: string;
  out: string;
  frames: number;
  fps: number;
  framesWithoutPerson: number[];
  /** massKg: the simulated body's mass when the physics stage ran (its feet are heavier), else the skeleton's. */
  subject: { height: number; proportions: Proportions; massKg: number };
  /** The camera as fitted, and where its focal length came from (with the warning when it is the default). */
  camera: { pitchDeg: number; height: number; focalPx?: number; intrinsicsFrom?: string; warning?: string };
  stages: Record<string, { skipped: boolean; ms: number; iterations: number; loss: number; optimizer: string; evaluations?: number; rollouts?: number; windows: number }>;
  residualForce: { meanN: number; meanNm: number } | null;
  /** How physical the result is (DESIGN §4.6): residual, contact support, restarts, falls; null without physics. */
  physics: PhysicsAccounting | null;
  blowUps: PhysicsCheckpoint['blowUps'];
  /** Physics windows after which the simulation was restarted from the kinematic state. */
  resets: number[];
  /** Frames before those restarts blended into the restart pose (interpolated, not simulated). */
  blendedFrames: number[];
  /** Per restart: how far (m) its pose was moved horizontally to keep the planted feet in place. */
  restartShifts: number[];
  outputs: Record<string, string>;
  secondsPerVideoSecond: Record<string, number>;
}

/** Marker of the run's state stored in stage outputs: which inputs and options made them. */
interface StageStamp {
  inputsHash: string;
}

/** Thrown by the `stopAfter` test hook (an interruption); the checkpoint stays. */
export class Interrupted extends Error {}

/** The options with RECONSTRUCT_DEFAULTS filled in. */
type Resolved = ReconstructOptions & typeof RECONSTRUCT_DEFAULTS;

/** What every stage step reads: the run's options, the input as read, and the report being filled. */
interface RunContext {
  input: string;
  out: string;
  o: Resolved;
  /** keypoints.json: the input itself, or the ingest stage's output. */
  keypointsPath: string;
  kpBytes: Buffer;
  kp: KeypointsFile;
  obs: Observations;
  report: ReconstructReport;
}

/** kinematic.json as read back or just written, with the stamp the physics stage builds on. */
interface KinematicOutcome {
  kinematic: MotionFile & { reconstruct?: KinematicExtra };
  kinHash: string;
  kinPath: string;
  /** The subject's skeleton and the camera, as the kinematic stage left them. */
  skel: Skeleton;
  camera: PinholeCamera;
}

export async function reconstruct(input: string, options: ReconstructOptions): Promise<ReconstructReport> {
  const o: Resolved = { ...RECONSTRUCT_DEFAULTS, ...options };
  const out = resolve(o.out);
  if (!existsSync(input)) throw new UserError(`${input}: file not found`);
  const keypointsPath = await ingestStage(input, out, o);
  mkdirSync(out, { recursive: true });
  const kpBytes = readFileSync(keypointsPath);
  const kp = readKeypoints(keypointsPath);
  const obs = prepareObservations(kp, keypointsPath, o.observations);
  await initBackend(o.backend);
  const ctx: RunContext = { input, out, o, keypointsPath, kpBytes, kp, obs, report: emptyReport(input, out, obs) };

  const kin = kinematicStage(ctx);
  const motion = await physicsStage(ctx, kin);
  ctx.report.outputs.motion = join(out, 'motion.json');
  ctx.report.outputs.kinematic = kin.kinPath;
  await writeExports(ctx, motion);
  if (o.checkSheet) await writeCheck(ctx, motion);
  writeJsonAtomic(join(out, 'report.json'), ctx.report, 2);
  ctx.report.outputs.report = join(out, 'report.json');
  return ctx.report;
}

/**
 * Videos and images go through ingest; keypoint files are read as they are. keypoints.json
 * is reused only when the stamp beside it names the same video bytes, options and code:
 * a different video under the same --out is detected afresh.
 */
async function ingestStage(input: string, out: string, o: Resolved): Promise<string> {
  const given = Object.fromEntries(Object.entries(o.ingest ?? {}).filter(([, v]) => v !== undefined));
  if (extname(input).toLowerCase() === '.json') {
    const videoOnly = Object.entries(VIDEO_ONLY_FLAGS).filter(([k]) => k in given).map(([, flag]) => flag);
    if (videoOnly.length) throw new UserError(`${input}: ${videoOnly.join(', ')} apply when reconstructing from a video; run ingest with them, or give the video`);
    const json = readJsonFile(input) as { format?: unknown } | null;
    // Another tool's keypoints go through ingest, which knows their formats and asks for what they lack.
    if (json?.format !== KEYPOINTS_FORMAT) {
      throw new UserError(`${input}: not a keypoints.json (${KEYPOINTS_FORMAT}); convert another tool's keypoints first with \`optimus-motion ingest ${input} --out DIR\` and reconstruct DIR/keypoints.json`);
    }
    return input;
  }
  const { ingest } = await import('../ingest/ingest.ts');
  mkdirSync(out, { recursive: true });
  const target = join(out, 'keypoints.json');
  const stampPath = join(out, '.ingest.json');
  const ingestHash = digest('ingest@1', codeVersion(), fingerprintPath(input), JSON.stringify({ backend: o.backend, ...given }));
  if (!existsSync(target) || readCheckpoint<true>(stampPath, ingestHash) !== true || o.force) {
    rmSync(stampPath, { force: true });
    await ingest(input, out, { ...given, backend: o.backend, onProgress: (d, t) => o.onProgress?.('ingest', d, t) });
    writeJsonAtomic(stampPath, { inputsHash: ingestHash, state: true });
  }
  return target;
}

/**
 * The kinematic stage's stamp: the code, the keypoint bytes and every option the stage runs
 * with, defaults included (a default changed in code redoes the stage).
 */
export function kinematicStamp(kpBytes: Uint8Array, options: ReconstructOptions): string {
  return digest('kinematic@4', codeVersion(), kpBytes, canonicalJson({
    kinematic: resolvedOptions(KINEMATIC_DEFAULTS, kinematicOptionsOf({ ...RECONSTRUCT_DEFAULTS, ...options })),
    weights: KINEMATIC_WEIGHTS,
    observations: resolvedOptions(OBSERVATION_DEFAULTS, options.observations),
    scene: resolvedOptions(SCENE_DEFAULTS, { height: options.subjectHeight ?? null }),
    ground: GROUND_DEFAULTS,
  }));
}

/**
 * The physics stage's stamp: the kinematic stamp it builds on and every option it runs with,
 * defaults included. The worker count changes speed, never the result, so it is left out.
 */
export function physicsStamp(kinHash: string, options: ReconstructOptions): string {
  return digest('physics@10', kinHash, canonicalJson({
    stage: resolvedOptions(PHYSICS_STAGE_DEFAULTS, physicsOptionsOf({ ...RECONSTRUCT_DEFAULTS, ...options })),
    humanoid: PHYSICS_DEFAULTS,
    tracking: TRACKING_DEFAULTS,
    weights: PHYSICS_WEIGHTS,
  }));
}

/** Where keypoints.json says its focal length came from, for report.json. */
function intrinsicsSource(kp: KeypointsFile): { focalPx?: number; intrinsicsFrom?: string; warning?: string } {
  const source = kp.source as { cameraFrom?: unknown; cameraWarning?: unknown };
  return {
    ...(kp.camera ? { focalPx: kp.camera.fx } : {}),
    ...(typeof source.cameraFrom === 'string' ? { intrinsicsFrom: source.cameraFrom } : {}),
    ...(typeof source.cameraWarning === 'string' ? { warning: source.cameraWarning } : {}),
  };
}

function emptyReport(input: string, out: string, obs: Observations): ReconstructReport {
  return {
    input, out, frames: obs.frameCount, fps: obs.fps, framesWithoutPerson: obs.filledFrames,
    subject: { height: 0, proportions: {}, massKg: 0 }, camera: { pitchDeg: 0, height: 0 }, stages: {},
    residualForce: null, physics: null, blowUps: [], resets: [], blendedFrames: [], restartShifts: [], outputs: {}, secondsPerVideoSecond: {},
  };
}

function kinematicOptionsOf(o: ReconstructOptions): KinematicOptions {
  return { optimizer: o.kinematicOptimizer ?? 'lbfgs', ...(o.kinematic ?? {}) };
}

/** Kinematic stage: reuse kinematic.json when its stamp matches, else fit it (resuming from a checkpoint). */
function kinematicStage(ctx: RunContext): KinematicOutcome {
  const { o, out, report } = ctx;
  const kinOptions = kinematicOptionsOf(o);
  const kinHash = kinematicStamp(ctx.kpBytes, o);
  const kinPath = join(out, 'kinematic.json');
  const previous = readStage(kinPath);
  let kinematic: MotionFile & { reconstruct?: KinematicExtra };
  if (previous && previous.reconstruct?.inputsHash === kinHash && !o.force) {
    kinematic = previous;
    report.stages.kinematic = skippedStage(kinematic.stages?.kinematic);
  } else {
    kinematic = fitKinematic(ctx, kinOptions, kinHash);
    writeJsonAtomic(kinPath, kinematic);
    rmSync(join(out, '.kinematic.checkpoint.json'), { force: true });
  }
  const extra = kinematic.reconstruct!;
  const skel = createSkeleton({ height: extra.subject.heightOption, proportions: extra.subject.proportions });
  const camera: PinholeCamera = { ...kinematic.camera, rotation: kinematic.camera.rotation as Quat, position: kinematic.camera.position as Vec3 };
  report.subject = { height: skel.height, proportions: extra.subject.proportions, massKg: skel.mass };
  report.camera = { pitchDeg: (extra.ground.pitch * 180) / Math.PI, height: camera.position[1], ...intrinsicsSource(ctx.kp) };
  return { kinematic, kinHash, kinPath, skel, camera };
}

/** Runs the kinematic fit and builds kinematic.json (fills the report's kinematic entry). */
function fitKinematic(ctx: RunContext, kinOptions: KinematicOptions, kinHash: string): MotionFile & { reconstruct: KinematicExtra } {
  const { o, report } = ctx;
  const gross = kinOptions.gross !== undefined ? kinOptions.gross : KINEMATIC_DEFAULTS.gross;
  const obs = gross ? rejectGross(ctx.obs, gross, resolveIntrinsics(ctx.kp.camera, ctx.obs.width, ctx.obs.height)).obs : ctx.obs;
  const checkpointPath = join(ctx.out, '.kinematic.checkpoint.json');
  const scene = buildScene(obs, ctx.kp.camera, ctx.keypointsPath, { height: o.subjectHeight });
  const resume = o.resume ? readCheckpoint<KinematicCheckpoint>(checkpointPath, kinHash) : undefined;
  const result = runKinematic(obs, scene, {
    ...kinOptions,
    resume,
    onWindow: windowHook<KinematicCheckpoint>(ctx, 'kinematic', checkpointPath, kinHash),
  });
  // Camera height from the kinematic estimate: the soles may only float (the fit keeps
  // them above y = 0), so lower the scene until the contact frames touch the ground.
  const lift = groundOffset(scene, result.landmarks);
  const params = transformParams(result.params, [0, 0, 0, 1], [0, -lift, 0]);
  const camera = { ...scene.camera, position: [scene.camera.position[0], scene.camera.position[1] - lift, scene.camera.position[2]] as Vec3 };
  const poses = params.map((p) => paramsPose(scene.skel, p));
  const extra: KinematicExtra = {
    inputsHash: kinHash,
    subject: { height: scene.skel.height, heightOption: scene.skeletonOptions.height!, proportions: scene.skeletonOptions.proportions ?? {} },
    ground: { pitch: scene.ground.pitch, height: camera.position[1], lift },
    depth: scene.depth,
    params,
  };
  const optimizer = describeOptimizer(kinOptions.optimizer ?? 'optimus');
  const kinematic = buildMotion(scene.skel, camera, obs.fps, poses, null, {
    kinematic: { loss: result.loss, iterations: result.iterations, ms: result.ms, lossCurve: result.lossCurve, optimizer },
  }, { reconstruct: extra, framesWithoutPerson: obs.filledFrames });
  report.stages.kinematic = { skipped: false, ms: result.ms, iterations: result.iterations, loss: result.loss, optimizer, evaluations: result.evaluations, windows: result.windowCurves.length };
  report.secondsPerVideoSecond.kinematic = result.ms / 1000 / videoSeconds(obs);
  return kinematic as MotionFile & { reconstruct: KinematicExtra };
}

function physicsOptionsOf(o: ReconstructOptions): PhysicsStageOptions {
  return { optimizer: o.optimizer, ...(o.iterations !== undefined ? { iterations: o.iterations } : {}), ...(o.physicsStage ?? {}) };
}

/** Physics stage (or, without it, kinematic.json restamped as motion.json): returns what motion.json holds. */
async function physicsStage(ctx: RunContext, kin: KinematicOutcome): Promise<MotionFile> {
  const { o, report } = ctx;
  const motionPath = join(ctx.out, 'motion.json');
  if (!o.physics) {
    writeJsonAtomic(motionPath, { ...kin.kinematic, reconstruct: { inputsHash: kin.kinHash } });
    return kin.kinematic;
  }
  const physOptions = physicsOptionsOf(o);
  const physHash = physicsStamp(kin.kinHash, o);
  const previous = readStage(motionPath);
  if (previous && previous.reconstruct?.inputsHash === physHash && !o.force) {
    reportReusedPhysics(report, previous);
    return previous;
  }
  const motion = await simulatePhysics(ctx, kin, physOptions, physHash);
  writeJsonAtomic(motionPath, motion);
  rmSync(join(ctx.out, '.physics.checkpoint.json'), { force: true });
  return motion;
}

/** What the run that wrote motion.json reported about the simulation still holds for it. */
function reportReusedPhysics(report: ReconstructReport, motion: MotionFile): void {
  const s = motion.stages?.physics;
  report.stages.physics = skippedStage(s);
  const sim = physicsStageReport.parse(s ?? {});
  report.resets = sim.resets ?? [];
  report.blendedFrames = sim.blendedFrames ?? [];
  report.restartShifts = sim.restartShifts ?? [];
  if (sim.blowUps) report.blowUps = sim.blowUps;
  if (sim.residualForce !== undefined && sim.residualTorque !== undefined) report.residualForce = { meanN: sim.residualForce, meanNm: sim.residualTorque };
  if (sim.accounting) setPhysicsAccounting(report, sim.accounting);
}

function setPhysicsAccounting(report: ReconstructReport, accounting: PhysicsAccounting): void {
  report.physics = accounting;
  report.subject.massKg = accounting.massKg;
}

/** Runs the physics fit from the kinematic poses and builds motion.json (fills the report's physics entries). */
async function simulatePhysics(ctx: RunContext, kin: KinematicOutcome, physOptions: PhysicsStageOptions, physHash: string): Promise<MotionFile> {
  const { o, obs, report } = ctx;
  const { kinematic, skel, camera } = kin;
  const extra = kinematic.reconstruct!;
  const checkpointPath = join(ctx.out, '.physics.checkpoint.json');
  const resume = o.resume ? readCheckpoint<PhysicsCheckpoint>(checkpointPath, physHash) : undefined;
  const poses = extra.params.map((p) => paramsPose(skel, p));
  const result = await runPhysics(obs, skel, camera, extra.depth, poses, {
    ...physOptions,
    workers: o.workers ?? 0,
    resume,
    onWindow: windowHook<PhysicsCheckpoint>(ctx, 'physics', checkpointPath, physHash),
  });
  const optimizer = describePhysicsOptimizer(physOptions);
  const motion = buildMotion(skel, camera, obs.fps, result.poses, result.contacts, {
    ...(kinematic.stages ?? {}),
    physics: {
      loss: result.loss, iterations: result.iterations, ms: result.ms, lossCurve: result.lossCurve, optimizer,
      rollouts: result.rollouts, residualForce: result.residualForce, residualTorque: result.residualTorque, blowUps: result.blowUps, resets: result.resets, blendedFrames: result.blendedFrames, restartShifts: result.restartShifts,
      windowCurves: result.windowCurves, accounting: motionAccounting(result.accounting),
    },
  }, { reconstruct: { inputsHash: physHash }, framesWithoutPerson: obs.filledFrames });
  motion.frames.forEach((f, t) => Object.assign(f, motionFrameForces(result.frameForces[t] ?? null)));
  setPhysicsAccounting(report, result.accounting);
  report.stages.physics = { skipped: false, ms: result.ms, iterations: result.iterations, loss: result.loss, optimizer, rollouts: result.rollouts, windows: result.windowCurves.length };
  report.residualForce = { meanN: result.residualForce, meanNm: result.residualTorque };
  report.blowUps = result.blowUps;
  report.resets = result.resets;
  report.blendedFrames = result.blendedFrames;
  report.restartShifts = result.restartShifts;
  report.secondsPerVideoSecond.physics = result.ms / 1000 / videoSeconds(obs);
  return motion;
}

/**
 * After every window: write the checkpoint, report progress, and honour the `stopAfter`
 * test hook (which throws as an interruption would, leaving the checkpoint).
 */
function windowHook<S extends { nextWindow: number }>(ctx: RunContext, stage: 'kinematic' | 'physics', checkpointPath: string, inputsHash: string) {
  let windowsDone = 0;
  return (state: S, total: number): void => {
    writeJsonAtomic(checkpointPath, { inputsHash, state });
    ctx.o.onProgress?.(stage, state.nextWindow, total);
    windowsDone++;
    const stop = ctx.o.stopAfter;
    if (stop?.stage === stage && windowsDone >= stop.windows && state.nextWindow < total) throw new Interrupted('interrupted (test hook)');
  };
}

/** The export files next to motion.json (motion.json is itself the json export). */
async function writeExports(ctx: RunContext, motion: MotionFile): Promise<void> {
  for (const format of ctx.o.exports) {
    const data = await exportMotion(motion, format);
    if (format === 'json') continue;
    const path = join(ctx.out, `motion${EXPORT_FORMATS[format].extension}`);
    writeFileAtomic(path, data);
    ctx.report.outputs[format] = path;
  }
}

/** A rendered check: the reconstruction projected onto the source frames. */
async function writeCheck(ctx: RunContext, motion: MotionFile): Promise<void> {
  const video = ctx.keypointsPath === ctx.input ? findSourceVideo(ctx.kp, ctx.keypointsPath) : ctx.input;
  const checkPath = join(ctx.out, 'check.jpg');
  writeFileAtomic(checkPath, await renderCheckSheet(motion, ctx.kp, video));
  ctx.report.outputs.check = checkPath;
}

/** A report entry for a stage whose stored output was reused. */
function skippedStage(s: { iterations?: number; loss?: number; optimizer?: string } | undefined): ReconstructReport['stages'][string] {
  return { skipped: true, ms: 0, iterations: s?.iterations ?? 0, loss: s?.loss ?? 0, optimizer: s?.optimizer ?? '', windows: 0 };
}

function videoSeconds(obs: Observations): number {
  return obs.frameCount / obs.fps;
}

/**
 * How far the kinematic soles float above the ground where they rest: per frame the lowest
 * sole landmark (less its height on a flat foot), then the 20th percentile over the clip
 * (frames with a foot down dominate the low end). Never negative, at most 20 cm.
 */
function groundOffset(scene: Scene, landmarks: Vec3[][]): number {
  const rest = landmarkPositions(scene.skel, restPose(scene.skel));
  const soles = [29, 30, 31, 32];
  const lows = landmarks.map((f) => Math.min(...soles.map((j) => f[j]![1] - rest[j]![1]))).sort((a, b) => a - b);
  if (!lows.length) return 0;
  const v = lows[Math.floor(0.2 * (lows.length - 1))]!;
  return Math.max(0, Math.min(0.2, v));
}

/** What kinematic.json carries beyond motion.json for the next stage and for skipping. */
interface KinematicExtra extends StageStamp {
  subject: { height: number; heightOption: number; proportions: Proportions };
  ground: { pitch: number; height: number; lift?: number };
  depth: number;
  params: number[][];
}

function paramsPose(skel: Skeleton, p: number[]): Pose {
  return poseFromAngles(skel, [p[0]!, p[1]!, p[2]!], quatFromRotationVector([p[3]!, p[4]!, p[5]!]), p.slice(6));
}

/** A stage output if it is there and valid; anything else means "redo". */
function readStage(path: string): (MotionFile & { reconstruct?: KinematicExtra }) | null {
  if (!existsSync(path)) return null;
  try {
    const r = motionFile.safeParse(readJsonFile(path));
    return r.success ? (r.data as MotionFile & { reconstruct?: KinematicExtra }) : null;
  } catch {
    return null;
  }
}

/** The state of a checkpoint or stamp file written for these inputs, else undefined. */
function readCheckpoint<S>(path: string, inputsHash: string): S | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const c = readJsonFile(path) as { inputsHash?: string; state?: S };
    return c.inputsHash === inputsHash ? c.state : undefined;
  } catch {
    return undefined;
  }
}
