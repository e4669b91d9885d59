/**
 * The fully physical controller: the humanoid follows a reference with the pelvis unactuated
 * and no external force. At every simulation step it sets the PD motors to the reference
 * angles (plus optional offsets, the sampling search's controls), adds gravity compensation
 * (inverse-dynamics.ts) on the joints not standing on the ground, and the balance layer's
 * stance-leg torques (balance.ts). Every torque is a joint torque, equal and opposite on two
 * bodies; the rollout sums what it injected to prove it (`netForce` / `netTorque` stay 0).
 * Rapier's force-based motors are solved implicitly inside the constraint solver, which is
 * what stable PD (Tan et al. 2011) buys, so stiff gains stay stable at 120 Hz.
 */
import type { HumanoidLayout } from './humanoid.ts';
import { BALANCE_DEFAULTS, addStanceTorques, feetRelativeTarget, legChains, stanceShares, supportedTarget, virtualWrench, type BalanceOptions } from './balance.ts';
import { swingHipTurn, turnMotorTarget, type FootPlacementOptions } from './foot-placement.ts';
import type { ControlReference } from './control-reference.ts';
import { addGravityCompensation, addInertialFeedForward, createMassState, massState } from './inverse-dynamics.ts';
import type { Rapier } from './rapier.ts';
import type { RolloutResult } from './rollout-types.ts';
import { RolloutRecorder, motorKnots } from './rollout-recorder.ts';
import { HumanoidSim, type BodyState } from './sim.ts';
import { rootViewError2 } from './view-error.ts';

export interface ControllerOptions {
  /** Gravity compensation of the limbs not standing on the ground. */
  feedForward: boolean;
  /**
   * With `feedForward`, the share of the reference's accelerations fed forward as well
   * (inverse-dynamics.ts addInertialFeedForward; 0: quasi-static, gravity alone).
   */
  accelFeedForward: number;
  /** The balance layer (virtual force and torque through the stance legs); null for none. */
  balance: BalanceOptions | null;
  /** Multiplier on every joint's PD stiffness (damping scales with its square root). */
  gainScale: number;
  /** Largest feed-forward torque per joint, N·m for a 70 kg body (scaled with mass). */
  maxTorque: number;
  /** Fallen: the pelvis this far (m) from the reference pelvis (its error along the camera ray weighted as `depthWeight`, view-error.ts) … */
  fallDistance: number;
  depthWeight: number;
  /** … or the nose below this fraction of the reference nose height. */
  fallNoseRatio: number;
  /** Simulation steps a foot still counts as standing after it last touched: contact chatter does not switch the layers. */
  contactHold: number;
  /** Share of the previous step's feed-forward and balance torques kept (first-order low-pass; 0: none). */
  torqueSmoothing: number;
  /**
   * The PD motors' target velocity includes the offsets' rate of change (true) or is the
   * reference's alone (false: an offset acts through stiffness only, so a change in its slope at a
   * segment boundary steps no torque).
   */
  offsetVelocity: boolean;
  /** Swing-foot placement feedback on the swing hip in single support (foot-placement.ts); null for none. */
  placement: FootPlacementOptions | null;
}

export const CONTROLLER_DEFAULTS: ControllerOptions = {
  feedForward: true,
  accelFeedForward: 0,
  balance: BALANCE_DEFAULTS,
  gainScale: 1,
  maxTorque: 600,
  fallDistance: 0.3,
  depthWeight: 1,
  fallNoseRatio: 0.6,
  contactHold: 0,
  torqueSmoothing: 0,
  offsetVelocity: true,
  placement: null,
};

/** A rollout of the controller (run by the worker pool like RolloutSpec, told apart by `kind`). */
export interface ControlledSpec {
  kind: 'controlled';
  /** Frame 0 is the snapshot's state; interval k drives the body from frame k to k + 1. */
  reference: ControlReference;
  /** Optional frames × D offsets added to the reference angles (PD targets). */
  offsets?: Float64Array;
  /** Intervals to run (≤ reference.frames − 1). */
  intervals: number;
  stepsPerControl: number;
  controller: ControllerOptions;
  /** Stop at the first fallen frame, or after `snapshotAfter` when later (the search needs no more of a fallen candidate). */
  stopOnFall?: boolean;
  endSnapshot?: boolean;
  /** With endSnapshot: take it after this many intervals instead of at the end. */
  snapshotAfter?: number;
  /** Start from this snapshot instead of the batch's (beam members of a search share a batch). */
  snapshot?: Uint8Array;
}

export interface ControlledResult extends RolloutResult {
  /** First interval whose end state had fallen, or null. */
  fellAt: number | null;
  /**
   * Largest |Σ torque| the controller injected into the body as a whole in one step (0 up to
   * rounding: joint torques only). It applies no force at all (no pushRoot, no impulses).
   */
  netTorque: number;
}

/** What one rollout's steps share: the layers' scratch state and the reference they follow. */
interface StepContext {
  layout: HumanoidLayout;
  ref: ControlReference;
  o: ControllerOptions;
  state: BodyState;
  mass: ReturnType<typeof createMassState>;
  chains: [number[], number[]];
  skip: boolean[];
  torques: Float64Array;
  acc: Float64Array;
  scratch: Float64Array;
  inertial: boolean;
  /** Motor coordinate index of each leg's thigh (spherical: three coordinates). */
  thighMotors: [number, number];
}

/** Runs the controller from a snapshot on this thread. */
export function controlledRollout(R: Rapier, layout: HumanoidLayout, snapshot: Uint8Array, spec: ControlledSpec): ControlledResult {
  const ref = spec.reference;
  const o = spec.controller;
  const D = ref.angles.length / ref.frames;
  const K = Math.min(spec.intervals, ref.frames - 1);
  const S = Math.max(1, Math.round(spec.stepsPerControl));
  const targets = Float64Array.from(ref.angles.subarray(0, (K + 1) * D));
  if (spec.offsets) for (let i = 0; i < targets.length; i++) targets[i]! += spec.offsets[i] ?? 0;
  const { motors: M, knots } = motorKnots(layout, targets);
  const velKnots = spec.offsets && !o.offsetVelocity ? motorKnots(layout, ref.angles.subarray(0, (K + 1) * D)).knots : knots;
  const J = layout.bodies.length;
  const sim = HumanoidSim.fromSnapshot(R, layout, spec.snapshot ?? snapshot);
  const recorder = new RolloutRecorder(layout, K);
  const pos = new Float64Array(M), vel = new Float64Array(M);
  const chains = legChains(layout);
  const ctx: StepContext = {
    layout, ref, o, state: { pose: new Float64Array(J * 7), velocity: new Float64Array(J * 6) }, mass: createMassState(layout), chains,
    skip: new Array<boolean>(J).fill(false), torques: new Float64Array(J * 3), acc: new Float64Array(J * 3), scratch: new Float64Array(J * 6),
    inertial: o.feedForward && o.accelFeedForward > 0 && ref.bodyAcc.length === ref.frames * J * 3,
    thighMotors: [motorIndex(layout, chains[0][0]!), motorIndex(layout, chains[1][0]!)],
  };
  const perBody = new Float64Array(J * 3);
  const maxTorque = (o.maxTorque * ctx.mass.mass) / 70;
  const rate = layout.options.rate;
  let fellAt: number | null = null, netTorque = 0;
  let mid: Uint8Array | undefined;
  const since = [Infinity, Infinity];
  const previous = new Float64Array(J * 3);
  try {
    for (let k = 0; k < K; k++) {
      for (let m = 0; m < M; m++) vel[m] = ((velKnots[(k + 1) * M + m]! - velKnots[k * M + m]!) * rate) / S;
      for (let s = 0; s < S; s++) {
        const t = s / S, f = (s + 1) / S;
        for (let m = 0; m < M; m++) pos[m] = knots[k * M + m]! + t * (knots[(k + 1) * M + m]! - knots[k * M + m]!);
        const contacts = standing(sim.footContacts(), since, o.contactHold);
        // In flight nothing is applied (a falling body needs no torque against gravity): no state to read.
        const active = contacts[0] || contacts[1];
        if (active && (o.feedForward || o.balance || o.placement)) {
          sim.readState(ctx.state);
          massState(layout, ctx.state, ctx.mass);
        }
        if (active && o.placement) placeSwingFoot(ctx, k, f, contacts, pos);
        sim.setMotorTargets(pos, vel, 0, 0, o.gainScale);
        if (active) {
          const torques = layerTorques(ctx, k, f, contacts);
          clampTorques(torques, maxTorque);
          if (o.torqueSmoothing > 0) for (let i = 0; i < torques.length; i++) torques[i] = previous[i] = o.torqueSmoothing * previous[i]! + (1 - o.torqueSmoothing) * torques[i]!;
          netTorque = Math.max(netTorque, netInjected(torques, layout, perBody));
          sim.applyJointTorques(torques);
        }
        sim.step();
        recorder.afterStep(sim);
      }
      if (!recorder.record(sim)) break;
      if (spec.endSnapshot && spec.snapshotAfter === recorder.frames) mid = sim.takeSnapshot();
      if (fellAt === null && fallen(recorder, ref, k, J, o)) {
        fellAt = k;
      }
      // A fallen candidate still runs to its snapshot: the search may have to commit it.
      if (fellAt !== null && spec.stopOnFall && recorder.frames >= (spec.endSnapshot ? spec.snapshotAfter ?? K : 0)) break;
    }
    const takeEnd = spec.endSnapshot && spec.snapshotAfter === undefined;
    const result = recorder.result(sim, takeEnd);
    if (mid) result.endSnapshot = mid;
    return { ...result, fellAt, netTorque };
  } finally {
    sim.free();
  }
}

/** Reference value c of an n-wide series at fraction f of interval k. */
function refAt(a: Float64Array, n: number, c: number, k: number, f: number): number {
  return a[k * n + c]! + f * (a[(k + 1) * n + c]! - a[k * n + c]!);
}

/**
 * The feed-forward and balance torques of one step (J × 3, on each joint's child body) from the
 * state read into `ctx`, at fraction f of interval k.
 */
function layerTorques(ctx: StepContext, k: number, f: number, contacts: [boolean, boolean]): Float64Array {
  const { layout, ref, o, state, mass, chains, skip, torques } = ctx;
  const J = layout.bodies.length;
  torques.fill(0);
  // A leg on the ground is carried by the balance layer, not held up like a limb.
  skip.fill(false);
  for (let side = 0; side < 2; side++) if (contacts[side]) for (const j of chains[side]!) skip[j] = true;
  if (o.feedForward) addGravityCompensation(layout, state, mass, layout.options.gravity, skip, torques);
  if (ctx.inertial) {
    for (let c = 0; c < J * 3; c++) ctx.acc[c] = refAt(ref.bodyAcc, J * 3, c, k, f);
    addInertialFeedForward(layout, state, mass, ctx.acc, o.accelFeedForward, skip, torques, ctx.scratch);
  }
  if (o.balance) {
    const b = o.balance;
    const at = (c: number, a: Float64Array) => refAt(a, 3, c, k, f);
    const target = {
      com: [at(0, ref.com), at(1, ref.com), at(2, ref.com)] as [number, number, number],
      comVel: [at(0, ref.comVel), at(1, ref.comVel), at(2, ref.comVel)] as [number, number, number],
      rootRot: f < 0.5 ? quatAt(ref.rootRot, k) : quatAt(ref.rootRot, k + 1),
    };
    const shares = stanceShares(state, mass, chains, contacts);
    const feet = b.feetRelative > 0 ? feetRelativeTarget(state, chains, shares, refFeetAt(ref, k, f), target, b.feetRelative) : target;
    const goal = b.supportTarget ? supportedTarget(layout, state, chains, contacts, feet, b) : feet;
    const wrench = virtualWrench(state, mass, goal, layout.options.gravity, b);
    addStanceTorques(layout, state, mass, chains, shares, wrench, b, torques);
  }
  return torques;
}

/** The reference's ankles (left, right) at fraction f of interval k. */
function refFeetAt(ref: ControlReference, k: number, f: number): number[] {
  return Array.from({ length: 6 }, (_, c) => refAt(ref.feet, 6, c, k, f));
}

/** Swing-foot placement: turns the swing thigh's motor target in `pos` (foot-placement.ts). */
function placeSwingFoot(ctx: StepContext, k: number, f: number, contacts: [boolean, boolean], pos: Float64Array): void {
  const { ref } = ctx;
  const at = (a: Float64Array, c: number) => refAt(a, 3, c, k, f);
  const r = swingHipTurn(ctx.state, ctx.mass, ctx.chains, contacts, {
    com: [at(ref.com, 0), at(ref.com, 1), at(ref.com, 2)], comVel: [at(ref.comVel, 0), at(ref.comVel, 1), at(ref.comVel, 2)], feet: refFeetAt(ref, k, f),
  }, ctx.o.placement!);
  if (r) turnMotorTarget(pos, ctx.thighMotors[r.side]!, r.turn);
}

/** Index of joint j's first motor coordinate (sim.ts anglesToMotor's order). */
function motorIndex(layout: HumanoidLayout, j: number): number {
  let m = 0;
  for (let i = 0; i < j; i++) m += layout.kinds[i] === 'revolute' ? 1 : layout.kinds[i] === 'spherical' ? 3 : 0;
  return m;
}

/** Feet counted as standing: touching now, or within `hold` steps of it (`since` counts steps since the last touch). */
function standing(touching: [boolean, boolean], since: number[], hold: number): [boolean, boolean] {
  for (let i = 0; i < 2; i++) since[i] = touching[i] ? 0 : since[i]! + 1;
  return [since[0]! <= hold, since[1]! <= hold];
}

function quatAt(a: Float64Array, k: number): [number, number, number, number] {
  return [a[k * 4]!, a[k * 4 + 1]!, a[k * 4 + 2]!, a[k * 4 + 3]!];
}

function clampTorques(torques: Float64Array, max: number): void {
  for (let j = 0; j < torques.length; j += 3) {
    const n = Math.hypot(torques[j]!, torques[j + 1]!, torques[j + 2]!);
    if (n > max) for (let c = 0; c < 3; c++) torques[j + c]! *= max / n;
  }
}

/**
 * What the controller adds to the body as a whole: each joint torque is applied as +τ on the
 * child and −τ on the parent, so the sum is zero up to rounding; measured, not assumed.
 */
function netInjected(torques: Float64Array, layout: HumanoidLayout, perBody: Float64Array): number {
  perBody.fill(0);
  const joints = layout.skeleton.joints;
  for (let j = 1; j < joints.length; j++) {
    const par = joints[j]!.parent;
    for (let c = 0; c < 3; c++) { perBody[j * 3 + c]! += torques[j * 3 + c]!; perBody[par * 3 + c]! -= torques[j * 3 + c]!; }
  }
  const sum = [0, 0, 0];
  for (let i = 0; i < perBody.length; i++) sum[i % 3]! += perBody[i]!;
  return Math.hypot(sum[0]!, sum[1]!, sum[2]!);
}

/** The end state of interval k has fallen: pelvis far from the reference, or the nose low. */
function fallen(recorder: RolloutRecorder, ref: ControlReference, k: number, J: number, o: ControllerOptions): boolean {
  const f = recorder.frames - 1;
  const b = f * J * 7;
  const d = Math.sqrt(rootViewError2(recorder.bodies.subarray(b, b + 3), ref.root.subarray((k + 1) * 3, (k + 2) * 3), ref.camera, o.depthWeight));
  return d > o.fallDistance || recorder.landmarks[f * 99 + 1]! < o.fallNoseRatio * ref.noseY[k + 1]!;
}
