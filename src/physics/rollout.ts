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

/** Motor-space PD target knots of a rollout spec, checked: K knots of D packed angles each. */
export function motorKnots(layout: HumanoidLayout, targets: Float64Array): { knotCount: number; motors: number; knots: Float64Array } {
  const D = layout.angleOffsets.reduce((n, o, j) => (o < 0 ? n : n + layout.skeleton.joints[j]!.axes.length), 0);
  if (targets.length % D !== 0 || targets.length === 0) {
    throw new Error(`rollout targets must hold K × ${D} angles, got ${targets.length} values`);
  }
  const knotCount = targets.length / D;
  const motors = motorCount(layout);
  const knots = new Float64Array(knotCount * motors);
  for (let k = 0; k < knotCount; k++) anglesToMotor(layout, targets, k * D, knots, k * motors);
  return { knotCount, motors, knots };
}

/**
 * What a rollout records after each control interval (landmarks, body poses, foot contacts),
 * the residual wrench sums, and blow-up detection; shared by every rollout flavour so they
 * all return the same RolloutResult.
 */
export class RolloutRecorder {
  readonly landmarks: Float64Array;
  readonly bodies: Float64Array;
  readonly contacts: Uint8Array;
  frames = 0;
  blowUp: RolloutResult['blowUp'] = null;
  /** Sums over simulation steps of |force| (N) and |torque| (N·m) of the residual root wrench. */
  forceSum = 0;
  torqueSum = 0;
  private readonly state: { pose: Float64Array; velocity: Float64Array };
  private readonly J: number;

  constructor(private readonly layout: HumanoidLayout, intervals: number) {
    this.J = layout.bodies.length;
    this.landmarks = new Float64Array(intervals * 99);
    this.bodies = new Float64Array(intervals * this.J * 7);
    this.contacts = new Uint8Array(intervals * 2);
    this.state = { pose: new Float64Array(this.J * 7), velocity: new Float64Array(this.J * 6) };
  }

  /** Records the state after the next interval; false (and `blowUp` set) when the simulation blew up. */
  record(sim: HumanoidSim): boolean {
    sim.readState(this.state);
    const reason = sim.blowUp(this.state);
    if (reason) { this.blowUp = { step: sim.steps, reason }; return false; }
    const k = this.frames;
    this.bodies.set(this.state.pose, k * this.J * 7);
    landmarksFromBodies(this.layout, this.state.pose, this.landmarks, k * 99);
    const [l, r] = sim.footContacts();
    this.contacts[k * 2] = l ? 1 : 0;
    this.contacts[k * 2 + 1] = r ? 1 : 0;
    this.frames++;
    return true;
  }

  result(sim: HumanoidSim, endSnapshot: boolean | undefined): RolloutResult {
    const frames = this.frames;
    const result: RolloutResult = {
      frames,
      landmarks: this.landmarks.slice(0, frames * 99),
      bodies: this.bodies.slice(0, frames * this.J * 7),
      contacts: this.contacts.slice(0, frames * 2),
      residualForce: sim.steps ? this.forceSum / sim.steps : 0,
      residualTorque: sim.steps ? this.torqueSum / sim.steps : 0,
      blowUp: this.blowUp,
      steps: sim.steps,
    };
    if (endSnapshot && !this.blowUp) result.endSnapshot = sim.takeSnapshot();
    return result;
  }
}

/** Runs a rollout on this thread (Rapier must be loaded: see `runRollout`). */
export function rolloutWith(R: Rapier, layout: HumanoidLayout, snapshot: Uint8Array, spec: RolloutSpec): RolloutResult {
  const { knotCount: K, motors: M, knots } = motorKnots(layout, spec.targets);
  const S = Math.max(1, Math.round(spec.stepsPerControl));
  if (spec.rootWrench && spec.rootWrench.length !== K * 6) throw new Error(`rootWrench must hold ${K} × 6 values`);

  const sim = HumanoidSim.fromSnapshot(R, layout, snapshot);
  const recorder = new RolloutRecorder(layout, K);
  const pos = new Float64Array(M);
  const vel = new Float64Array(M);
  const rate = layout.options.rate;
  try {
    for (let k = 0; k < K; k++) {
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
        recorder.forceSum += S * Math.hypot(w[k * 6]!, w[k * 6 + 1]!, w[k * 6 + 2]!);
        recorder.torqueSum += S * Math.hypot(w[k * 6 + 3]!, w[k * 6 + 4]!, w[k * 6 + 5]!);
      }
      if (!recorder.record(sim)) break;
    }
    return recorder.result(sim, spec.endSnapshot);
  } finally {
    sim.free();
  }
}

/** Runs a rollout on this thread, loading Rapier first if needed. */
export async function runRollout(layout: HumanoidLayout, snapshot: Uint8Array, spec: RolloutSpec): Promise<RolloutResult> {
  return rolloutWith(await loadRapier(), layout, snapshot, spec);
}
