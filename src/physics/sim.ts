/**
 * A live humanoid world restored from a snapshot: set PD targets, push the root, step,
 * read back bodies, landmarks and foot contacts. Rollouts (rollout.ts) and the tracking
 * controller (tracking.ts) are loops over this class.
 */
import type RAPIER_NS from '@dimforge/rapier3d-compat';
import { quatConjugate, quatFromRotationVector, quatMultiply, quatNormalize, quatRotate, type Quat, type Vec3 } from '../geometry/quaternion.ts';
import type { Pose } from '../body/pose.ts';
import type { Skeleton } from '../body/skeleton.ts';
import type { Rapier } from './rapier.ts';
import type { HumanoidLayout } from './humanoid.ts';

/** Length of a motor-coordinate vector: 1 per revolute joint, 3 per spherical joint. */
export function motorCount(layout: HumanoidLayout): number {
  let n = 0;
  for (const k of layout.kinds) n += k === 'revolute' ? 1 : k === 'spherical' ? 3 : 0;
  return n;
}

/**
 * Packed joint angles (src/body/pose.ts) → Rapier motor coordinates. A spherical joint's
 * motor axis i measures 2·asin(q_i) of the relative rotation q (w ≥ 0); a revolute joint's
 * coordinate is its angle.
 */
export function anglesToMotor(layout: HumanoidLayout, angles: ArrayLike<number>, aOff: number, out: Float64Array, mOff: number): void {
  const joints = layout.skeleton.joints;
  let m = mOff;
  for (let j = 0; j < joints.length; j++) {
    const kind = layout.kinds[j];
    if (kind === 'root') continue;
    const o = aOff + layout.angleOffsets[j]!;
    const axes = joints[j]!.axes;
    if (kind === 'revolute') { out[m++] = angles[o]!; continue; }
    let rx = 0, ry = 0, rz = 0;
    for (let i = 0; i < axes.length; i++) {
      const a = angles[o + i]!;
      rx += a * axes[i]![0]; ry += a * axes[i]![1]; rz += a * axes[i]![2];
    }
    const q = quatFromRotationVector([rx, ry, rz]);
    const s = q[3] < 0 ? -1 : 1;
    out[m++] = 2 * Math.asin(Math.max(-1, Math.min(1, s * q[0])));
    out[m++] = 2 * Math.asin(Math.max(-1, Math.min(1, s * q[1])));
    out[m++] = 2 * Math.asin(Math.max(-1, Math.min(1, s * q[2])));
  }
}

export interface BodyState {
  /** Per body: x, y, z, qx, qy, qz, qw (body frame = joint frame). */
  pose: Float64Array;
  /** Per body: COM linear velocity xyz, angular velocity xyz. */
  velocity: Float64Array;
}

export class HumanoidSim {
  readonly world: RAPIER_NS.World;
  private readonly bodies: RAPIER_NS.RigidBody[];
  private readonly raw: RAPIER_NS.World['impulseJoints']['raw'];
  private readonly axes: number[];
  private readonly ground: RAPIER_NS.Collider;
  private readonly feet: RAPIER_NS.Collider[];
  steps = 0;

  private constructor(readonly R: Rapier, readonly layout: HumanoidLayout, world: RAPIER_NS.World) {
    this.world = world;
    // Integration parameters are set again after a restore: cheap, and no body state is touched.
    world.timestep = 1 / layout.options.rate;
    world.integrationParameters.numSolverIterations = layout.options.solverIterations;
    this.bodies = layout.bodies.map((h) => world.getRigidBody(h));
    this.raw = world.impulseJoints.raw;
    this.axes = [R.JointAxis.AngX, R.JointAxis.AngY, R.JointAxis.AngZ];
    this.ground = world.getCollider(layout.groundCollider);
    this.feet = layout.footColliders.map((h) => world.getCollider(h));
  }

  /** Restores a snapshot (bit-identical state, contact warm-starts included). Call free() after. */
  static fromSnapshot(R: Rapier, layout: HumanoidLayout, snapshot: Uint8Array): HumanoidSim {
    return new HumanoidSim(R, layout, R.World.restoreSnapshot(snapshot));
  }

  /**
   * Mass (kg) of all the humanoid's bodies as simulated. A restored world computes its mass
   * properties at its first step, so this steps a throwaway copy once.
   */
  static massOf(R: Rapier, layout: HumanoidLayout, snapshot: Uint8Array): number {
    const sim = HumanoidSim.fromSnapshot(R, layout, snapshot);
    try {
      sim.step();
      const toes = layout.toes?.bodies.map((h) => sim.world.getRigidBody(h).mass()) ?? [];
      return sim.bodies.reduce((m, b) => m + b.mass(), 0) + toes.reduce((a, b) => a + b, 0);
    } finally {
      sim.free();
    }
  }

  static fromWorld(R: Rapier, layout: HumanoidLayout, world: RAPIER_NS.World): HumanoidSim {
    return new HumanoidSim(R, layout, world);
  }

  /** Sets every motor's target position and velocity (motor coordinates, see anglesToMotor). */
  setMotorTargets(pos: Float64Array, vel: Float64Array | null, posOffset = 0, velOffset = 0, gainScale = 1): void {
    const { joints, kinds, stiffness, damping } = this.layout;
    let m = 0;
    for (let j = 0; j < joints.length; j++) {
      const kind = kinds[j];
      if (kind === 'root') continue;
      const h = joints[j]!;
      const k = stiffness[j]! * gainScale, d = damping[j]! * Math.sqrt(gainScale);
      const n = kind === 'revolute' ? 1 : 3;
      for (let a = 0; a < n; a++, m++) {
        const v = vel ? vel[velOffset + m]! : 0;
        this.raw.jointConfigureMotor(h, this.axes[a]! as never, pos[posOffset + m]!, v, k, d);
      }
    }
  }

  /** Adds a wrench to the root body for the next step: force xyz (N) then torque xyz (N·m), world frame. */
  pushRoot(wrench: ArrayLike<number>, offset = 0): void {
    const dt = 1 / this.layout.options.rate;
    const root = this.bodies[0]!;
    const w = (i: number): number => wrench[offset + i]! * dt;
    root.applyImpulse({ x: w(0), y: w(1), z: w(2) }, true);
    root.applyTorqueImpulse({ x: w(3), y: w(4), z: w(5) }, true);
  }

  /**
   * Joint torques for the next step (world frame, N·m; joint j's torque acts on body j and its
   * opposite on the parent body): internal, so they add no net force or torque to the body.
   */
  applyJointTorques(torques: Float64Array): void {
    const dt = 1 / this.layout.options.rate;
    const joints = this.layout.skeleton.joints;
    for (let j = 1; j < joints.length; j++) {
      const x = torques[j * 3]! * dt, y = torques[j * 3 + 1]! * dt, z = torques[j * 3 + 2]! * dt;
      if (x === 0 && y === 0 && z === 0) continue;
      this.bodies[j]!.applyTorqueImpulse({ x, y, z }, true);
      this.bodies[joints[j]!.parent]!.applyTorqueImpulse({ x: -x, y: -y, z: -z }, true);
    }
  }

  step(): void {
    this.world.step();
    this.steps++;
  }

  /** Body poses and velocities. */
  readState(out?: BodyState): BodyState {
    const n = this.bodies.length;
    const s = out ?? { pose: new Float64Array(n * 7), velocity: new Float64Array(n * 6) };
    for (let i = 0; i < n; i++) {
      const b = this.bodies[i]!;
      const t = b.translation(), r = b.rotation(), v = b.linvel(), w = b.angvel();
      s.pose.set([t.x, t.y, t.z, r.x, r.y, r.z, r.w], i * 7);
      s.velocity.set([v.x, v.y, v.z, w.x, w.y, w.z], i * 6);
    }
    return s;
  }

  /** Root body only: position, rotation, COM velocity, angular velocity. */
  rootState(): { p: Vec3; q: Quat; v: Vec3; w: Vec3 } {
    const b = this.bodies[0]!;
    const t = b.translation(), r = b.rotation(), v = b.linvel(), w = b.angvel();
    return { p: [t.x, t.y, t.z], q: [r.x, r.y, r.z, r.w], v: [v.x, v.y, v.z], w: [w.x, w.y, w.z] };
  }

  /** NaN or speeds above the layout's thresholds in a state → a reason string, else null. */
  blowUp(state: BodyState): string | null {
    const { maxLinearSpeed, maxAngularSpeed } = this.layout.options;
    for (let i = 0; i < this.bodies.length; i++) {
      for (let c = 0; c < 7; c++) if (!Number.isFinite(state.pose[i * 7 + c]!)) return `non-finite state of body ${this.layout.skeleton.joints[i]!.name}`;
      const v = state.velocity;
      const lin = Math.hypot(v[i * 6]!, v[i * 6 + 1]!, v[i * 6 + 2]!);
      const ang = Math.hypot(v[i * 6 + 3]!, v[i * 6 + 4]!, v[i * 6 + 5]!);
      if (!(lin <= maxLinearSpeed)) return `body ${this.layout.skeleton.joints[i]!.name} moves at ${lin.toFixed(1)} m/s`;
      if (!(ang <= maxAngularSpeed)) return `body ${this.layout.skeleton.joints[i]!.name} spins at ${ang.toFixed(1)} rad/s`;
    }
    return null;
  }

  /**
   * Left / right foot touching the ground (a contact point of its sole box within 5 mm). A toe
   * touching alone does not make its foot stand: the balance layer would push through a foot in
   * swing (counting toes: walk skating 1.7 → 7.5 %, docs/notebook/physics-controller.md).
   */
  footContacts(): [boolean, boolean] {
    const out: [boolean, boolean] = [false, false];
    this.feet.forEach((f, i) => {
      this.world.contactPair(this.ground, f, (m) => {
        for (let c = 0; c < m.numContacts(); c++) if (m.contactDist(c) < 0.005) { out[i] = true; break; }
      });
    });
    return out;
  }

  /**
   * Adds the ground's normal force (N) over the last step on the left foot, the right foot and
   * all other bodies to out[offset], out[offset + 1], out[offset + 2]: the solver's contact
   * impulses of every contact pair with the ground, divided by the step length.
   */
  addGroundForces(out: Float64Array, offset = 0): void {
    const rate = this.layout.options.rate;
    const [left, right] = this.layout.footColliders;
    const [leftToe, rightToe] = this.layout.toes?.colliders ?? [-1, -1];
    this.world.contactPairsWith(this.ground, (other) => {
      const h = other.handle;
      const slot = offset + (h === left || h === leftToe ? 0 : h === right || h === rightToe ? 1 : 2);
      this.world.contactPair(this.ground, other, (m) => {
        for (let c = 0; c < m.numContacts(); c++) out[slot] += m.contactImpulse(c) * rate;
      });
    });
  }

  takeSnapshot(): Uint8Array {
    return this.world.takeSnapshot();
  }

  free(): void {
    this.world.free();
  }
}

/** The 33 landmark positions (MediaPipe order) from body poses, written into out at offset. */
export function landmarksFromBodies(layout: HumanoidLayout, bodyPose: Float64Array, out: Float64Array, offset = 0, poseOffset = 0): void {
  const lms = layout.skeleton.landmarks;
  for (let l = 0; l < lms.length; l++) {
    const lm = lms[l]!;
    const b = poseOffset + lm.joint * 7;
    const q: Quat = [bodyPose[b + 3]!, bodyPose[b + 4]!, bodyPose[b + 5]!, bodyPose[b + 6]!];
    const o: Vec3 = quatRotate(q, lm.offset);
    out[offset + l * 3] = bodyPose[b]! + o[0];
    out[offset + l * 3 + 1] = bodyPose[b + 1]! + o[1];
    out[offset + l * 3 + 2] = bodyPose[b + 2]! + o[2];
  }
}

/**
 * A Pose (src/body/pose.ts) from body poses (e.g. `RolloutResult.bodies`, frame k): local
 * rotations are parent⁻¹ · child, the root comes from the pelvis body (quaternions renormalised).
 */
export function poseFromBodies(skel: Skeleton, bodies: ArrayLike<number>, frame = 0): Pose {
  const base = frame * skel.joints.length * 7;
  const rot = (j: number): Quat => {
    const o = base + j * 7 + 3;
    return quatNormalize([bodies[o]!, bodies[o + 1]!, bodies[o + 2]!, bodies[o + 3]!]);
  };
  return {
    rootPosition: [bodies[base]!, bodies[base + 1]!, bodies[base + 2]!],
    rootRotation: rot(0),
    rotations: skel.joints.map((j, i) => (j.parent < 0 ? [0, 0, 0, 1] as Quat : quatNormalize(quatMultiply(quatConjugate(rot(j.parent)), rot(i))))),
  };
}
