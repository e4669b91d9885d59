/**
 * What a rollout records after each control interval, and its PD target knots in motor space.
 */
import type { HumanoidLayout } from './humanoid.ts';
import type { RolloutResult } from './rollout-types.ts';
import { anglesToMotor, landmarksFromBodies, motorCount, type HumanoidSim } from './sim.ts';

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
 * What a rollout records after each control interval (landmarks, body poses, foot contacts, the
 * residual wrench and ground forces averaged over the interval's steps) and blow-up detection;
 * shared by every rollout flavour so they all return the same RolloutResult.
 */
export class RolloutRecorder {
  readonly landmarks: Float64Array;
  readonly bodies: Float64Array;
  readonly contacts: Uint8Array;
  readonly residualWrench: Float64Array;
  readonly residualMagnitude: Float64Array;
  readonly groundForce: Float64Array;
  frames = 0;
  blowUp: RolloutResult['blowUp'] = null;
  /** Sums over simulation steps of |force| (N) and |torque| (N·m) of the residual root wrench. */
  forceSum = 0;
  torqueSum = 0;
  private readonly state: { pose: Float64Array; velocity: Float64Array };
  private readonly J: number;
  /** This interval's sums: wrench xyz xyz, |force|, |torque|, ground left / right / other; and its steps. */
  private readonly interval = new Float64Array(11);
  private intervalSteps = 0;

  constructor(private readonly layout: HumanoidLayout, intervals: number) {
    this.J = layout.bodies.length;
    this.landmarks = new Float64Array(intervals * 99);
    this.bodies = new Float64Array(intervals * this.J * 7);
    this.contacts = new Uint8Array(intervals * 2);
    this.residualWrench = new Float64Array(intervals * 6);
    this.residualMagnitude = new Float64Array(intervals * 2);
    this.groundForce = new Float64Array(intervals * 3);
    this.state = { pose: new Float64Array(this.J * 7), velocity: new Float64Array(this.J * 6) };
  }

  /** Counts a residual wrench (force xyz N, torque xyz N·m, world) applied for the coming step. */
  addResidual(wrench: ArrayLike<number>): void {
    const f = Math.hypot(wrench[0]!, wrench[1]!, wrench[2]!), t = Math.hypot(wrench[3]!, wrench[4]!, wrench[5]!);
    this.forceSum += f;
    this.torqueSum += t;
    for (let c = 0; c < 6; c++) this.interval[c] += wrench[c]!;
    this.interval[6] += f;
    this.interval[7] += t;
  }

  /** After every simulation step: the ground's normal forces of that step. */
  afterStep(sim: HumanoidSim): void {
    sim.addGroundForces(this.interval, 8);
    this.intervalSteps++;
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
    const n = Math.max(1, this.intervalSteps);
    for (let c = 0; c < 6; c++) this.residualWrench[k * 6 + c] = this.interval[c]! / n;
    for (let c = 0; c < 2; c++) this.residualMagnitude[k * 2 + c] = this.interval[6 + c]! / n;
    for (let c = 0; c < 3; c++) this.groundForce[k * 3 + c] = this.interval[8 + c]! / n;
    this.interval.fill(0);
    this.intervalSteps = 0;
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
      residualWrench: this.residualWrench.slice(0, frames * 6),
      residualMagnitude: this.residualMagnitude.slice(0, frames * 2),
      groundForce: this.groundForce.slice(0, frames * 3),
      residualForce: sim.steps ? this.forceSum / sim.steps : 0,
      residualTorque: sim.steps ? this.torqueSum / sim.steps : 0,
      blowUp: this.blowUp,
      steps: sim.steps,
    };
    if (endSnapshot && !this.blowUp) result.endSnapshot = sim.takeSnapshot();
    return result;
  }
}
