/**
 * Tracking controller: makes the simulated humanoid follow a reference motion (Pose[] at an fps)
 * with PD targets taken from the reference joint angles (plus their velocities as motor
 * feed-forward), optionally helped by a residual root wrench — a PD "hand of God" on the pelvis
 * towards the reference root, always reported. One rollout (rollout.ts, the same the physics
 * stage runs) over the whole motion; measures MPJPE of the 33 simulated landmarks against the
 * reference landmarks (global, no alignment) and detects falls.
 */
import { landmarkPositions } from '../body/fk.ts';
import { anglesFromPose, samplePose, type Pose } from '../body/pose.ts';
import { angleCount, type Skeleton } from '../body/skeleton.ts';
import { humanoidSnapshot, type PhysicsOptions } from './humanoid.ts';
import { loadRapier } from './rapier.ts';
import { rolloutWith, type RolloutSpec, type RootGains } from './rollout.ts';

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
