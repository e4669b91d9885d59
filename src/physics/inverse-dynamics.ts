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
