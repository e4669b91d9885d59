/**
 * The physics stage: the Rapier humanoid tracks the kinematic motion with PD control, window by
 * window, each window's controls optimized by the chosen optimizer (physics-window.ts) against
 * the reprojection and physics loss (physics-loss.ts). Windows are chained: each starts from the
 * simulator snapshot where the previous one ended, unless the recovery options restart it from
 * the kinematic state. Options and how their defaults were chosen: physics-options.ts and
 * docs/notebook/physics-stage.md.
 */
import { forwardKinematics, landmarksFromWorld } from '../body/fk.ts';
import type { Pose } from '../body/pose.ts';
import { angleCount, type Skeleton } from '../body/skeleton.ts';
import type { PinholeCamera } from '../geometry/camera.ts';
import type { Vec3 } from '../geometry/quaternion.ts';
import { humanoidSnapshot } from '../physics/humanoid.ts';
import { createSyncRolloutPool, type RolloutPool } from '../physics/pool.ts';
import { loadRapier, type Rapier } from '../physics/rapier.ts';
import { HumanoidSim, poseFromBodies } from '../physics/sim.ts';
import { sumCurves } from './kinematic.ts';
import type { Observations } from './observations.ts';
import { physicsAccounting, rolloutFrameForces, type RestartEvent } from './physics-accounting.ts';
import { controlledAngles, resolvePhysicsOptions, type PhysicsStageConfig, type PhysicsStageOptions } from './physics-options.ts';
import { FOOT_LOCK_DEFAULTS } from './foot-lock.ts';
import { blendSeams, physicalReference, plantedFeetShift, seamFrames, shiftedPose, smoothMotion } from './physics-reference.ts';
import { controlReference, referenceSlice } from '../physics/control-reference.ts';
import type { ControlledResult } from '../physics/controller.ts';
import { SAMPLING_DEFAULTS, searchControls, type SamplingOptions } from '../physics/sampling.ts';
import type { PhysicsCheckpoint, PhysicsResult } from './physics-result.ts';
import { solveWindow, windowContext, type StageContext, type WindowContext, type WindowOutcome } from './physics-window.ts';
import { makeWindows } from './windows.ts';
import { describeOptimizer } from './optimizers.ts';

export { PHYSICS_STAGE_DEFAULTS, resolvePhysicsOptions, controlledAngles } from './physics-options.ts';
export type { PhysicsStageOptions, PhysicsStageConfig } from './physics-options.ts';
export type { PhysicsCheckpoint, PhysicsResult } from './physics-result.ts';

/** The optimizer the stage's iterations run, as report.json names it (with its resolved checkpoint and hash). */
export function describePhysicsOptimizer(options: PhysicsStageOptions = {}): string {
  const o = resolvePhysicsOptions(options);
  return describeOptimizer(o.optimizer, undefined, o.refine.checkpoint ?? undefined);
}

export async function runPhysics(
  obs: Observations, skel: Skeleton, camera: PinholeCamera, depth: number, kinematicIn: Pose[], options: PhysicsStageOptions = {},
): Promise<PhysicsResult> {
  const started = Date.now();
  const o = resolvePhysicsOptions(options);
  const R = await loadRapier();
  // One pool for the whole stage: starting workers costs seconds, a batch milliseconds.
  const pool: RolloutPool | null = o.workers > 0 ? await createSyncRolloutPool({ workers: o.workers }) : null;
  // The sampling search waits for its batches asynchronously: on the calling thread without workers.
  const searchPool: RolloutPool | null = o.controller.physical?.sampling && !pool ? await createSyncRolloutPool({ workers: 0 }) : null;
  try {
    const { stage, firstSnapshot } = await stageContext(R, pool ?? searchPool, obs, skel, camera, depth, kinematicIn, o);
    const state: PhysicsCheckpoint = options.resume ? structuredClone(options.resume) : {
      nextWindow: 0,
      bodies: [bodiesOfPose(skel, stage.kinematic[0]!)],
      contacts: [[true, true]],
      snapshot: Buffer.from(firstSnapshot).toString('base64'),
      curves: [], starts: [], rollouts: 0, residualForce: [], residualTorque: [], blowUps: [], resets: [],
      forces: [null], restarts: [], falls: [],
    };
    for (let wi = state.nextWindow; wi < stage.windows.length; wi++) {
      await advanceWindow(stage, state, wi);
      options.onWindow?.(structuredClone(state), stage.windows.length);
    }
    return assembleResult(stage, state, started);
  } finally {
    pool?.free();
    searchPool?.free();
  }
}

/** What every window shares, and the simulator snapshot of the first frame. */
async function stageContext(
  R: Rapier, pool: RolloutPool | null, obs: Observations, skel: Skeleton, camera: PinholeCamera, depth: number, kinematicIn: Pose[], o: PhysicsStageConfig,
): Promise<{ stage: StageContext; firstSnapshot: Uint8Array }> {
  const T = kinematicIn.length;
  const physical = o.controller.physical;
  const kinematic = stageReference(skel, kinematicIn, obs.fps, camera.position, o.controller);
  const fps = obs.fps;
  const first = await humanoidStart({ skel, kinematic, T, fps, o }, 0);
  const kinLm = kinematic.map((p) => landmarksFromWorld(skel, forwardKinematics(skel, p)));
  const stage: StageContext = {
    R, pool, layout: first.layout, skel, obs, camera, depth, o, kinematic,
    kinLm,
    T, D: angleCount(skel), fps,
    S: Math.max(1, Math.round(first.layout.options.rate / fps)),
    lead: Math.round(o.controller.leadSeconds * fps),
    controlled: controlledAngles(skel),
    weight: skel.mass * 9.81,
    massKg: HumanoidSim.massOf(R, first.layout, first.snapshot),
    // Interval k of a window [s, e) drives the body from frame s + k to s + k + 1.
    windows: makeWindows(Math.max(1, T - 1), o.windows.size, 0),
    control: physical ? {
      reference: controlReference(first.layout, kinematic, fps, camera.position),
      landmarks: scoredLandmarks(skel, kinematicIn, kinLm, fps, camera.position, o.controller),
      pool,
    } : null,
  };
  return { stage, firstSnapshot: first.snapshot };
}

/**
 * What the stage's controller follows: the kinematic motion low-passed and, for the fully
 * physical controller, made into a reference it can stand on (physics-reference.ts).
 */
export function stageReference(skel: Skeleton, kinematicIn: Pose[], fps: number, camera: Vec3, controller: PhysicsStageConfig['controller']): Pose[] {
  const physical = controller.physical;
  const smooth = lowPassed(skel, kinematicIn, fps, controller);
  return physical?.plantFeet ? physicalReference(skel, smooth, fps, {
    camera, anchor: physical.depthAnchor,
    footLock: physical.footLock, lock: { ...FOOT_LOCK_DEFAULTS, maxTilt: physical.lockTilt, kneeOverToes: physical.lockKneeOverToes }, balance: physical.balanceReference,
  }) : smooth;
}

/** The kinematic motion low-passed (σ is frames at 30 fps; at 60 fps two frames low-passed only the fit's jitter, not its 0.1-s wobble). */
function lowPassed(skel: Skeleton, kinematicIn: Pose[], fps: number, controller: PhysicsStageConfig['controller']): Pose[] {
  return smoothMotion(skel, kinematicIn, Math.max(controller.smoothing, (controller.smoothing * fps) / 30));
}

/**
 * What the search and the guard score rollouts against (T × 99): the reference's landmarks, moved
 * `physical.scoreFit` of the way toward those of the low-passed fit put on the floor and anchored
 * along the ray, before the foot lock and the balance shift changed its legs and place.
 */
function scoredLandmarks(skel: Skeleton, kinematicIn: Pose[], refLm: Vec3[][], fps: number, camera: Vec3, controller: PhysicsStageConfig['controller']): Float64Array {
  const out = Float64Array.from(refLm.flatMap((f) => f.flatMap((p) => p)));
  const physical = controller.physical;
  const b = physical?.scoreFit ?? 0;
  if (!(b > 0) || !physical) return out;
  const fit = physicalReference(skel, lowPassed(skel, kinematicIn, fps, controller), fps, { camera, anchor: physical.depthAnchor });
  fit.forEach((p, t) => landmarksFromWorld(skel, forwardKinematics(skel, p)).forEach((q, i) => {
    for (let c = 0; c < 3; c++) out[t * 99 + i * 3 + c]! += b * (q[c]! - out[t * 99 + i * 3 + c]!);
  }));
  return out;
}

/** A simulator state at kinematic frame t (with its velocity), optionally shifted horizontally. */
function humanoidStart(s: Pick<StageContext, 'skel' | 'kinematic' | 'T' | 'fps' | 'o'>, t: number, shift?: readonly number[]) {
  return humanoidSnapshot(s.skel, {
    pose: shiftedPose(s.kinematic[t]!, shift),
    next: t + 1 < s.T ? { pose: shiftedPose(s.kinematic[t + 1]!, shift), dt: 1 / s.fps } : undefined,
  }, s.o.controller.humanoid);
}

/** Where a restart at frame t starts: the kinematic pose, moved to keep the simulation's planted feet (`recovery.restartShift`). */
function plantedShift(s: StageContext, state: PhysicsCheckpoint, t: number): Vec3 | undefined {
  if (!s.o.recovery.restartShift) return undefined;
  const simulated = landmarksFromWorld(s.skel, forwardKinematics(s.skel, poseFromBodies(s.skel, state.bodies[t]!)));
  return plantedFeetShift(simulated, s.kinLm[t]!, state.contacts[t] ?? [false, false]);
}

/** Solves window wi from the checkpoint's state (rewinding it once if it strays) and appends its frames. */
async function advanceWindow(s: StageContext, state: PhysicsCheckpoint, wi: number): Promise<void> {
  const w = windowContext(s, wi);
  const startSnapshot: Uint8Array = new Uint8Array(Buffer.from(state.snapshot, 'base64'));
  const compute = (state.compute ??= { optimizerMs: 0, optimizerRollouts: 0, samplingMs: 0, samplingRollouts: 0 });
  if (s.control) w.physical = await physicalBase(s, w, startSnapshot, state, compute);
  const t0 = performance.now(), r0 = state.rollouts;
  let outcome = solveWindow(w, startSnapshot, state.carry, state);
  compute.optimizerMs += performance.now() - t0;
  compute.optimizerRollouts += state.rollouts - r0;
  if (fellIn(s, w, outcome)) state.falls.push(wi);
  // A window whose pose strays far off at any of its frames is redone from the kinematic state
  // at its START, where the simulation had not yet drifted as far; kept when it stays closer or
  // ends with a lower loss.
  if (s.o.recovery.rewind && !outcome.gaveUp && outcome.strayed && !state.resets.includes(wi - 1) && wi > 0) {
    const d = plantedShift(s, state, w.win.start);
    const again = solveWindow(w, (await humanoidStart(s, w.win.start, d)).snapshot, undefined, state);
    if (!again.gaveUp && (!again.strayed || again.result.value < outcome.result.value)) {
      state.resets.push(wi - 1);
      if (d) (state.shifts ??= {})[wi - 1] = d;
      restart(state, wi, w.win.start, 'rewind', d);
      outcome = again;
    }
  }
  state.blowUps.push(...outcome.blowUps);
  if (!outcome.gaveUp) continueRefined(s, w, state, outcome.result.x);
  const snapshot = outcome.gaveUp ? await keepGivenUp(s, state, w, outcome.loss) : await keepSimulated(s, state, w, outcome);
  state.snapshot = Buffer.from(snapshot).toString('base64');
  state.nextWindow = wi + 1;
}

/**
 * A window's fall: with the fully physical controller, its best rollout fell (pelvis far from the
 * reference or head low, controller.ts) within the window; with PD, it strayed or ended far off.
 * Either way a window that blew up or was given up.
 */
function fellIn(s: StageContext, w: WindowContext, outcome: WindowOutcome): boolean {
  if (outcome.gaveUp || outcome.best.frames < w.K || !outcome.best.endSnapshot) return true;
  if (!s.control) return outcome.strayed;
  const fellAt = (outcome.best as ControlledResult).fellAt;
  return fellAt !== null && fellAt !== undefined && fellAt < w.K;
}

/**
 * The fully physical controller's reference over a window, and the PD-target offsets the
 * sampling search finds for it from the window's start state (zero without sampling).
 */
async function physicalBase(
  s: StageContext, w: WindowContext, snapshot: Uint8Array, state: PhysicsCheckpoint, compute: NonNullable<PhysicsCheckpoint['compute']>,
): Promise<{ reference: ReturnType<typeof referenceSlice>; base: Float64Array }> {
  const control = s.control!;
  const physical = s.o.controller.physical!;
  const reference = referenceSlice(control.reference, w.win.start, w.KL + 1);
  const base = new Float64Array((w.KL + 1) * s.D);
  if (!physical.sampling) return { reference, base };
  const t0 = performance.now();
  const landmarks = control.landmarks.slice(w.win.start * 99, (w.win.start + w.KL + 1) * 99);
  const layer = { ...physical.layer, gainScale: w.fullGains };
  // Continuing the previous window's offsets: starting each window from none jolted the PD targets at every seam.
  const across = physical.sampling.acrossWindows ?? SAMPLING_DEFAULTS.acrossWindows;
  const from = across && state.searchCarry ? Float64Array.from(state.searchCarry) : undefined;
  const r = await searchControls(control.pool!, s.layout, snapshot, reference, landmarks, w.K, s.S, layer, { seed: s.o.seed + w.index, ...samplingAtRate(physical.sampling, s.fps) }, false, from);
  state.searchCarry = across ? Array.from(r.endOffsets) : undefined;
  base.set(r.offsets.subarray(0, w.K * s.D));
  for (let k = w.K; k <= w.KL; k++) base.set(r.endOffsets, k * s.D);
  compute.samplingMs += performance.now() - t0;
  compute.samplingRollouts += r.rollouts;
  return { reference, base };
}

/**
 * With `physical.seamRefined`, the next window's search starts from the offsets this window's
 * committed controls ended with: the search's plus the optimizer's last knot (`x`, the optimized
 * vector), which otherwise dropped out of the PD targets in one step at the seam. Not with
 * `refine.carry`, which carries that knot into the next window's first one itself.
 */
function continueRefined(s: StageContext, w: WindowContext, state: PhysicsCheckpoint, x: Float64Array): void {
  if (!s.control || !s.o.controller.physical?.seamRefined || s.o.refine.carry || !state.searchCarry || x.length < w.perKnot) return;
  const last = x.length - w.perKnot;
  s.controlled.forEach((a, c) => { state.searchCarry![a]! += x[last + c]! * s.o.gradient.paramScale; });
}

/**
 * The search's segment and look-ahead lengths are frames at 30 fps: at another frame rate the same
 * durations (at least one frame), so a 5 fps video does not look 3 s ahead.
 */
function samplingAtRate(sampling: Partial<SamplingOptions>, fps: number): Partial<SamplingOptions> {
  const scale = (frames: number) => Math.max(1, Math.round((frames * fps) / 30));
  return {
    ...sampling,
    segmentFrames: scale(sampling.segmentFrames ?? SAMPLING_DEFAULTS.segmentFrames),
    lookaheadFrames: scale(sampling.lookaheadFrames ?? SAMPLING_DEFAULTS.lookaheadFrames),
  };
}

/** Appends the kinematic frames of kinematic frames start + 1 + k for k ≥ from of a window. */
function keepKinematicFrames(s: StageContext, state: PhysicsCheckpoint, w: WindowContext, from: number): void {
  for (let k = from; k < w.K; k++) {
    state.bodies.push(bodiesOfPose(s.skel, s.kinematic[w.win.start + k + 1]!));
    state.contacts.push([false, false]);
    state.forces.push(null);
  }
}

function restart(state: PhysicsCheckpoint, window: number, frame: number, kind: RestartEvent['kind'], shift?: readonly number[]): void {
  state.restarts.push({ window, frame, kind, shiftM: shift ? Math.hypot(...shift) : 0 });
}

/** A window given up on: keeps its kinematic frames and restarts the simulation after it. */
async function keepGivenUp(s: StageContext, state: PhysicsCheckpoint, w: WindowContext, loss: number): Promise<Uint8Array> {
  keepKinematicFrames(s, state, w, 0);
  restart(state, w.index, w.win.end, 'gave-up');
  state.curves.push(new Array(s.o.iterations).fill(loss));
  state.starts.push(loss);
  state.carry = undefined;
  return (await humanoidStart(s, w.win.end)).snapshot;
}

/** A solved window: keeps its own frames (the lookahead's are the next window's to choose) and says where the next starts. */
async function keepSimulated(s: StageContext, state: PhysicsCheckpoint, w: WindowContext, outcome: Extract<WindowOutcome, { gaveUp: false }>): Promise<Uint8Array> {
  const { best, result } = outcome;
  const J = s.layout.bodies.length;
  state.carry = outcome.carry;
  state.curves.push(result.curve);
  state.starts.push(result.start);
  for (let k = 0; k < Math.min(w.K, best.frames); k++) {
    state.bodies.push(Array.from(best.bodies.subarray(k * J * 7, (k + 1) * J * 7)));
    state.contacts.push([best.contacts[k * 2] === 1, best.contacts[k * 2 + 1] === 1]);
    state.forces.push(rolloutFrameForces(best, k));
  }
  state.residualForce.push(best.residualForce);
  state.residualTorque.push(best.residualTorque);
  if (best.frames < w.K || !best.endSnapshot) {
    state.blowUps.push({ window: w.index, reason: best.blowUp?.reason ?? 'no end state', recovered: false, frame: w.win.start + Math.min(best.frames, w.K - 1) + 1 });
    keepKinematicFrames(s, state, w, best.frames);
    restart(state, w.index, w.win.end, 'blow-up');
    state.carry = undefined;
    return (await humanoidStart(s, w.win.end)).snapshot;
  }
  if (s.o.recovery.reset && outcome.farOff) {
    state.resets.push(w.index);
    const d = plantedShift(s, state, w.win.end);
    if (d) (state.shifts ??= {})[w.index] = d;
    restart(state, w.index, w.win.end, 'reset', d);
    state.carry = undefined;
    return (await humanoidStart(s, w.win.end, d)).snapshot;
  }
  return best.endSnapshot;
}

/** The stage's result from the finished checkpoint: poses (restart seams blended), landmarks, curves, residuals. */
function assembleResult(s: StageContext, state: PhysicsCheckpoint, started: number): PhysicsResult {
  const { skel, kinematic, windows, o } = s;
  const simulated = state.bodies.map((b) => poseFromBodies(skel, b));
  // The frame each restart jumps from: the end of the window after which it restarted.
  const seams = state.resets.map((w) => windows[w]!.end).filter((t) => t > 0 && t < simulated.length - 1);
  const shiftAtSeam = new Map(state.resets.map((w) => [windows[w]!.end, state.shifts?.[w]] as const));
  const poses = blendSeams(skel, simulated, seams, (t) => shiftedPose(kinematic[t]!, shiftAtSeam.get(t)), o.recovery.seamBlend);
  const blendedFrames = [...new Set(seams.flatMap((t) => seamFrames(t, o.recovery.seamBlend)))].sort((a, b) => a - b);
  const landmarks = poses.map((p) => landmarksFromWorld(skel, forwardKinematics(skel, p)));
  const lossCurve = sumCurves(state.curves);
  const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0);
  return {
    poses,
    landmarks,
    contacts: state.contacts.map(([l, r]) => ({ leftFoot: l, rightFoot: r })),
    // With no optimizer iterations the loss is that of the search's controls, each window's start.
    loss: lossCurve.length ? lossCurve[lossCurve.length - 1]! : state.starts.reduce((a, b) => a + b, 0),
    iterations: o.iterations,
    rollouts: state.rollouts,
    lossCurve,
    windowCurves: state.curves,
    windowStarts: state.starts,
    residualForce: mean(state.residualForce),
    residualTorque: mean(state.residualTorque),
    blowUps: state.blowUps,
    resets: state.resets,
    blendedFrames,
    restartShifts: state.resets.map((w) => Math.hypot(...(state.shifts?.[w] ?? [0]))),
    frameForces: state.forces,
    restartEvents: state.restarts,
    falls: state.falls,
    accounting: {
      ...physicsAccounting(state.forces, state.contacts, s.massKg, state.restarts.length, state.falls.length),
      controller: controllerKind(o),
      ...(state.compute ? { compute: roundCompute(state.compute) } : {}),
    },
    ms: Date.now() - started,
  };
}

/** Body poses (J × 7: position, quaternion) of a kinematic pose — the simulator's body frames. */
function bodiesOfPose(skel: Skeleton, pose: Pose): number[] {
  const w = forwardKinematics(skel, pose);
  const out: number[] = [];
  for (let j = 0; j < skel.joints.length; j++) out.push(...w.positions[j]!, ...w.rotations[j]!);
  return out;
}

/** The compute split as report.json states it: whole milliseconds. */
function roundCompute(c: NonNullable<PhysicsCheckpoint['compute']>): NonNullable<PhysicsCheckpoint['compute']> {
  return { optimizerMs: Math.round(c.optimizerMs), optimizerRollouts: c.optimizerRollouts, samplingMs: Math.round(c.samplingMs), samplingRollouts: c.samplingRollouts };
}

/** How the body was driven, as report.json names it: a root PD makes it the puppet whatever else runs. */
function controllerKind(o: PhysicsStageConfig): 'physical' | 'puppet' | 'pd' {
  if (o.controller.rootPd || o.controller.rootWrench) return 'puppet';
  return o.controller.physical ? 'physical' : 'pd';
}
