/**
 * One rollout: restore a snapshot, drive the PD motors through a sequence of target knots
 * (optionally pushing the root with residual forces), step at the layout's fixed rate and
 * record what happened after every control interval.
 */
import { loadRapier, type Rapier } from './rapier.ts';
import type { HumanoidLayout } from './humanoid.ts';
import { HumanoidSim, anglesToMotor, landmarksFromBodies, motorCount } from './sim.ts';

export interface RolloutSpec {
  /**
   * K × D packed joint angles (src/body/pose.ts order): PD target knots at the START of
   * each control interval. Within interval k the targets move linearly from knot k to
   * knot k+1 (the last interval holds its knot), with the matching target velocity.
   */
  targets: Float64Array;
  /** Simulation steps per control interval (e.g. 4 at 120 Hz for 30 fps). */
  stepsPerControl: number;
  /**
   * Optional K × 6 residual root wrench per interval: force xyz (N) and torque xyz (N·m) in the
   * world frame, applied to the pelvis at every step of the interval. Always reported.
   */
  rootWrench?: Float64Array;
  /** Multiplier on every joint's stiffness (damping scales with its square root). */
  gainScale?: number;
  /** Return the snapshot at the end of the rollout (~50 KB). */
  endSnapshot?: boolean;
}

export interface RolloutResult {
  /** Control intervals completed (K unless the simulation blew up). */
  frames: number;
  /** frames × 33 × 3 landmark world positions at the END of each interval. */
  landmarks: Float64Array;
  /** frames × J × 7 body poses (position xyz, quaternion xyzw) at the end of each interval. */
  bodies: Float64Array;
  /** frames × 2: left / right foot in contact with the ground (1) or not (0). */
  contacts: Uint8Array;
  /** Mean |force| (N) and |torque| (N·m) of the residual root wrench over all steps. */
  residualForce: number;
  residualTorque: number;
  /** Null, or where and why the simulation blew up (outputs stop before it). */
  blowUp: { step: number; reason: string } | null;
  /** Simulation steps taken. */
  steps: number;
  endSnapshot?: Uint8Array;
}

/** Runs a rollout on this thread (Rapier must be loaded: see `runRollout`). */
export function rolloutWith(R: Rapier, layout: HumanoidLayout, snapshot: Uint8Array, spec: RolloutSpec): RolloutResult {
  const D = layout.angleOffsets.reduce((n, o, j) => (o < 0 ? n : n + layout.skeleton.joints[j]!.axes.length), 0);
  if (spec.targets.length % D !== 0 || spec.targets.length === 0) {
    throw new Error(`rollout targets must hold K × ${D} angles, got ${spec.targets.length} values`);
  }
  const K = spec.targets.length / D;
  const S = Math.max(1, Math.round(spec.stepsPerControl));
  if (spec.rootWrench && spec.rootWrench.length !== K * 6) throw new Error(`rootWrench must hold ${K} × 6 values`);
  const M = motorCount(layout);
  const J = layout.bodies.length;
  // Motor coordinates of every knot, computed once.
  const knots = new Float64Array(K * M);
  for (let k = 0; k < K; k++) anglesToMotor(layout, spec.targets, k * D, knots, k * M);

  const sim = HumanoidSim.fromSnapshot(R, layout, snapshot);
  const landmarks = new Float64Array(K * 99);
  const bodies = new Float64Array(K * J * 7);
  const contacts = new Uint8Array(K * 2);
  const pos = new Float64Array(M);
  const vel = new Float64Array(M);
  const rate = layout.options.rate;
  let forceSum = 0, torqueSum = 0;
  let blowUp: RolloutResult['blowUp'] = null;
  let frames = 0;
  const state = { pose: new Float64Array(J * 7), velocity: new Float64Array(J * 6) };
  try {
    for (let k = 0; k < K && !blowUp; k++) {
      const a = k * M, b = (k + 1 < K ? k + 1 : k) * M;
      for (let m = 0; m < M; m++) vel[m] = (knots[b + m]! - knots[a + m]!) * rate / S;
      const w = spec.rootWrench;
      for (let s = 0; s < S; s++) {
        const t = s / S;
        for (let m = 0; m < M; m++) pos[m] = knots[a + m]! + t * (knots[b + m]! - knots[a + m]!);
        sim.setMotorTargets(pos, vel, 0, 0, spec.gainScale ?? 1);
        if (w) sim.pushRoot(w, k * 6);
        sim.step();
      }
      if (w) {
        forceSum += S * Math.hypot(w[k * 6]!, w[k * 6 + 1]!, w[k * 6 + 2]!);
        torqueSum += S * Math.hypot(w[k * 6 + 3]!, w[k * 6 + 4]!, w[k * 6 + 5]!);
      }
      sim.readState(state);
      const reason = sim.blowUp(state);
      if (reason) { blowUp = { step: sim.steps, reason }; break; }
      bodies.set(state.pose, k * J * 7);
      landmarksFromBodies(layout, state.pose, landmarks, k * 99);
      const [l, r] = sim.footContacts();
      contacts[k * 2] = l ? 1 : 0;
      contacts[k * 2 + 1] = r ? 1 : 0;
      frames++;
    }
    const result: RolloutResult = {
      frames,
      landmarks: landmarks.slice(0, frames * 99),
      bodies: bodies.slice(0, frames * J * 7),
      contacts: contacts.slice(0, frames * 2),
      residualForce: sim.steps ? forceSum / sim.steps : 0,
      residualTorque: sim.steps ? torqueSum / sim.steps : 0,
      blowUp,
      steps: sim.steps,
    };
    if (spec.endSnapshot && !blowUp) result.endSnapshot = sim.takeSnapshot();
    return result;
  } finally {
    sim.free();
  }
}

/** Runs a rollout on this thread, loading Rapier first if needed. */
export async function runRollout(layout: HumanoidLayout, snapshot: Uint8Array, spec: RolloutSpec): Promise<RolloutResult> {
  return rolloutWith(await loadRapier(), layout, snapshot, spec);
}
