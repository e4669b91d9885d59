/**
 * Tracking controller: makes the simulated humanoid follow a reference motion (Pose[] at an fps)
 * with PD targets taken from the reference joint angles (plus their velocities as motor
 * feed-forward), optionally helped by a residual root wrench — a PD "hand of God" on the pelvis
 * towards the reference root, always reported. Measures MPJPE of the 33 simulated landmarks
 * against the reference landmarks (global, no alignment) and detects falls.
 */
import {
  quatConjugate, quatMultiply, quatToRotationVector, type Quat, type Vec3,
} from '../geometry/quaternion.ts';
import { landmarkPositions } from '../body/fk.ts';
import { anglesFromPose, samplePose, type Pose } from '../body/pose.ts';
import type { Skeleton } from '../body/skeleton.ts';
import { buildHumanoid, type PhysicsOptions } from './humanoid.ts';
import { HumanoidSim, anglesToMotor, landmarksFromBodies, motorCount } from './sim.ts';
import type { RootGains } from './tracking-rollout.ts';

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

/** The residual root PD of tracking options as a rollout's RootGains (tracking-rollout.ts), for a body of `mass` kg. */
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
  /** Mean |residual force| (N) and |residual torque| (N·m) over all steps (0 without residuals). */
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

const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];

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

  const first = at(0);
  const { world, layout, R } = await buildHumanoid(skel, { pose: first, next: { pose: at(dtc / 4), dt: dtc / 4 } }, o.physics);
  const S = Math.max(1, Math.round(layout.options.rate / o.controlRate));
  const sim = HumanoidSim.fromWorld(R, layout, world);
  const M = motorCount(layout);
  const mass = skel.segments.reduce((s, g) => s + g.mass, 0);
  const inertia = o.rotInertia;
  const dt = 1 / layout.options.rate;

  const knotA = new Float64Array(M), knotB = new Float64Array(M);
  const pos = new Float64Array(M), vel = new Float64Array(M);
  const wrench = new Float64Array(6);
  const simulated = new Float64Array(K * 99);
  const referenceLm = new Float64Array(K * 99);
  const J = layout.bodies.length;
  const bodies = new Float64Array(K * J * 7);
  let errSum = 0, maxFrame = 0, frames = 0, forceSum = 0, torqueSum = 0;
  let fallTime: number | null = null;
  let blowUp: string | null = null;
  const state = { pose: new Float64Array(layout.bodies.length * 7), velocity: new Float64Array(layout.bodies.length * 6) };
  const started = performance.now();
  try {
    anglesToMotor(layout, anglesFromPose(skel, at(o.lead)), 0, knotB, 0);
    for (let k = 0; k < K; k++) {
      knotA.set(knotB);
      const poseEnd = at((k + 1) * dtc);
      anglesToMotor(layout, anglesFromPose(skel, o.lead ? at((k + 1) * dtc + o.lead) : poseEnd), 0, knotB, 0);
      for (let m = 0; m < M; m++) vel[m] = (knotB[m]! - knotA[m]!) / dtc;
      for (let s = 0; s < S; s++) {
        const f = s / S;
        for (let m = 0; m < M; m++) pos[m] = knotA[m]! + f * (knotB[m]! - knotA[m]!);
        sim.setMotorTargets(pos, vel);
        if (o.residual) {
          const t = k * dtc + s * dt;
          const ref = at(t), ref2 = at(t + dt);
          const root = sim.rootState();
          const vRef: Vec3 = sub(ref2.rootPosition, ref.rootPosition).map((x) => x / dt) as Vec3;
          const wRef = quatToRotationVector(quatMultiply(ref2.rootRotation, quatConjugate(ref.rootRotation))).map((x) => x / dt) as Vec3;
          const ep = sub(ref.rootPosition, root.p);
          const ev = sub(vRef, root.v);
          const er = quatToRotationVector(quatMultiply(ref.rootRotation, quatConjugate(root.q as Quat)));
          const ew = sub(wRef, root.w);
          for (let c = 0; c < 3; c++) {
            wrench[c] = mass * (o.rootStiffness * ep[c]! + o.rootDamping * ev[c]!);
            wrench[3 + c] = inertia * (o.rotStiffness * er[c]! + o.rotDamping * ew[c]!);
          }
          sim.pushRoot(wrench);
          forceSum += Math.hypot(wrench[0]!, wrench[1]!, wrench[2]!);
          torqueSum += Math.hypot(wrench[3]!, wrench[4]!, wrench[5]!);
        }
        sim.step();
      }
      sim.readState(state);
      const bad = sim.blowUp(state);
      if (bad) { blowUp = bad; break; }
      landmarksFromBodies(layout, state.pose, simulated, k * 99);
      bodies.set(state.pose, k * J * 7);
      const refLm = landmarkPositions(skel, poseEnd);
      let e = 0;
      for (let l = 0; l < 33; l++) {
        const r = refLm[l]!;
        referenceLm.set(r, k * 99 + l * 3);
        e += Math.hypot(simulated[k * 99 + l * 3]! - r[0], simulated[k * 99 + l * 3 + 1]! - r[1], simulated[k * 99 + l * 3 + 2]! - r[2]);
      }
      e /= 33;
      errSum += e;
      maxFrame = Math.max(maxFrame, e);
      frames++;
      // Fall: head (nose) far below the reference's, or the root far from the reference root.
      const headSim = simulated[k * 99 + 1]!, headRef = refLm[0]![1];
      const rootSim: Vec3 = [state.pose[0]!, state.pose[1]!, state.pose[2]!];
      const dRoot = Math.hypot(...sub(rootSim, poseEnd.rootPosition));
      if (headSim < o.fallHeadRatio * headRef || dRoot > o.fallDistance) { fallTime = (k + 1) * dtc; break; }
    }
  } finally {
    sim.free();
  }
  const steps = Math.max(1, sim.steps);
  return {
    frames,
    expectedFrames: K,
    fps: o.controlRate,
    mpjpe: frames ? (errSum / frames) * 1000 : NaN,
    maxFrameError: maxFrame * 1000,
    fell: fallTime !== null,
    fallTime,
    blowUp,
    residualForce: forceSum / steps,
    residualTorque: torqueSum / steps,
    bodies: bodies.slice(0, frames * J * 7),
    simulated: simulated.slice(0, frames * 99),
    reference: referenceLm.slice(0, frames * 99),
    usPerStep: ((performance.now() - started) * 1000) / steps,
  };
}

