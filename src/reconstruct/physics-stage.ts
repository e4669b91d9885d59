import { forwardKinematics, landmarksFromWorld } from '../body/fk.ts';
import { anglesFromPose, type Pose } from '../body/pose.ts';
import { angleCount, type Skeleton } from '../body/skeleton.ts';
import type { PinholeCamera } from '../geometry/camera.ts';
import { quatConjugate, quatMultiply, quatNormalize, type Quat, type Vec3 } from '../geometry/quaternion.ts';
import { humanoidSnapshot, PHYSICS_DEFAULTS, type HumanoidLayout, type PhysicsOptions } from '../physics/humanoid.ts';
import { loadRapier } from '../physics/rapier.ts';
import { TRACKING_DEFAULTS } from '../physics/tracking.ts';
import { createSyncRolloutPool, type RolloutPool } from '../physics/pool.ts';
import { rolloutWith, type RolloutResult, type RootGains } from '../physics/rollout.ts';
import { mixSeed } from '../random.ts';
import type { Objective } from '../optimus/types.ts';
import { sumCurves } from './kinematic.ts';
import type { Observations } from './observations.ts';
import { createOptimizer } from './optimizers.ts';
import { runOptimizer } from './run-optimizer.ts';
import { PHYSICS_WEIGHTS, poseError, windowLossValue, type PhysicsWeights, type WindowSetup } from './physics-loss.ts';
import { blendSeams, plantedFeetShift, seamFrames, shiftedPose, smoothMotion } from './physics-reference.ts';
import { makeWindows } from './windows.ts';

/**
 * The physics stage: the Rapier humanoid tracks the kinematic motion with PD control, and
 * per window of frames an optimizer adjusts the controls — offsets of the PD targets at a
 * few knots (linearly interpolated over the window), optionally a penalised open-loop root
 * wrench — to minimise the confidence-weighted 2D reprojection of the simulated landmarks, a weak
 * 3D pull to the kinematic pose, foot sliding during contact, and control magnitude and
 * smoothness. Windows are chained: each starts from the simulator snapshot where the
 * previous one ended. What keeps the simulated body close to the kinematic one (measured on
 * the CMU squat and walk, see the bench): the kinematic motion is low-passed (`smoothing`)
 * before it becomes PD targets — stiff PD reproduces fit jitter as acceleration; every
 * window's PD knots run one frame past its end, so chained windows do not stall at their
 * boundaries; and a closed-loop residual root wrench (`rootPd`, a PD on the pelvis toward the
 * kinematic root at every step, as in src/physics/tracking.ts) holds the body up where joint
 * PD alone falls in a deep squat. The wrench is reported (residualForce/Torque). What keeps
 * the feet planted and the motion smooth (issue 6): the root PD pulls only weakly sideways
 * (`rootPd.horizontal`), so it does not drag planted feet; PD targets and the root reference
 * follow splines with continuous velocity (`spline`), and each window's first control knot
 * continues the previous window's offsets (`continuous`), so nothing jumps at frames or seams;
 * the foot-slide term also counts feet gliding inside the skating metric's contact band
 * (`contactBand`), not only feet the simulator reports in contact, and a planted foot whose
 * centre moves more than `skateMargin` per frame pays a strong extra price (`footSkate`, the
 * metric's own measure of a slide). What keeps windows from
 * spoiling their successors: each window's rollouts run `lookahead` frames past its end and are
 * scored there too, but only its own frames are kept; a window whose pose strays far from the
 * kinematic one is redone from the kinematic state at its start (`rewind`), a smaller jump than
 * a restart after it. The simulator is not differentiable, so gradients are finite
 * differences of rollouts (forward differences first, central for the last iterations:
 * the measured probe in FIELD-NOTES found FD at ~0.01 rad reliable and random-direction
 * estimates too inaccurate in tens of dimensions).
 */
/** Which joint angles get optimized offsets: legs and trunk carry balance and contact. */
export const CONTROLLED_JOINTS = ['spine', 'chest', 'left_thigh', 'left_shin', 'left_foot', 'right_thigh', 'right_shin', 'right_foot'];

export interface PhysicsStageOptions {
  optimizer?: string;
  /** Optimizer iterations per window. */
  iterations?: number;
  /** Frames (control intervals) per window. */
  windowSize?: number;
  /** Control knots per window (offsets interpolated linearly between them). */
  knots?: number;
  /** Optimize a residual root wrench (penalised) as well. */
  residual?: boolean;
  /** Finite-difference step (rad for angles; fraction of body weight for the wrench). */
  fdStep?: number;
  /**
   * Units of the optimized vector: control = paramScale · x, so that the useful offsets
   * (~20 mrad) are O(1) in x, the scale learned optimizers were meta-trained at.
   */
  paramScale?: number;
  /**
   * When the simulated pelvis ends a window this far (m) from the kinematic one (a fall the
   * window's controls could not prevent), the next window restarts from the kinematic state.
   */
  resetDistance?: number;
  /**
   * Likewise when the window's last simulated pose is this far (m, mean over the landmarks,
   * pelvis-aligned) from the kinematic pose: a body caught in a pose it cannot leave (measured
   * on the CMU salsa's deep lunge, where a rigid foot pivoted onto its toe and stayed there).
   */
  resetPoseError?: number;
  /**
   * Frames each window's rollouts run past its end (holding the last knot's offsets, as the
   * next window starts with them), scored with `lookaheadWeight` but not kept: the window's
   * controls are chosen for the state they leave the next window in, not only for its own
   * frames (without it, a window optimized harder could leave a worse start for the next).
   */
  lookahead?: number;
  /** Weight of a lookahead frame's loss relative to a window frame's. */
  lookaheadWeight?: number;
  /**
   * A window whose pose strays far off (`strayPoseError` at any frame, or it ends far off) is
   * redone once from the kinematic state at its start, and the redo kept when it stays
   * closer or ends with a lower loss.
   */
  rewind?: boolean;
  /** Pose error (m, as `resetPoseError`) at any frame of a window that makes `rewind` redo it. */
  strayPoseError?: number;
  /**
   * Frames before a restart (`rewind` or reset: the body jumps to the kinematic state) over
   * which the kept motion is blended into the restart pose, so the jump is spread over them
   * instead of landing in one frame (measured: the salsa's two rewinds were most of its
   * acceleration error). 0 keeps the jump.
   */
  seamBlend?: number;
  /**
   * A restart (`rewind` or reset) starts from the kinematic pose shifted horizontally so that
   * the feet planted in the simulation at that frame stay where they are (the mean offset of
   * the planted feet; no shift without one): the restart does not teleport a foot on the
   * ground, and the root PD brings the body back to the kinematic path over the next frames.
   */
  restartShift?: boolean;
  /** Share of the iterations, at the end, that use central differences. */
  centralShare?: number;
  /**
   * Closed-loop residual root wrench toward the kinematic root (PD gains as accelerations,
   * src/physics/tracking.ts' defaults); null for none. Always reported in residualForce/Torque.
   */
  rootPd?: Omit<RootGains, 'mass'> | null;
  /**
   * PD targets lead the kinematic pose by this many seconds, rounded to whole frames
   * (compensates PD lag; in seconds so a 5 fps video does not lead by 200 ms).
   */
  leadSeconds?: number;
  /**
   * Gaussian smoothing (σ, frames) of the kinematic motion before it becomes PD targets and
   * the root reference: the kinematic fit carries detector jitter that stiff PD control
   * would reproduce as acceleration; 0 for none.
   */
  smoothing?: number;
  /** Multiplier on every joint's PD stiffness (damping scales with its square root). */
  gainScale?: number;
  /**
   * PD targets and the root reference follow Catmull-Rom splines through the frames
   * (continuous target velocity, also across window seams) instead of straight segments.
   */
  spline?: boolean;
  /**
   * Each window's first control knot continues the offsets the previous window ended with
   * (not optimized), so chained windows' PD targets do not jump at the seams.
   */
  continuous?: boolean;
  /**
   * Landmark height (m) under which a foot's sole points count as planted for the foot-slide
   * term even without simulated contact (0: simulated contact only).
   */
  contactBand?: number;
  /**
   * Horizontal motion (m) of a planted foot's centre between frames above which the
   * `footSkate` term charges it: below the metric's 2 cm, so the optimizer keeps a margin
   * and leaves the small slides that only the weaker `footSlide` term weighs.
   */
  skateMargin?: number;
  /**
   * The multiplier below LOW_FPS frames per second: there each control interval spans many
   * simulation steps and stiff gains blew up (measured on the 5 fps pose_squats video:
   * 4–5 windows blew up at ×3, none at ×1).
   */
  lowFpsGainScale?: number;
  weights?: Partial<PhysicsWeights>;
  physics?: Partial<PhysicsOptions>;
  seed?: number;
  /**
   * Worker threads for the finite-difference rollouts (0: all on the calling thread). The
   * result does not depend on it: workers run the same rollouts bit for bit.
   */
  workers?: number;
  onWindow?: (state: PhysicsCheckpoint, total: number) => void;
  resume?: PhysicsCheckpoint;
}

/**
 * The stage keeps Optimus's diagonal H₀ at 1/√v alone. It was tuned with that prior. With the
 * blended one (optimus.ts `diagonalBlend`, the shipped default), the stage's loss went lower:
 * physics MPJPE on the whole walk fell 42.7 → 33.0 mm, hop 46.5 → 40.0, salsa 32.4 → 29.8.
 * But walk foot skating rose 4.7 → 9.4 %, and salsa's acceleration error rose 6.95 → 9.29,
 * above the kinematic fit's 8.12 (npm run bench:reconstruct).
 */
const PHYSICS_OPTIMUS_PRIOR = { diagonalBlend: 0 };

/** Frame rate (fps) below which `lowFpsGainScale` replaces `gainScale`. */
export const LOW_FPS = 15;

export const PHYSICS_STAGE_DEFAULTS = {
  optimizer: 'optimus',
  iterations: 8,
  windowSize: 10,
  knots: 2,
  // The closed-loop root PD (rootPd) is the residual that keeps the body up; an optimized
  // open-loop wrench on top let the optimizer slide the root along the camera ray.
  residual: false,
  fdStep: 0.01,
  paramScale: 0.02,
  centralShare: 0.34,
  // Issue 6, the remaining misses (CMU clips, 2 s, 8 iterations, bench settings). Measured
  // causes: (1) myopic windows — 8 iterations scored worse than 4 (walk PA-MPJPE 31 → 32, salsa
  // 43 → 67, squat 24 → 27): a window optimized harder left a worse start state for the next
  // one (walk window 3: loss 3.0e-3 → 5.2e-3 after a better window 2); the walk's skating
  // frames were planted feet dragged under simulated contact by the optimized leg offsets
  // (plain tracking skated 7 %, optimized 20–25 %). A 10-frame lookahead took walk / squat /
  // hop PA-MPJPE 32 / 27 / 32 → 25 / 18 / 30 mm and walk skating 25 → 5 % (5 frames: walk 31 mm).
  // (2) The salsa's PA error sat in two windows (frames 20–39: 99 and 141 mm, the kinematic
  // 18 and 42): the simulated body kept its weight on a foot the kinematic motion lifts and
  // tipped; the end-of-window reset came a window late and its jump (a foot moving 54 cm in a
  // frame) was most of the salsa's acceleration error (146 and 153 mm/f² at the seam).
  // Rewinding a window that strays (mean pose error > 5 cm at any frame) to the kinematic
  // state at its start: salsa PA-MPJPE 67 → 36 mm, acceleration 13.4 → 9.6 mm/f². A rewind
  // is itself a jump (Adam's hop: a 4.8 cm rewind at frame 40 cost 11.5 vs 10.0 mm/f²), so it
  // waits for 6 cm (the salsa's stray peaked at 7.2). Measured and not adopted: σ 1.5
  // (salsa two resets, squat / jumps worse), foot-slide weight 4 (walk PA-MPJPE 25 → 34 mm
  // with Optimus), friction 1.5 (walk skating 5 → 10 % with Optimus), stiffer neck / arms.
  lookahead: 10,
  lookaheadWeight: 1,
  rewind: true,
  strayPoseError: 0.06,
  // The salsa's two rewinds each put a jump of several cm into one frame (41–44 mm/f² at frames
  // 10 and 30 against 7–9 for the kinematic fit): spread over 4 frames, its acceleration error
  // went 9.02 → 7.94 mm/f² (with the stiffer knees below 7.64), MPJPE 37.6 → 36.7 mm.
  seamBlend: 4,
  // The CMU walk's whole clip restarted after windows 0 and 2 from kinematic poses whose planted
  // foot was ~11 cm from the simulated one: 5 of its 9 skating frames were that foot dragged
  // through the blend (21–47 mm/frame). Restarting with the planted feet kept in place: walk
  // skating 10.6 → 4.7 %, MPJPE / PA-MPJPE 44.6 / 36.6 → 42.7 / 34.6 mm, acceleration 9.76 →
  // 10.11 (kinematic 10.15); the hop (one restart) MPJPE / PA 41.1 / 33.0 → 46.5 / 38.4, skating
  // 0.8 → 2.9 %, acceleration 10.08 → 10.30 (kinematic 11.60); the salsa's first 2 s (two
  // restarts) PA-MPJPE 34.5 → 36.7, acceleration 7.64 → 8.01 (kinematic 8.34); clips without
  // restarts unchanged (npm run bench:reconstruct).
  restartShift: true,
  resetDistance: 0.15,
  resetPoseError: 0.08,
  rootPd: {
    stiffness: TRACKING_DEFAULTS.rootStiffness, damping: TRACKING_DEFAULTS.rootDamping,
    rotStiffness: TRACKING_DEFAULTS.rotStiffness, rotDamping: TRACKING_DEFAULTS.rotDamping, inertia: TRACKING_DEFAULTS.rotInertia,
    horizontal: 0.3,
  } as Omit<RootGains, 'mass'> | null,
  // Measured with plain tracking (0 iterations) on the CMU squat, 2 s, 3 px noise, when the
  // kinematic fit was jittery (acceleration error 50–80 mm/f²): PD knots running past the
  // window end MPJPE 78 → 71 mm; smoothing σ 0 → 1.5 → 3 frames 71 → 58 → 56 mm; root-PD
  // gains 100/20 instead of 400/40 lost 17 mm. Once the kinematic fit became smooth (3D
  // prior low-passed, acceleration error ~8 mm/f²), heavy smoothing only blurred it: on the
  // CMU walk (2 s, 4 Adam iterations) σ 3 → 1 took PA-MPJPE 63 → 42 mm, joint gains ×3
  // 42 → 38, a one-frame lead (against PD lag) MPJPE 51 → 45, and a shorter rigid toe (the
  // swing foot catches the ground less) MPJPE 45 → 42 mm. σ 2 or 3 lowered walk skating a
  // little but cost 4–15 mm PA-MPJPE; friction 0.5 let the hop's planted feet slide (skating
  // 3 → 22 %).
  // Issue 6 (skating and acceleration; CMU walk / hop / squat, 2 s, bench settings), after
  // measuring where the skating frames are: feet hovering inside the 5 cm band while the root
  // PD drags the body along (no simulated contact, so the old slide term never saw them), and
  // planted feet dragged under contact — the root PD carried ~40 % of the weight (less normal
  // force, less friction) and pushed ~300 N horizontally. Tracking the TRUE motion (perfect
  // reference, 0 iterations) isolates the controller: the one-frame lead cost walk PA-MPJPE
  // 22 → 33 mm (velocity feed-forward already removes the PD lag, so a lead overshoots);
  // horizontal root gains × 0.3 took walk / hop / squat MPJPE 35 / 30 / 12 → 33 / 22 / 12 mm and
  // acceleration error 7.4 / 11.1 / 8.3 → 6.9 / 9.2 / 6.3; joint gains × 1.5 instead of × 3
  // lowered acceleration error further. On the kinematic input, σ 2 smoothing took walk /
  // squat acceleration error 10.8 / 8.2 → 7.3 / 6.3 mm/f² (the kinematic fit's own: 9.5 /
  // 7.6); the contact-band slide term (weight 2–5) took skating 8–18 % → 0–3 %.
  leadSeconds: 0,
  gainScale: 1.5,
  lowFpsGainScale: 1,
  smoothing: 2,
  spline: true,
  continuous: true,
  contactBand: 0.05,
  skateMargin: 0.01,
  /** Humanoid options of src/physics that differ from its defaults here (see above). */
  // (Issue 6: with the settings above the full 0.75 toe of src/physics was better again: walk
  // MPJPE 44 → 42 mm, acceleration error 7.6 → 6.9 mm/f², penetration 0.4 → 0.)
  // Knee stiffness × 2 (6000 instead of src/physics' 3000, before gainScale), measured on the CMU
  // walk / hop / salsa (2 s, bench): walk PA-MPJPE 34.9 → 27.0 mm, acceleration error 7.39 →
  // 6.34 mm/f², skating 1.7 → 0 %; hop 9.89 → 9.77; salsa level. Measured and not adopted:
  // shoulders / elbows / wrists × 2 (salsa acceleration 9.02 → 7.64 but walk skating 1.7 → 10 %,
  // with the knees too 11.7 %), hips × 2 as well (walk skating 8.3 %), knees × 3 (walk
  // skating 11.7 %), lighter feet (0.03 kg·m² extra inertia: hop 10.0; 2 kg: hop 9.96).
  physics: { stiffness: { knee: 6000 } } as Partial<PhysicsOptions>,
  seed: 0,
  workers: 0,
};

/** The stage's humanoid options: its defaults, then the caller's (per-joint stiffness merged). */
export function humanoidOptions(physics: Partial<PhysicsOptions> = {}): Partial<PhysicsOptions> {
  const base = PHYSICS_STAGE_DEFAULTS.physics;
  return { ...base, ...physics, stiffness: { ...PHYSICS_DEFAULTS.stiffness, ...base.stiffness, ...physics.stiffness } };
}

/** Resumable state: simulated frames so far and the snapshot to continue from. */
export interface PhysicsCheckpoint {
  nextWindow: number;
  /** Per simulated frame: body poses (J × 7) — frame 0 is the kinematic start pose. */
  bodies: number[][];
  contacts: Array<[boolean, boolean]>;
  /** Base64 Rapier snapshot at the end of the last finished window. */
  snapshot: string;
  curves: number[][];
  /** Loss of each window before optimization (plain tracking). */
  starts: number[];
  rollouts: number;
  residualForce: number[];
  residualTorque: number[];
  blowUps: Array<{ window: number; reason: string; recovered: boolean }>;
  /** Windows after which the simulation drifted off and was restarted from the kinematic state. */
  resets: number[];
  /** Control offsets of the last knot of the last finished window (see `continuous`). */
  carry?: number[];
  /** Per reset window: the horizontal shift (m) of the kinematic pose it restarted from. */
  shifts?: Record<number, number[]>;
}

export interface PhysicsResult {
  poses: Pose[];
  landmarks: Vec3[][];
  contacts: Array<{ leftFoot: boolean; rightFoot: boolean }>;
  loss: number;
  iterations: number;
  rollouts: number;
  lossCurve: number[];
  windowCurves: number[][];
  /** Each window's loss before optimization. */
  windowStarts: number[];
  /** Mean |residual force| (N) and torque (N·m) over the windows. */
  residualForce: number;
  residualTorque: number;
  blowUps: PhysicsCheckpoint['blowUps'];
  resets: number[];
  /** Frames blended into a restart pose (`seamBlend`): interpolated, not simulated. */
  blendedFrames: number[];
  /** Per restart (as `resets`): how far (m) the restart pose was moved to keep planted feet (`restartShift`). */
  restartShifts: number[];
  ms: number;
}

/** One window's optimization from a start state: given up, or its best rollout. */
type WindowOutcome = { gaveUp: true; loss: number; blowUps: PhysicsCheckpoint['blowUps'] }
  | { gaveUp: false; best: RolloutResult; result: ReturnType<typeof runOptimizer>; carry: number[]; farOff: boolean; strayed: boolean; blowUps: PhysicsCheckpoint['blowUps'] };

export async function runPhysics(
  obs: Observations, skel: Skeleton, camera: PinholeCamera, depth: number, kinematicIn: Pose[], options: PhysicsStageOptions = {},
): Promise<PhysicsResult> {
  const started = Date.now();
  const o = { ...PHYSICS_STAGE_DEFAULTS, ...options };
  const weights = { ...PHYSICS_WEIGHTS, ...(options.weights ?? {}) };
  const R = await loadRapier();
  // One pool for the whole stage: starting workers costs seconds, a batch milliseconds.
  const pool: RolloutPool | null = o.workers > 0 ? await createSyncRolloutPool({ workers: o.workers }) : null;
  try {
    return await physicsWindows(R, pool);
  } finally {
    pool?.free();
  }

  async function physicsWindows(R: Awaited<ReturnType<typeof loadRapier>>, pool: RolloutPool | null): Promise<PhysicsResult> {
    const T = kinematicIn.length;
    const kinematic = smoothMotion(skel, kinematicIn, o.smoothing);
    const D = angleCount(skel);
    const fps = obs.fps;
    // Interval k of a window [s, e) drives the body from frame s + k to s + k + 1.
    const windows = makeWindows(Math.max(1, T - 1), o.windowSize, 0);
    const controlled = controlledAngles(skel);
    const weight = skel.mass * 9.81;
    const kinLm = kinematic.map((p) => landmarksFromWorld(skel, forwardKinematics(skel, p)));

    const startState = async (t: number, shift?: readonly number[]) => humanoidSnapshot(skel, {
      pose: shiftedPose(kinematic[t]!, shift), next: t + 1 < T ? { pose: shiftedPose(kinematic[t + 1]!, shift), dt: 1 / fps } : undefined,
    }, humanoidOptions(options.physics));
    /** Where a restart at frame t starts: the kinematic pose, moved to keep the simulation's planted feet (`restartShift`). */
    const plantedShift = (t: number): Vec3 | undefined => o.restartShift
      ? plantedFeetShift(landmarksFromWorld(skel, forwardKinematics(skel, poseFromBodies(skel, state.bodies[t]!))), kinLm[t]!, state.contacts[t] ?? [false, false])
      : undefined;
    const first = await startState(0);
    const layout: HumanoidLayout = first.layout;
    const S = Math.max(1, Math.round(layout.options.rate / fps));
    const lead = Math.round(o.leadSeconds * fps);

    const state: PhysicsCheckpoint = options.resume ? structuredClone(options.resume) : {
      nextWindow: 0,
      bodies: [bodiesOfPose(skel, kinematic[0]!)],
      contacts: [[true, true]],
      snapshot: Buffer.from(first.snapshot).toString('base64'),
      curves: [], starts: [], rollouts: 0, residualForce: [], residualTorque: [], blowUps: [], resets: [],
    };

    for (let wi = state.nextWindow; wi < windows.length; wi++) {
      const win = windows[wi]!;
      const K = win.end - win.start;
      // Intervals per rollout: the window's own plus the lookahead (within the clip).
      const KL = K + Math.max(0, Math.min(Math.floor(o.lookahead), T - 1 - win.end));
      const setup: WindowSetup = {
        win,
        intervals: KL,
        lookaheadWeight: o.lookaheadWeight,
        base: new Float64Array((KL + 1) * D),
        kin: [],
      };
      /** The kinematic pose of frame t, clamped to the clip. */
      const kinAt = (t: number) => kinematic[Math.max(0, Math.min(T - 1, t))]!;
      const frameAngles = (t: number) => anglesFromPose(skel, kinAt(t));
      // K + 1 knots: interval k moves the targets from frame start + k to start + k + 1 (+ lead).
      for (let k = 0; k <= KL; k++) setup.base.set(frameAngles(win.start + k + lead), k * D);
      for (let k = 0; k < KL; k++) setup.kin.push(kinLm[win.start + k + 1]!);
      const splineBase = o.spline ? { before: frameAngles(win.start - 1 + lead), after: frameAngles(win.start + KL + 1 + lead) } : undefined;
      const rootReference = o.rootPd ? {
        positions: new Float64Array((KL + 1) * 3), rotations: new Float64Array((KL + 1) * 4), interval: 1 / fps,
        gains: { ...o.rootPd, mass: skel.mass },
      } : undefined;
      if (rootReference) {
        if (o.spline) {
          const rootAt = (t: number) => Float64Array.from(kinAt(t).rootPosition);
          Object.assign(rootReference, { before: rootAt(win.start - 1), after: rootAt(win.start + KL + 1) });
        }
        for (let k = 0; k <= KL; k++) {
          rootReference.positions.set(kinematic[win.start + k]!.rootPosition, k * 3);
          rootReference.rotations.set(kinematic[win.start + k]!.rootRotation, k * 4);
        }
      }
      const nc = controlled.length;
      const perKnot = nc + (o.residual ? 6 : 0);
      // Continuous controls: the first knot holds the offsets the previous window ended with.
      const carried = o.continuous && o.knots > 1;
      const dim = (carried ? o.knots - 1 : o.knots) * perKnot;
      const fullGains = fps < LOW_FPS ? o.lowFpsGainScale : o.gainScale;

      /**
       * Optimizes this window's controls from a start state (and the offsets carried into it):
       * either gives up (plain tracking blew up even at softer gains) or returns the best rollout.
       */
      const solveWindow = (snapshot: Uint8Array, carryIn: number[] | undefined): WindowOutcome => {
        const carry = Float64Array.from(carryIn?.length === perKnot ? carryIn : new Array<number>(perKnot).fill(0));
        /** All knots' offsets (rad; body weights for the wrench) from an optimized vector. */
        const expand = (xRaw: Float64Array): Float64Array => {
          const x = new Float64Array(o.knots * perKnot);
          if (carried) x.set(carry);
          for (let i = 0; i < xRaw.length; i++) x[(carried ? perKnot : 0) + i] = xRaw[i]! * o.paramScale;
          return x;
        };
        const controls = (xRaw: Float64Array, gainScale: number) => {
          const x = expand(xRaw);
          const targets = Float64Array.from(setup.base);
          const wrench = o.residual ? new Float64Array(KL * 6) : undefined;
          for (let k = 0; k <= KL; k++) {
            // Knot coordinate of PD knot k: 0 … knots − 1 over the window, the last knot held after it.
            const u = K > 0 ? (Math.min(k, K) / K) * (o.knots - 1) : 0;
            const a = Math.min(o.knots - 1, Math.floor(u));
            const b = Math.min(o.knots - 1, a + 1);
            const f = u - a;
            for (let c = 0; c < nc; c++) targets[k * D + controlled[c]!] += (1 - f) * x[a * perKnot + c]! + f * x[b * perKnot + c]!;
            if (wrench && k < KL) {
              for (let c = 0; c < 6; c++) {
                const v = (1 - f) * x[a * perKnot + nc + c]! + f * x[b * perKnot + nc + c]!;
                // Force in body weights, torque in body weight × 0.1 m.
                wrench[k * 6 + c] = v * weight * (c < 3 ? 1 : 0.1);
              }
            }
          }
          // Spline neighbours carry the offsets of the window's first and last knots.
          let splineEnds: { before: Float64Array; after: Float64Array } | undefined;
          if (splineBase) {
            splineEnds = { before: Float64Array.from(splineBase.before), after: Float64Array.from(splineBase.after) };
            for (let c = 0; c < nc; c++) {
              splineEnds.before[controlled[c]!] += x[c]!;
              splineEnds.after[controlled[c]!] += x[(o.knots - 1) * perKnot + c]!;
            }
          }
          return { targets, stepsPerControl: S, rootWrench: wrench, gainScale, rootReference, intervals: KL, splineEnds, snapshotAfter: K };
        };
        let gainScale = fullGains;
        const rollout = (x: Float64Array, endSnapshot = false): RolloutResult => {
          state.rollouts++;
          return rolloutWith(R, layout, snapshot, { ...controls(x, gainScale), endSnapshot });
        };
        // Several rollouts from the window's start state, on the pool's workers when there are any.
        const rollouts = (xs: Float64Array[]): RolloutResult[] => {
          state.rollouts += xs.length;
          if (!pool) return xs.map((x) => rolloutWith(R, layout, snapshot, controls(x, gainScale)));
          return pool.runBatchSync(layout, snapshot, xs.map((x) => controls(x, gainScale)));
        };
        const lossOf = (x: Float64Array, r: RolloutResult) => windowLossValue(obs, camera, depth, setup, r, expand(x), perKnot, nc, o.knots, weights, o.contactBand, o.skateMargin);

        // A window whose plain tracking blows up is retried with softer gains, then given up.
        // Start from holding the carried offsets (zero offsets without `continuous`).
        const zero = carried ? Float64Array.from({ length: dim }, (_, i) => carry[i % perKnot]! / o.paramScale) : new Float64Array(dim);
        const blowUps: PhysicsCheckpoint['blowUps'] = [];
        let base = rollout(zero);
        if (base.blowUp) {
          gainScale = fullGains / 2;
          base = rollout(zero);
          blowUps.push({ window: wi, reason: base.blowUp ? base.blowUp.reason : 'tracking blew up at full gains', recovered: !base.blowUp });
        }
        if (base.blowUp) return { gaveUp: true, loss: lossOf(zero, base), blowUps };
        let iteration = 0;
        const centralFrom = Math.floor(o.iterations * (1 - o.centralShare));
        const objective: Objective = {
          name: `physics-${wi}`,
          dim,
          valueAndGrad(x) {
            const h = o.fdStep / o.paramScale;
            const central = iteration >= centralFrom;
            // x, then x + h·eᵢ for every i, then (central differences) x − h·eᵢ: one batch.
            const points: Float64Array[] = [Float64Array.from(x)];
            for (const sign of central ? [1, -1] : [1]) {
              for (let i = 0; i < dim; i++) {
                const xi = Float64Array.from(x);
                xi[i]! += sign * h;
                points.push(xi);
              }
            }
            const results = rollouts(points);
            const losses = points.map((p, k) => lossOf(p, results[k]!));
            const f0 = losses[0]!;
            const grad = new Float64Array(dim);
            for (let i = 0; i < dim; i++) grad[i] = central ? (losses[1 + i]! - losses[1 + dim + i]!) / (2 * h) : (losses[1 + i]! - f0) / h;
            return { value: f0, grad };
          },
        };
        const optimizer = createOptimizer(o.optimizer, { seed: mixSeed(o.seed, wi, 3), dim, learningRate: 0.3, optimusPrior: PHYSICS_OPTIMUS_PRIOR });
        const counting: typeof optimizer = {
          name: optimizer.name,
          init: (obj, x0) => optimizer.init(obj, x0),
          step: (obj, s) => { const r = optimizer.step(obj, s); iteration++; return r; },
        };
        const result = runOptimizer(counting, objective, zero, o.iterations);
        const best = rollout(result.x, true);
        let farOff = false, strayed = false;
        if (best.frames >= K && best.endSnapshot) {
          const J = layout.bodies.length;
          const end = (K - 1) * J * 7;
          const root = kinematic[win.end]!.rootPosition;
          const drift = Math.hypot(best.bodies[end]! - root[0], best.bodies[end + 1]! - root[1], best.bodies[end + 2]! - root[2]);
          farOff = drift > o.resetDistance || poseError(best, K - 1, kinLm[win.end]!) > o.resetPoseError;
          strayed = farOff;
          for (let k = 0; k < K && !strayed; k++) strayed = poseError(best, k, kinLm[win.start + k + 1]!) > o.strayPoseError;
        }
        return { gaveUp: false, best, result, carry: Array.from(expand(result.x).subarray((o.knots - 1) * perKnot)), farOff, strayed, blowUps };
      };

      const startSnapshot: Uint8Array = new Uint8Array(Buffer.from(state.snapshot, 'base64'));
      let outcome = solveWindow(startSnapshot, state.carry);
      // A window whose pose strays far off at any of its frames is redone from the kinematic
      // state at its START (a restart before it, where the simulation had not yet drifted as
      // far, so the jump is smaller than one after it); kept when it stays closer or ends with
      // a lower loss.
      if (o.rewind && !outcome.gaveUp && outcome.strayed && !state.resets.includes(wi - 1) && wi > 0) {
        const d = plantedShift(win.start);
        const again = solveWindow((await startState(win.start, d)).snapshot, undefined);
        if (!again.gaveUp && (!again.strayed || again.result.value < outcome.result.value)) {
          state.resets.push(wi - 1);
          if (d) (state.shifts ??= {})[wi - 1] = d;
          outcome = again;
        }
      }
      let snapshot: Uint8Array;
      state.blowUps.push(...outcome.blowUps);
      if (outcome.gaveUp) {
        // Give up on this window: keep the kinematic frames and restart the simulation after it.
        for (let k = 0; k < K; k++) {
          state.bodies.push(bodiesOfPose(skel, kinematic[win.start + k + 1]!));
          state.contacts.push([false, false]);
        }
        state.curves.push(new Array(o.iterations).fill(outcome.loss));
        state.starts.push(outcome.loss);
        snapshot = (await startState(win.end)).snapshot;
        state.carry = undefined;
      } else {
        const { best, result } = outcome;
        state.carry = outcome.carry;
        state.curves.push(result.curve);
        state.starts.push(result.start);
        // Keep the window's own frames; the lookahead's are the next window's to choose.
        for (let k = 0; k < Math.min(K, best.frames); k++) {
          state.bodies.push(Array.from(best.bodies.subarray(k * layout.bodies.length * 7, (k + 1) * layout.bodies.length * 7)));
          state.contacts.push([best.contacts[k * 2] === 1, best.contacts[k * 2 + 1] === 1]);
        }
        state.residualForce.push(best.residualForce);
        state.residualTorque.push(best.residualTorque);
        if (best.frames < K || !best.endSnapshot) {
          state.blowUps.push({ window: wi, reason: best.blowUp?.reason ?? 'no end state', recovered: false });
          for (let k = best.frames; k < K; k++) {
            state.bodies.push(bodiesOfPose(skel, kinematic[win.start + k + 1]!));
            state.contacts.push([false, false]);
          }
          snapshot = (await startState(win.end)).snapshot;
          state.carry = undefined;
        } else if (outcome.farOff) {
          state.resets.push(wi);
          const d = plantedShift(win.end);
          if (d) (state.shifts ??= {})[wi] = d;
          snapshot = (await startState(win.end, d)).snapshot;
          state.carry = undefined;
        } else {
          snapshot = best.endSnapshot;
        }
      }
      state.snapshot = Buffer.from(snapshot).toString('base64');
      state.nextWindow = wi + 1;
      options.onWindow?.(structuredClone(state), windows.length);
    }

    const simulated = state.bodies.map((b) => poseFromBodies(skel, b));
    // The frame each restart jumps from: the end of the window after which it restarted.
    const seams = state.resets.map((w) => windows[w]!.end).filter((s) => s > 0 && s < simulated.length - 1);
    const shiftAtSeam = new Map(state.resets.map((w) => [windows[w]!.end, state.shifts?.[w]] as const));
    const poses = blendSeams(skel, simulated, seams, (s) => shiftedPose(kinematic[s]!, shiftAtSeam.get(s)), o.seamBlend);
    const blendedFrames = [...new Set(seams.flatMap((s) => seamFrames(s, o.seamBlend)))].sort((a, b) => a - b);
    const landmarks = poses.map((p) => landmarksFromWorld(skel, forwardKinematics(skel, p)));
    const lossCurve = sumCurves(state.curves);
    const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0);
    return {
      poses,
      landmarks,
      contacts: state.contacts.map(([l, r]) => ({ leftFoot: l, rightFoot: r })),
      loss: lossCurve.length ? lossCurve[lossCurve.length - 1]! : 0,
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
      ms: Date.now() - started,
    };
  }
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

/** Body poses (J × 7: position, quaternion) of a kinematic pose — the simulator's body frames. */
function bodiesOfPose(skel: Skeleton, pose: Pose): number[] {
  const w = forwardKinematics(skel, pose);
  const out: number[] = [];
  for (let j = 0; j < skel.joints.length; j++) out.push(...w.positions[j]!, ...w.rotations[j]!);
  return out;
}

/** A skeleton pose from simulated body frames: local rotation = parent⁻¹ · body. */
export function poseFromBodies(skel: Skeleton, b: readonly number[]): Pose {
  const rot = (j: number): Quat => quatNormalize([b[j * 7 + 3]!, b[j * 7 + 4]!, b[j * 7 + 5]!, b[j * 7 + 6]!]);
  const rotations: Quat[] = skel.joints.map((j, i) => (j.parent < 0 ? [0, 0, 0, 1] : quatNormalize(quatMultiply(quatConjugate(rot(j.parent)), rot(i)))));
  return { rootPosition: [b[0]!, b[1]!, b[2]!], rootRotation: rot(0), rotations };
}
