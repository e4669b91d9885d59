/**
 * Quasi-static inverse dynamics of the simulated humanoid: the joint torques that hold each
 * limb up against gravity in its current configuration (gravity compensation), read from the
 * live body state. The PD motors then only correct tracking errors instead of also carrying
 * the limbs' weight. Legs standing on the ground are skipped: their torques come from the
 * balance layer (balance.ts), which carries the whole body through them.
 *
 * Torque convention (shared with balance.ts and HumanoidSim.applyJointTorques): `torques[j]`
 * (world frame, N·m) is what joint j applies to its child body j; the parent gets the opposite.
 */
import { quatRotate, type Quat, type Vec3 } from '../geometry/quaternion.ts';
import type { HumanoidLayout } from './humanoid.ts';
import type { BodyState } from './sim.ts';

/** Mass-weighted quantities of the current state that the controller layers share. */
export interface MassState {
  /** Per body: world centre of mass (J × 3). */
  com: Float64Array;
  /** Per joint: mass and world centre of mass of the subtree it moves (the body and all its descendants). */
  subtreeMass: Float64Array;
  subtreeCom: Float64Array;
  /** Whole body: mass, centre of mass and its velocity. */
  mass: number;
  bodyCom: Vec3;
  bodyComVel: Vec3;
}

export function createMassState(layout: HumanoidLayout): MassState {
  const J = layout.bodies.length;
  return {
    com: new Float64Array(J * 3), subtreeMass: new Float64Array(J), subtreeCom: new Float64Array(J * 3),
    mass: layout.masses.reduce((a, b) => a + b, 0), bodyCom: [0, 0, 0], bodyComVel: [0, 0, 0],
  };
}

/** Fills `m` from a body state (poses: J × 7, velocities: J × 6 with COM linear velocity first). */
export function massState(layout: HumanoidLayout, state: BodyState, m: MassState): MassState {
  const joints = layout.skeleton.joints;
  const J = joints.length;
  const p = state.pose, v = state.velocity;
  for (let i = 0; i < J; i++) {
    const q: Quat = [p[i * 7 + 3]!, p[i * 7 + 4]!, p[i * 7 + 5]!, p[i * 7 + 6]!];
    const o = quatRotate(q, layout.coms[i]!);
    for (let c = 0; c < 3; c++) m.com[i * 3 + c] = p[i * 7 + c]! + o[c]!;
  }
  // Children come after their parents: accumulate subtrees from the leaves up.
  for (let i = 0; i < J; i++) {
    m.subtreeMass[i] = layout.masses[i]!;
    for (let c = 0; c < 3; c++) m.subtreeCom[i * 3 + c] = layout.masses[i]! * m.com[i * 3 + c]!;
  }
  for (let i = J - 1; i > 0; i--) {
    const par = joints[i]!.parent;
    m.subtreeMass[par]! += m.subtreeMass[i]!;
    for (let c = 0; c < 3; c++) m.subtreeCom[par * 3 + c]! += m.subtreeCom[i * 3 + c]!;
  }
  for (let i = 0; i < J; i++) for (let c = 0; c < 3; c++) m.subtreeCom[i * 3 + c]! /= m.subtreeMass[i]!;
  const vel: Vec3 = [0, 0, 0];
  for (let i = 0; i < J; i++) for (let c = 0; c < 3; c++) vel[c]! += layout.masses[i]! * v[i * 6 + c]!;
  m.bodyCom = [m.subtreeCom[0]!, m.subtreeCom[1]!, m.subtreeCom[2]!];
  m.bodyComVel = [vel[0] / m.mass, vel[1] / m.mass, vel[2] / m.mass];
  return m;
}

/**
 * Adds to `torques` (J × 3) the gravity compensation of every joint not in `skip`:
 * τ_j = (c_sub − p_j) × m_sub·(−g), the torque that cancels gravity's moment on the subtree
 * about the joint. `gravity` is the world's y acceleration (negative = down).
 */
export function addGravityCompensation(
  layout: HumanoidLayout, state: BodyState, m: MassState, gravity: number, skip: ArrayLike<boolean>, torques: Float64Array,
): void {
  const J = layout.bodies.length;
  const p = state.pose;
  for (let j = 1; j < J; j++) {
    if (skip[j]) continue;
    const rx = m.subtreeCom[j * 3]! - p[j * 7]!, rz = m.subtreeCom[j * 3 + 2]! - p[j * 7 + 2]!;
    const fy = -m.subtreeMass[j]! * gravity;
    // r × (0, fy, 0) = (−r_z·fy, 0, r_x·fy)
    torques[j * 3]! += -rz * fy;
    torques[j * 3 + 2]! += rx * fy;
  }
}

/**
 * Adds to `torques` the inertial part of each free joint's inverse dynamics: the torque that gives
 * its subtree the reference's accelerations, τ_j = Σ_{i ∈ sub(j)} (c_i − p_j) × m_i·a_i · `share`
 * (`acc`: J × 3 body centre-of-mass accelerations, m/s²; the bodies' own rotational inertia is
 * left to PD). With gravity compensation this is the subtree's Newton–Euler moment about the joint:
 * PD then corrects errors instead of lagging behind a swinging limb. Joints in `skip` are left out.
 */
export function addInertialFeedForward(
  layout: HumanoidLayout, state: BodyState, m: MassState, acc: ArrayLike<number>, share: number, skip: ArrayLike<boolean>, torques: Float64Array, scratch: Float64Array,
): void {
  const joints = layout.skeleton.joints;
  const J = joints.length;
  const p = state.pose;
  // scratch: per body, the subtree's Σ m·a (3) and Σ c × m·a about the origin (3).
  for (let i = 0; i < J; i++) {
    const mi = layout.masses[i]! * share;
    const fx = mi * acc[i * 3]!, fy = mi * acc[i * 3 + 1]!, fz = mi * acc[i * 3 + 2]!;
    const cx = m.com[i * 3]!, cy = m.com[i * 3 + 1]!, cz = m.com[i * 3 + 2]!;
    scratch[i * 6] = fx; scratch[i * 6 + 1] = fy; scratch[i * 6 + 2] = fz;
    scratch[i * 6 + 3] = cy * fz - cz * fy; scratch[i * 6 + 4] = cz * fx - cx * fz; scratch[i * 6 + 5] = cx * fy - cy * fx;
  }
  for (let i = J - 1; i > 0; i--) {
    const par = joints[i]!.parent;
    for (let c = 0; c < 6; c++) scratch[par * 6 + c]! += scratch[i * 6 + c]!;
  }
  for (let j = 1; j < J; j++) {
    if (skip[j]) continue;
    const fx = scratch[j * 6]!, fy = scratch[j * 6 + 1]!, fz = scratch[j * 6 + 2]!;
    const x = p[j * 7]!, y = p[j * 7 + 1]!, z = p[j * 7 + 2]!;
    // Σ (c_i − p_j) × F_i = Σ c_i × F_i − p_j × Σ F_i
    torques[j * 3]! += scratch[j * 6 + 3]! - (y * fz - z * fy);
    torques[j * 3 + 1]! += scratch[j * 6 + 4]! - (z * fx - x * fz);
    torques[j * 3 + 2]! += scratch[j * 6 + 5]! - (x * fy - y * fx);
  }
}
