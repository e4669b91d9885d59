/**
 * The physics stage's options, grouped by concern: the controller that drives the humanoid, the
 * windows the clip is cut into, the finite-difference gradient, the loss, and the recovery when
 * the simulation strays. How each default was chosen: docs/notebook/physics-stage.md.
 */
import { z } from 'zod';
import type { Skeleton } from '../body/skeleton.ts';
import { UserError } from '../errors.ts';
import { PHYSICS_DEFAULTS, TOE_DEFAULTS, type PhysicsOptions } from '../physics/humanoid.ts';
import type { RootGains } from '../physics/rollout.ts';
import { TRACKING_DEFAULTS } from '../physics/tracking.ts';
import { BALANCE_DEFAULTS } from '../physics/balance.ts';
import { CONTROLLER_DEFAULTS, type ControllerOptions as BodyController } from '../physics/controller.ts';
import type { SamplingOptions } from '../physics/sampling.ts';
import { PHYSICS_WEIGHTS, type PhysicsWeights } from './physics-loss.ts';
import type { PhysicsCheckpoint } from './physics-result.ts';

/** Which joint angles get optimized offsets: legs and trunk carry balance and contact. */
export const CONTROLLED_JOINTS = ['spine', 'chest', 'left_thigh', 'left_shin', 'left_foot', 'right_thigh', 'right_shin', 'right_foot'];

/** Frame rate (fps) below which `controller.lowFpsGainScale` replaces `controller.gainScale`. */
export const LOW_FPS = 15;

/** The Optimus prior of the stage: the diagonal H₀ at 1/√v alone, the prior it was tuned with. */
export const PHYSICS_OPTIMUS_PRIOR = { diagonalBlend: 0 };

/** How the humanoid is driven toward the kinematic motion. */
export interface ControllerOptions {
  /**
   * Closed-loop root wrench toward the kinematic root at every step (PD gains as accelerations,
   * src/physics/tracking.ts' defaults): a force from outside the body, reported as the
   * physics residual; null for none.
   */
  rootPd: Omit<RootGains, 'mass'> | null;
  /** Also optimize a penalised open-loop root wrench per knot (an external force, reported). */
  rootWrench: boolean;
  /** Multiplier on every joint's PD stiffness (damping scales with its square root). */
  gainScale: number;
  /** The multiplier below LOW_FPS: each control interval spans many steps there and stiff gains blow up. */
  lowFpsGainScale: number;
  /** PD targets lead the kinematic pose by this many seconds, rounded to whole frames. */
  leadSeconds: number;
  /** Gaussian σ (frames at 30 fps: the same time at higher rates) low-passing the kinematic motion before it becomes PD targets; 0 for none. */
  smoothing: number;
  /** PD targets and the root reference follow Catmull-Rom splines (continuous target velocity). */
  spline: boolean;
  /** Humanoid options of src/physics that differ from its defaults here (per-joint stiffness merged). */
  humanoid: Partial<PhysicsOptions>;
  /**
   * The fully physical controller under the optimizer (src/physics/controller.ts: PD, gravity
   * compensation, stance-leg balance, no external force) and the sampling search that seeds each
   * window's offsets (src/physics/sampling.ts); null drives the motors with PD alone.
   */
  physical: PhysicalControl | null;
}

/** The fully physical controller's layers as the stage uses them. */
export interface PhysicalControl {
  /** Feed-forward, balance layer and fall test (src/physics/controller.ts). */
  layer: BodyController;
  /** The sampling search run before each window's optimization; null skips it. */
  sampling: Partial<SamplingOptions> | null;
  /** Put the reference's stance frames on the floor first (physics-reference.ts plantFeet). */
  plantFeet: boolean;
  /**
   * Then lock its stance feet in one place on the floor and re-solve the legs (physics-reference.ts
   * physicalReference), and move its body so its centre of mass stands over its stance feet where
   * it stands still (physics-balance.ts): on the real videos the body fell without them (a monocular
   * fit's feet wander and its one-legged poses lean 30–40 cm past the foot); on the CMU bench they
   * cost 6 mm mean MPJPE (docs/physics.md, Reference).
   */
  footLock: boolean;
  /** Largest tilt (rad) of a locked stance foot from flat (foot-lock.ts maxTilt). */
  lockTilt: number;
  /** A locked leg's knee is turned to point over its toes (foot-lock.ts kneeOverToes); off: the reference's knee direction kept. */
  lockKneeOverToes: boolean;
  balanceReference: boolean;
  /** First move the body along the camera ray so its planted feet do not slide along it (physics-depth.ts). */
  depthAnchor: boolean;
  /**
   * Share (0–1) of the way the search and the guard score rollouts against the low-passed fit
   * (on the floor, anchored along the ray) instead of the locked, balanced reference the controller follows.
   */
  scoreFit: number;
  /**
   * Each window's search continues from the PD-target offsets the previous window's committed
   * controls ended with, the optimizer's last knot included (not the search's alone, which left
   * the optimizer's offsets to drop out in one step at every seam).
   */
  seamRefined: boolean;
}

/** How the clip is cut into windows of optimized controls. */
export interface WindowOptions {
  /** Frames (control intervals) per window. */
  size: number;
  /** Control knots per window (offsets interpolated linearly between them). */
  knots: number;
  /** Each window's first knot continues the offsets the previous window ended with (not optimized). */
  continuous: boolean;
  /**
   * Frames each window's rollouts run past its end (holding the last knot), scored but not kept:
   * a window's controls are chosen for the state they leave the next window in too.
   */
  lookahead: number;
  /** Weight of a lookahead frame's loss relative to a window frame's. */
  lookaheadWeight: number;
}

/** The finite-difference gradient of a window's loss (the simulator is not differentiable). */
export interface GradientOptions {
  /** Finite-difference step (rad for angles; fraction of body weight for the wrench). */
  fdStep: number;
  /** control = paramScale · x, so that useful offsets (~20 mrad) are O(1) in x, the scale learned optimizers know. */
  paramScale: number;
  /** Share of the iterations, at the end, that use central differences. */
  centralShare: number;
}

/** What a window's loss weighs (physics-loss.ts). */
export interface LossOptions {
  weights: PhysicsWeights;
  /** Landmark height (m) under which a foot's sole points count as planted for the slide terms (0: simulated contact only). */
  contactBand: number;
  /** Horizontal motion (m) of a planted foot's centre per frame above which `footSkate` charges it (below the metric's 2 cm). */
  skateMargin: number;
}

/**
 * What happens when the simulation strays from the kinematic motion. Every restart replaces the
 * simulated state instead of simulating it, and is counted in the result's `restarts`.
 */
export interface RecoveryOptions {
  /** Redo a window that strays (`strayPoseError` at any frame, or ends far off) once from the kinematic state at its start. */
  rewind: boolean;
  /** Pose error (m, mean over landmarks, pelvis-aligned) at any frame of a window that makes `rewind` redo it. */
  strayPoseError: number;
  /** A window whose pelvis ends this far (m) from the kinematic one restarts the next from the kinematic state. */
  resetDistance: number;
  /** Likewise when its last pose is this far (m, as `strayPoseError`) from the kinematic pose. */
  resetPoseError: number;
  /** A window whose pelvis or pose ends far off (`resetDistance`, `resetPoseError`) restarts the next from the kinematic state. */
  reset: boolean;
  /** Frames before a restart blended into the restart pose (interpolated, not simulated); 0 keeps the jump. */
  seamBlend: number;
  /** A restart starts from the kinematic pose shifted horizontally to keep the simulation's planted feet in place. */
  restartShift: boolean;
}

/**
 * How optimizer iterations refine the sampling search's controls (fully physical controller with
 * its search on; otherwise the window loss alone is optimized, as before).
 */
export interface RefineOptions {
  /**
   * What the iterations minimise: 'window' is the window loss (physics-loss.ts: reprojection of the
   * detections and the physics terms); 'tracking' is the search's own cost over the window and its
   * look-ahead (landmark error to the reference, the pelvis along the camera ray down-weighted,
   * fallen frames at `fallPenalty`), so the iterations continue the search's objective.
   */
  loss: 'window' | 'tracking';
  /** Cost (m², as a squared landmark error) of a fallen frame in the 'tracking' loss and the guard. */
  fallPenalty: number;
  /**
   * Keep the optimizer's best point only when its rollout falls no earlier than the search's and
   * its tracking cost is lower; otherwise the window keeps the search's controls.
   */
  guard: boolean;
  /** Carry the optimizer's last offsets into the next window's first knot (false: the next window starts from its search's controls). */
  carry: boolean;
  /** Optimus checkpoint of the iterations (a path from the project root); null: the stages' (models/optimus-bench.json). reconstruct --checkpoint overrides it. */
  checkpoint: string | null;
}

/** Every option of the stage, resolved. */
export interface PhysicsStageConfig {
  optimizer: string;
  /** Optimizer iterations per window. */
  iterations: number;
  seed: number;
  /** Worker threads for the finite-difference rollouts (0: the calling thread); the result does not depend on it. */
  workers: number;
  controller: ControllerOptions;
  windows: WindowOptions;
  gradient: GradientOptions;
  loss: LossOptions;
  recovery: RecoveryOptions;
  refine: RefineOptions;
}

/** What a caller passes: any subset of each group, plus the checkpoint hooks. */
export interface PhysicsStageOptions {
  optimizer?: string;
  iterations?: number;
  seed?: number;
  workers?: number;
  controller?: Partial<Omit<ControllerOptions, 'physical'>> & { physical?: Partial<PhysicalControl> | null };
  windows?: Partial<WindowOptions>;
  gradient?: Partial<GradientOptions>;
  loss?: Partial<Omit<LossOptions, 'weights'>> & { weights?: Partial<PhysicsWeights> };
  recovery?: Partial<RecoveryOptions>;
  refine?: Partial<RefineOptions>;
  onWindow?: (state: PhysicsCheckpoint, total: number) => void;
  resume?: PhysicsCheckpoint;
}

/** The closed-loop root wrench of the puppet controller. Weak sideways pull: a stiff one drags planted feet. */
export const ROOT_PD: Omit<RootGains, 'mass'> = {
  stiffness: TRACKING_DEFAULTS.rootStiffness, damping: TRACKING_DEFAULTS.rootDamping,
  rotStiffness: TRACKING_DEFAULTS.rotStiffness, rotDamping: TRACKING_DEFAULTS.rotDamping, inertia: TRACKING_DEFAULTS.rotInertia,
  horizontal: 0.3,
};

/**
 * Weight of the pelvis's error along the camera ray (of one across it, squared): the real capture's
 * monocular fits slide 20–80 cm along the ray; with the depth anchor and the fps-aware reference it
 * took the capture's falls 28 → 16 of 80 windows and the CMU squat, walk and jumps closer (docs/physics.md).
 */
export const DEPTH_WEIGHT = 0.1;

/** The fully physical controller's layers when `controller.physical` is given (src/physics/controller.ts, sampling.ts). */
/**
 * The search looks 0.6 s past each segment (15 frames at 30 fps) and samples only segments whose
 * plain continuation strays more than 4 cm RMS from the reference: fewer falls and lower MPJPE than
 * a 0.4 s look-ahead sampling every segment, on the CMU clips and the demo (docs/physics.md).
 * The reference's accelerations are fed forward, and a locked foot tilts as the reference tilts it
 * (the toes carry a heel-up stance) with the knee the fit gave it: CMU squat, walk and jumps mean
 * MPJPE 136.8 → 128.4 mm over three seeds, 1 → 0 falls (docs/notebook/physics-gap.md).
 */
export const PHYSICAL_DEFAULTS: PhysicalControl = {
  // The pelvis's error along the camera ray weighs 0.1 of one across it in the search's cost and the fall test (src/physics/view-error.ts).
  // PD targets' velocity from the reference alone: an offset's change of slope steps no torque (docs/notebook/physics-accel.md).
  // The balance layer's centre-of-mass target moves half of the way with the stance feet's offset from the reference's: it balances
  // over the feet the body stands on. CMU walk / jumps MPJPE 133.9 / 127.2 → 130.1 / 123.6 mm (every seed), squat 111.4 → 116.0 (docs/notebook/physics-gap.md).
  layer: { ...CONTROLLER_DEFAULTS, depthWeight: DEPTH_WEIGHT, accelFeedForward: 1, offsetVelocity: false, balance: { ...BALANCE_DEFAULTS, feetRelative: 0.5 } },
  // 128 samples per hard segment, not 64: mean MPJPE 128.4 → 125.6 mm and skating under 2 % on the three clips, at about twice the search's compute.
  // Controls continuous across windows and no one-frame segment, the pelvis's place weighted 0.3 of the pose about it, a change of
  // the offsets charged 0.05 m²/rad²: acceleration error 14.8 / 14.8 / 18.7 → 10.8 / 12.5 / 15.2 mm/f² on the CMU squat, walk and jumps (docs/notebook/physics-accel.md).
  sampling: { lookaheadFrames: 15, easyError: 0.04, depthWeight: DEPTH_WEIGHT, samples: 128, tailMerge: true, acrossWindows: true, rootWeight: 0.3, changeWeight: 0.05 },
  plantFeet: true, footLock: true, lockTilt: 1.5, lockKneeOverToes: false, balanceReference: true, depthAnchor: true, scoreFit: 0, seamRefined: false,
};

/** The fully physical stage's arm gains (N·m/rad for 70 kg × 1.70 m): twice src/physics' PHYSICS_DEFAULTS. */
export const ARM_STIFFNESS = { shoulder: 2 * PHYSICS_DEFAULTS.stiffness.shoulder, elbow: 2 * PHYSICS_DEFAULTS.stiffness.elbow, wrist: 2 * PHYSICS_DEFAULTS.stiffness.wrist };

export const PHYSICS_STAGE_DEFAULTS: PhysicsStageConfig = {
  optimizer: 'optimus',
  // The optimizer refines the search's controls, guarded (a window keeps them only if they track
  // better without falling sooner): CMU squat/walk/jumps MPJPE −8.5/−1.1/−3.5 mm, 0 falls, about
  // +50–100 % physics compute (docs/physics.md). 8, not 4: −3.7/−2.7/−1.4 mm, PA −5.3/−3.9/−2.2,
  // jumps skating 3.9 → 1.1 %, +15–20 % rollouts (docs/notebook/physics-gap.md, session 18). 0 = the search alone.
  iterations: 8,
  seed: 0,
  workers: 0,
  controller: {
    // Fully physical: no hand on the pelvis (the puppet's ROOT_PD is an option, PUPPET below).
    rootPd: null,
    rootWrench: false,
    // src/physics' joint gains: × 1.5 lost 23–63 mm tracking the truth (docs/notebook/physics-controller.md).
    gainScale: 1,
    lowFpsGainScale: 1,
    leadSeconds: 0,
    smoothing: 2,
    spline: true,
    // Toe segments: lower acceleration error on every bench clip, squat and walk closer (docs/physics.md).
    // Arms twice as stiff as src/physics' (shoulder, elbow, wrist): PD-driven limbs the trunk shook (docs/notebook/physics-accel.md).
    humanoid: { toes: TOE_DEFAULTS, stiffness: ARM_STIFFNESS } as Partial<PhysicsOptions>,
    physical: PHYSICAL_DEFAULTS,
  },
  windows: { size: 10, knots: 2, continuous: true, lookahead: 10, lookaheadWeight: 1 },
  gradient: { fdStep: 0.01, paramScale: 0.02, centralShare: 0.34 },
  loss: { weights: PHYSICS_WEIGHTS, contactBand: 0.05, skateMargin: 0.01 },
  // A restart replaces the simulated state: off, a fall is counted and the body simulated on.
  recovery: { rewind: false, reset: false, strayPoseError: 0.06, resetDistance: 0.15, resetPoseError: 0.08, seamBlend: 4, restartShift: true },
  // Opt-in iterations start from the search's controls and keep a point only if it tracks better without
  // falling sooner: 4 Optimus iterations −1.5 mm MPJPE over the search alone, +4.4 unguarded and carried (docs/optimus.md).
  // The motion checkpoint ('rms' first step) on this stage: MPJPE −2.1 ± 0.9 mm, PA −1.8 ± 0.8 over
  // optimus-bench.json, seeds 0–5, 0 falls (docs/notebook/optimus-motion.md; on 81db528's stage it was level).
  refine: { loss: 'window', fallPenalty: 1, guard: true, carry: false, checkpoint: 'models/optimus-motion.json' },
};

/**
 * The fully physical stage (the defaults, spelled out): no hand on the pelvis, the controller's
 * balance layer and sampling search under the optimizer, no rewinds or resets.
 */
export const FULLY_PHYSICAL: PhysicsStageOptions = {
  controller: { rootPd: null, physical: PHYSICAL_DEFAULTS, gainScale: 1, humanoid: { stiffness: { knee: PHYSICS_DEFAULTS.stiffness.knee } } as Partial<PhysicsOptions> },
  recovery: { rewind: false, reset: false },
};

/**
 * The puppet: a PD "hand of God" on the pelvis (reported as residual), PD alone, joint gains × 1.5
 * with stiffer knees (docs/notebook/physics-stage.md), rewinds and resets. Not physical: an option to compare.
 */
export const PUPPET: PhysicsStageOptions = {
  controller: { rootPd: ROOT_PD, physical: null, gainScale: 1.5, humanoid: { toes: null, stiffness: { ...PHYSICS_DEFAULTS.stiffness, knee: 6000 } } as Partial<PhysicsOptions> },
  recovery: { rewind: true, reset: true, restartShift: true },
};

/** The controllers a user chooses by name (`reconstruct --controller`). */
export const CONTROLLERS = { puppet: PUPPET, physical: FULLY_PHYSICAL } as const;
export type ControllerName = keyof typeof CONTROLLERS;

/** The stage's humanoid options: its defaults, then the caller's (per-joint stiffness merged). */
export function humanoidOptions(humanoid: Partial<PhysicsOptions> = {}): Partial<PhysicsOptions> {
  const base = PHYSICS_STAGE_DEFAULTS.controller.humanoid;
  return { ...base, ...humanoid, stiffness: { ...PHYSICS_DEFAULTS.stiffness, ...base.stiffness, ...humanoid.stiffness } };
}

/** The defaults with a caller's options laid over them, group by group. */
export function resolvePhysicsOptions(options: PhysicsStageOptions = {}): PhysicsStageConfig {
  const d = PHYSICS_STAGE_DEFAULTS;
  return {
    optimizer: options.optimizer ?? d.optimizer,
    iterations: options.iterations ?? d.iterations,
    seed: options.seed ?? d.seed,
    workers: options.workers ?? d.workers,
    controller: {
      ...d.controller, ...options.controller, humanoid: humanoidOptions(options.controller?.humanoid),
      physical: physicalControl(d.controller.physical, options.controller?.physical),
    },
    windows: { ...d.windows, ...options.windows },
    gradient: { ...d.gradient, ...options.gradient },
    loss: { ...d.loss, ...options.loss, weights: { ...d.loss.weights, ...options.loss?.weights } },
    recovery: { ...d.recovery, ...options.recovery },
    refine: { ...d.refine, ...options.refine },
  };
}

/** The fully physical controller's options: null turns it off, a partial one is laid over PHYSICAL_DEFAULTS. */
function physicalControl(base: PhysicalControl | null, given: Partial<PhysicalControl> | null | undefined): PhysicalControl | null {
  if (given === null) return null;
  if (given === undefined) return base;
  const from = base ?? PHYSICAL_DEFAULTS;
  return { ...from, ...given, layer: { ...from.layer, ...given.layer } };
}

/** Indices (in the packed angle vector) of the angles the stage controls. */
export function controlledAngles(skel: Skeleton): number[] {
  const out: number[] = [];
  let k = 0;
  for (const j of skel.joints) {
    if (j.parent < 0) continue;
    if (CONTROLLED_JOINTS.includes(j.name)) for (let i = 0; i < j.axes.length; i++) out.push(k + i);
    k += j.axes.length;
  }
  return out;
}

const gains = z.object({
  stiffness: z.number(), damping: z.number(), rotStiffness: z.number(), rotDamping: z.number(), inertia: z.number(), horizontal: z.number().optional(),
}).strict();

/** The options a user may give as JSON (bench:reconstruct `--physics`): the groups above, unknown keys refused. */
export const physicsStageOptionsSchema = z.object({
  optimizer: z.string().optional(),
  iterations: z.number().int().nonnegative().optional(),
  seed: z.number().int().optional(),
  workers: z.number().int().nonnegative().optional(),
  controller: z.object({
    rootPd: gains.nullable(), rootWrench: z.boolean(), gainScale: z.number().positive(), lowFpsGainScale: z.number().positive(),
    leadSeconds: z.number(), smoothing: z.number().nonnegative(), spline: z.boolean(), humanoid: z.record(z.string(), z.unknown()),
    physical: z.object({
      layer: z.record(z.string(), z.unknown()), sampling: z.record(z.string(), z.unknown()).nullable(), plantFeet: z.boolean(), footLock: z.boolean(), lockTilt: z.number().nonnegative(), lockKneeOverToes: z.boolean(), balanceReference: z.boolean(), depthAnchor: z.boolean(), scoreFit: z.number().min(0).max(1), seamRefined: z.boolean(),
    }).partial().strict().nullable(),
  }).partial().strict().optional(),
  windows: z.object({
    size: z.number().int().positive(), knots: z.number().int().positive(), continuous: z.boolean(), lookahead: z.number().int().nonnegative(), lookaheadWeight: z.number().nonnegative(),
  }).partial().strict().optional(),
  gradient: z.object({ fdStep: z.number().positive(), paramScale: z.number().positive(), centralShare: z.number().min(0).max(1) }).partial().strict().optional(),
  loss: z.object({
    weights: z.object(Object.fromEntries(Object.keys(PHYSICS_WEIGHTS).map((k) => [k, z.number()]))).partial().strict(), contactBand: z.number().nonnegative(), skateMargin: z.number().nonnegative(),
  }).partial().strict().optional(),
  recovery: z.object({
    rewind: z.boolean(), reset: z.boolean(), strayPoseError: z.number().positive(), resetDistance: z.number().positive(), resetPoseError: z.number().positive(), seamBlend: z.number().int().nonnegative(), restartShift: z.boolean(),
  }).partial().strict().optional(),
  refine: z.object({
    loss: z.enum(['window', 'tracking']), fallPenalty: z.number().nonnegative(), guard: z.boolean(), carry: z.boolean(), checkpoint: z.string().nullable(),
  }).partial().strict().optional(),
}).strict();

/** Physics-stage options from a JSON string, or a one-line UserError naming what is wrong. */
export function parsePhysicsStageJson(json: string, source = '--physics'): PhysicsStageOptions {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new UserError(`${source}: not JSON (${(e as Error).message})`);
  }
  const r = physicsStageOptionsSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new UserError(`${source}: ${issue.path.join('.') || 'options'}: ${issue.message} (groups: controller, windows, gradient, loss, recovery, refine; see src/reconstruct/physics-options.ts)`);
  }
  return r.data as PhysicsStageOptions;
}
