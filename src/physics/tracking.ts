/**
 * Tracking controller: makes the simulated humanoid follow a reference motion (Pose[] at an fps)
 * with PD targets taken from the reference joint angles (plus their velocities as motor
 * feed-forward), optionally helped by a residual root wrench — a PD "hand of God" on the pelvis
 * towards the reference root, always reported. One rollout (rollout.ts, the same the physics
 * stage runs) over the whole motion; measures MPJPE of the 33 simulated landmarks against the
 * reference landmarks (global, no alignment) and detects falls. `trackPhysically` (below) follows
 * the same reference with the fully physical controller and its sampling search instead: no
 * residual, no restart, falls counted.
 */
import { landmarkPositions } from '../body/fk.ts';
import { anglesFromPose, samplePose, type Pose } from '../body/pose.ts';
import { angleCount, type Skeleton } from '../body/skeleton.ts';
import { PHYSICS_DEFAULTS, humanoidSnapshot, type PhysicsOptions } from './humanoid.ts';
import { loadRapier } from './rapier.ts';
import { rolloutWith, type RolloutSpec, type RootGains } from './rollout.ts';
import { controlReference } from './control-reference.ts';
import { CONTROLLER_DEFAULTS, type ControllerOptions } from './controller.ts';
import { createSyncRolloutPool, type RolloutPool } from './pool.ts';
import { searchControls, type SamplingOptions } from './sampling.ts';

export interface TrackingOptions {
  /** Apply the residual root wrench. */
  residual: boolean;
  /** PD gains of the residual root force, as accelerations of the whole body: 1/s² and 1/s. */
  rootStiffness: number;
  rootDamping: number;
  /** PD gains of the residual root torque: 1/s² and 1/s (times an effective body inertia). */
  rotStiffness: number;
  rotDamping: number;
  /** Inertia (kg·m²) multiplying the torque gains. The torque acts on the pelvis alone, so large values are unstable. */
  rotInertia: number;
  /** PD targets lead the reference by this many seconds (compensates the lag of PD control). */
  lead: number;
  /** Control (PD target) rate, Hz; the physics rate must be a multiple of it. */
  controlRate: number;
  /** Fallen: the simulated head is lower than this fraction of the reference head height. */
  fallHeadRatio: number;
  /** Fallen also: the simulated root is this far (m) from the reference root. */
  fallDistance: number;
  physics: Partial<PhysicsOptions>;
}

/**
 * Residual gains: measured on the five CMU clips (foot-locked references, bench:physics). Going
 * from 400/40 to 1000/60 (force) and 400 → 900 (torque) took the walk from 84 to 37 mm and every
 * clip under 40 mm; the stance leg pins the pelvis orientation to a foot planted slightly off, so
 * a weak root torque lets the whole body rotate. Larger torque damping (≥ 60 × 3 kg·m²) acting on
 * the pelvis alone oscillates (walk 306 mm with rotInertia 8, rotDamping 60).
 */
export const TRACKING_DEFAULTS: TrackingOptions = {
  residual: true,
  rootStiffness: 1000,
  rootDamping: 60,
  rotStiffness: 900,
  rotDamping: 40,
  rotInertia: 3,
  lead: 0,
  controlRate: 30,
  fallHeadRatio: 0.6,
  fallDistance: 0.5,
  physics: {},
};

/** The residual root PD of tracking options as a rollout's RootGains (rollout.ts), for a body of `mass` kg. */
export function rootGains(mass: number, o: TrackingOptions = TRACKING_DEFAULTS): RootGains {
  return {
    stiffness: o.rootStiffness, damping: o.rootDamping,
    rotStiffness: o.rotStiffness, rotDamping: o.rotDamping,
    inertia: o.rotInertia, mass,
  };
}

export interface TrackingResult {
  /** Output frames simulated (at controlRate), until the end, a fall or a blow-up. */
  frames: number;
  /** Frames the reference asked for. */
  expectedFrames: number;
  fps: number;
  /** Mean per-joint (landmark) position error over the simulated frames, mm, global. */
  mpjpe: number;
  /** Worst frame's mean error, mm. */
  maxFrameError: number;
  fell: boolean;
  /** Time (s) of the first fallen frame, or null. */
  fallTime: number | null;
  blowUp: string | null;
  /** Mean |residual force| (N) and |residual torque| (N·m) over the simulated steps (0 without residuals). */
  residualForce: number;
  residualTorque: number;
  /** frames × J × 7 simulated body poses (position, quaternion xyzw); see poseFromBodies. */
  bodies: Float64Array;
  /** frames × 33 × 3 simulated and reference landmarks. */
  simulated: Float64Array;
  reference: Float64Array;
  /** Wall-clock microseconds per simulation step (including control). */
  usPerStep: number;
}

/** Tracks a reference motion; returns the tracking error and what happened. */
export async function trackMotion(
  skel: Skeleton, reference: Pose[], fps: number, options: Partial<TrackingOptions> = {},
): Promise<TrackingResult> {
  const o: TrackingOptions = { ...TRACKING_DEFAULTS, ...options };
  if (reference.length < 2) throw new Error('tracking needs a reference of at least 2 frames');
  const duration = (reference.length - 1) / fps;
  const dtc = 1 / o.controlRate;
  const K = Math.floor(duration * o.controlRate + 1e-9);
  const at = (t: number): Pose => samplePose(reference, fps, t);
  const { snapshot, layout } = await humanoidSnapshot(skel, { pose: at(0), next: { pose: at(dtc / 4), dt: dtc / 4 } }, o.physics);
  const R = await loadRapier();

  // K intervals through K + 1 control frames: PD targets (led by `lead`) and the root reference.
  const D = angleCount(skel);
  const targets = new Float64Array((K + 1) * D);
  const positions = new Float64Array((K + 1) * 3), rotations = new Float64Array((K + 1) * 4);
  const poses: Pose[] = [];
  for (let k = 0; k <= K; k++) {
    const pose = at(k * dtc);
    poses.push(pose);
    targets.set(anglesFromPose(skel, o.lead ? at(k * dtc + o.lead) : pose), k * D);
    positions.set(pose.rootPosition, k * 3);
    rotations.set(pose.rootRotation, k * 4);
  }
  const mass = skel.segments.reduce((s, g) => s + g.mass, 0);
  const spec: RolloutSpec = {
    targets,
    stepsPerControl: Math.max(1, Math.round(layout.options.rate / o.controlRate)),
    intervals: K,
    ...(o.residual ? { rootReference: { positions, rotations, interval: dtc, gains: rootGains(mass, o) } } : {}),
  };
  const started = performance.now();
  const r = rolloutWith(R, layout, snapshot, spec);
  const usPerStep = ((performance.now() - started) * 1000) / Math.max(1, r.steps);

  // Errors per frame, up to and including the first fallen one.
  const referenceLm = new Float64Array(r.frames * 99);
  let errSum = 0, maxFrame = 0, frames = 0;
  let fallTime: number | null = null;
  const J = layout.bodies.length;
  for (let k = 0; k < r.frames; k++) {
    const poseEnd = poses[k + 1]!;
    const refLm = landmarkPositions(skel, poseEnd);
    let e = 0;
    for (let l = 0; l < 33; l++) {
      const p = refLm[l]!;
      referenceLm.set(p, k * 99 + l * 3);
      e += Math.hypot(r.landmarks[k * 99 + l * 3]! - p[0], r.landmarks[k * 99 + l * 3 + 1]! - p[1], r.landmarks[k * 99 + l * 3 + 2]! - p[2]);
    }
    e /= 33;
    errSum += e;
    maxFrame = Math.max(maxFrame, e);
    frames++;
    // Fall: head (nose) far below the reference's, or the root far from the reference root.
    const headSim = r.landmarks[k * 99 + 1]!, headRef = refLm[0]![1];
    const root = k * J * 7, ref = poseEnd.rootPosition;
    const dRoot = Math.hypot(r.bodies[root]! - ref[0], r.bodies[root + 1]! - ref[1], r.bodies[root + 2]! - ref[2]);
    if (headSim < o.fallHeadRatio * headRef || dRoot > o.fallDistance) { fallTime = (k + 1) * dtc; break; }
  }
  return {
    frames,
    expectedFrames: K,
    fps: o.controlRate,
    mpjpe: frames ? (errSum / frames) * 1000 : NaN,
    maxFrameError: maxFrame * 1000,
    fell: fallTime !== null,
    fallTime,
    // A blow-up after the fall is not what ended the tracking.
    blowUp: r.blowUp && fallTime === null ? r.blowUp.reason : null,
    residualForce: r.residualForce,
    residualTorque: r.residualTorque,
    bodies: r.bodies.slice(0, frames * J * 7),
    simulated: r.landmarks.slice(0, frames * 99),
    reference: referenceLm.slice(0, frames * 99),
    usPerStep,
  };
}

export interface PhysicalTrackingOptions {
  controller: ControllerOptions;
  /** The sampling search over PD-target offsets; null runs the controller alone (one rollout). */
  sampling: Partial<SamplingOptions> | null;
  /** Control rate (Hz) the reference is resampled to; the physics rate must be a multiple of it. */
  controlRate: number;
  /** Stop at the first fall (bench: tracked seconds before it) or keep simulating. */
  stopOnFall: boolean;
  /** Worker threads (0: this thread). Results do not depend on it. */
  workers: number;
  physics: Partial<PhysicsOptions>;
}

export const PHYSICAL_TRACKING_DEFAULTS: PhysicalTrackingOptions = {
  controller: CONTROLLER_DEFAULTS,
  sampling: {},
  controlRate: 30,
  stopOnFall: true,
  workers: 2,
  physics: {},
};

export interface PhysicalTrackingResult {
  /** Frames simulated (at controlRate) and asked for. */
  frames: number;
  expectedFrames: number;
  fps: number;
  /** Mean landmark error (global, mm) over the simulated frames before the first fall. */
  mpjpe: number;
  /** Time (s) of the first fallen frame, or null; segments that ended fallen. */
  fallTime: number | null;
  falls: number;
  /** Seconds tracked before the first fall (the whole clip without one). */
  trackedSeconds: number;
  /** External force on the body (N, mean over steps): 0, read from the rollouts. */
  residualForce: number;
  /** Largest net torque the controller injected in one step (N·m; 0 up to rounding). */
  netTorque: number;
  /** The state was never replaced: always 0 here, kept to read like the physics stage. */
  restarts: number;
  rollouts: number;
  /** Wall-clock seconds of compute per second of motion. */
  computePerSecond: number;
  bodies: Float64Array;
  simulated: Float64Array;
  reference: Float64Array;
}

/**
 * Tracks a reference motion with the fully physical controller: pelvis unactuated, no external
 * force; the sampling search (sampling.ts) chooses PD-target offsets on top of the controller.
 */
export async function trackPhysically(
  skel: Skeleton, motion: Pose[], fps: number, options: Partial<PhysicalTrackingOptions> = {}, pool?: RolloutPool,
): Promise<PhysicalTrackingResult> {
  const o = { ...PHYSICAL_TRACKING_DEFAULTS, ...options };
  if (motion.length < 2) throw new Error('tracking needs a reference of at least 2 frames');
  const dtc = 1 / o.controlRate;
  const K = Math.floor(((motion.length - 1) / fps) * o.controlRate + 1e-9);
  const poses = Array.from({ length: K + 1 }, (_, k) => samplePose(motion, fps, k * dtc));
  const h = 1 / (layoutRate(o.physics));
  const { snapshot, layout } = await humanoidSnapshot(skel, { pose: poses[0]!, next: { pose: samplePose(motion, fps, h), dt: h } }, o.physics);
  const reference = controlReference(layout, poses, o.controlRate);
  const refLm = new Float64Array((K + 1) * 99);
  poses.forEach((p, k) => landmarkPositions(skel, p).forEach((l, i) => refLm.set(l, k * 99 + i * 3)));
  const S = Math.max(1, Math.round(layout.options.rate / o.controlRate));
  const own = pool ? null : await createSyncRolloutPool({ workers: o.workers });
  const started = performance.now();
  try {
    const p = pool ?? own!;
    const r = o.sampling
      ? await searchControls(p, layout, snapshot, reference, refLm, K, S, o.controller, o.sampling, o.stopOnFall)
      : await (async () => {
        const [c] = await p.runBatch(layout, snapshot, [{ kind: 'controlled', reference, intervals: K, stepsPerControl: S, controller: o.controller, stopOnFall: o.stopOnFall }]);
        return { ...c!, falls: c!.fellAt === null ? 0 : 1, rollouts: 1 };
      })();
    const seconds = (performance.now() - started) / 1000;
    const good = r.fellAt === null ? r.frames : r.fellAt;
    let err = 0;
    for (let k = 0; k < good; k++) {
      let e = 0;
      for (let l = 0; l < 33; l++) {
        const a = k * 99 + l * 3, b = (k + 1) * 99 + l * 3;
        e += Math.hypot(r.landmarks[a]! - refLm[b]!, r.landmarks[a + 1]! - refLm[b + 1]!, r.landmarks[a + 2]! - refLm[b + 2]!);
      }
      err += e / 33;
    }
    return {
      frames: r.frames, expectedFrames: K, fps: o.controlRate,
      mpjpe: good ? (err / good) * 1000 : NaN,
      fallTime: r.fellAt === null ? null : (r.fellAt + 1) * dtc, falls: r.falls,
      trackedSeconds: (r.fellAt === null ? r.frames : r.fellAt) * dtc,
      residualForce: r.residualForce, netTorque: r.netTorque, restarts: 0, rollouts: r.rollouts,
      computePerSecond: seconds / (K * dtc),
      bodies: r.bodies, simulated: r.landmarks, reference: refLm.slice(99, (r.frames + 1) * 99),
    };
  } finally {
    await own?.close();
  }
}

function layoutRate(physics: Partial<PhysicsOptions>): number {
  return physics.rate ?? PHYSICS_DEFAULTS.rate;
}
