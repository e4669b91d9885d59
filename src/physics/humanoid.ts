/**
 * Builds the Rapier twin of a skeleton: one dynamic rigid body per segment (body frame =
 * joint frame, so a body's rotation is the joint's world rotation), capsule / box colliders
 * sized from the bones, de Leva masses and inertias, motorised impulse joints (spherical for
 * 2–3 DoF, revolute for 1 DoF) acting as PD controllers, and a ground box (top at y = 0).
 *
 * What the world needs to be driven later (handles, DoF ↔ motor-axis mapping, options) is
 * collected in a plain-data `HumanoidLayout`, so a worker thread can run rollouts from a
 * snapshot knowing only the layout.
 */
import type RAPIER_NS from '@dimforge/rapier3d-compat';
import {
  quatConjugate, quatFromTo, quatMultiply, quatRotate, quatToRotationVector, type Vec3,
} from '../geometry/quaternion.ts';
import { forwardKinematics, type WorldPose } from '../body/fk.ts';
import type { Pose } from '../body/pose.ts';
import { angleOffsets, type Skeleton } from '../body/skeleton.ts';
import { loadRapier, type Rapier } from './rapier.ts';

export interface PhysicsOptions {
  /** Simulation steps per second. */
  rate: number;
  /** Rapier solver iterations per step. */
  solverIterations: number;
  /**
   * Rapier motor model. 'force': stiffness in N·m/rad (scaled by body mass × height² relative to
   * 70 kg × 1.70 m), damping = stiffness × dampingTime. 'acceleration': Rapier scales the gains by
   * the inertia of the two bodies of each joint only, so joints carrying the body (stance hips,
   * knees) end up too weak; kept for comparison.
   */
  motorModel: 'force' | 'acceleration';
  /** PD stiffness per joint group (see motorModel for units). */
  stiffness: { spine: number; chest: number; neck: number; head: number; shoulder: number; elbow: number; wrist: number; hip: number; knee: number; ankle: number };
  /** Force model: damping (N·m·s/rad) = stiffness × dampingTime. */
  dampingTime: number;
  /** Acceleration model: damping = 2 · ratio · sqrt(stiffness). */
  dampingRatio: number;
  /** Feet are made heavier than de Leva's ~1 kg (light feet under a 70 kg body blow up; FIELD-NOTES). */
  footMass: number;
  /** Extra rotational inertia added to each foot, kg·m². */
  footExtraInertia: number;
  /** Minimum segment mass (hands), kg. */
  minSegmentMass: number;
  /**
   * Foot collider length in front of the ankle as a fraction of the foot. The rigid foot has no
   * toe joint; ending it between the ball of the foot (~0.63) and the toe tip stops the toe edge
   * from catching the ground in swing (walk MPJPE 115 → 74 mm with 0.75 and friction 0.8).
   */
  toeLength: number;
  /**
   * A toe segment per foot, hinged at the ball of the foot (the foot's box then ends there): the
   * body can stand on its forefoot with the toes flat instead of rocking on a box edge. null: the
   * rigid foot of `toeLength`.
   */
  toes: ToeOptions | null;
  /** Gravity along y, m/s² (negative = down). */
  gravity: number;
  /** Friction coefficient of feet and ground. */
  friction: number;
  /** Segments collide with each other (except across a joint). Off: segments only touch the ground. */
  selfCollision: boolean;
  /** Enforce joint limits in the solver for 1-DoF joints (elbows, knees). */
  hingeLimits: boolean;
  /** Blow-up thresholds: linear (m/s) and angular (rad/s) speed of any body. */
  maxLinearSpeed: number;
  maxAngularSpeed: number;
}

/** The toe segment: where it hinges and ends, what it weighs, how stiffly it springs back to flat. */
export interface ToeOptions {
  /** Ball of the foot (the hinge) and toe tip, as fractions of the foot's length in front of the ankle. */
  ball: number;
  tip: number;
  /** Mass (kg), taken from the foot's, and extra rotational inertia (kg·m²). */
  mass: number;
  extraInertia: number;
  /** Spring toward flat, N·m/rad for a 70 kg, 1.70 m body (scaled like the joints), and its damping time, s. */
  stiffness: number;
  dampingTime: number;
  /** Hinge range, rad about the foot's x axis (negative: toes bent up, as when the heel rises). */
  limits: [number, number];
}

/** A stiff toe (softer ones let the body sag onto its toes and fall sooner) from 0.7 of the foot to 0.9: docs/notebook/physics-controller.md. */
export const TOE_DEFAULTS: ToeOptions = { ball: 0.7, tip: 0.9, mass: 0.4, extraInertia: 0.005, stiffness: 1000, dampingTime: 0.03, limits: [-1.0, 0.3] };

export const PHYSICS_DEFAULTS: PhysicsOptions = {
  rate: 120,
  solverIterations: 8,
  motorModel: 'force',
  stiffness: { spine: 4000, chest: 3000, neck: 600, head: 300, shoulder: 600, elbow: 300, wrist: 80, hip: 4000, knee: 3000, ankle: 2000 },
  dampingTime: 0.03,
  dampingRatio: 1.0,
  gravity: -9.81,
  toeLength: 0.75,
  toes: null,
  footMass: 3,
  footExtraInertia: 0.1,
  minSegmentMass: 0.5,
  friction: 0.8,
  selfCollision: false,
  hingeLimits: true,
  maxLinearSpeed: 30,
  maxAngularSpeed: 100,
};

export type JointKind = 'root' | 'spherical' | 'revolute';

/** Everything a rollout needs besides the snapshot (plain data: structured-cloneable). */
export interface HumanoidLayout {
  skeleton: Skeleton;
  options: PhysicsOptions;
  /** Rapier rigid-body handle per joint/segment. */
  bodies: number[];
  /** Rapier impulse-joint handle per joint (−1 for the root). */
  joints: number[];
  kinds: JointKind[];
  /** Stiffness and damping per joint. */
  stiffness: number[];
  damping: number[];
  /** Offset of each joint's angles in the packed angle vector (−1 for the root). */
  angleOffsets: number[];
  groundCollider: number;
  /** Collider handles of the left and right foot. */
  footColliders: [number, number];
  /** Centre of mass of each body in its local frame (Rapier reports COM velocities). */
  coms: Vec3[];
  /** Simulated mass of each body, kg (feet heavier than the skeleton's, see footMass). */
  masses: number[];
  /** Sole of each foot in the foot's frame, m: heel (−z) and toe (+z) ends (the toe segment's tip with toes), half width, ankle height above the sole. */
  sole: { heel: number; toe: number; halfWidth: number; ankleHeight: number };
  /** The toe segments (left, right): bodies, hinge joints and colliders, or null for rigid feet. */
  toes: { bodies: [number, number]; joints: [number, number]; colliders: [number, number] } | null;
}

/** Initial state: a pose and, optionally, the pose a moment later to derive velocities. */
export interface HumanoidState {
  pose: Pose;
  next?: { pose: Pose; dt: number };
}

const BODY_GROUP = 0x0002;
const GROUND_GROUP = 0x0001;
const groups = (member: number, filter: number): number => ((member & 0xffff) << 16) | (filter & 0xffff);

function stiffnessFor(name: string, o: PhysicsOptions): number {
  const s = o.stiffness;
  if (name === 'spine' || name === 'chest' || name === 'neck' || name === 'head') return s[name];
  if (name.endsWith('upper_arm')) return s.shoulder;
  if (name.endsWith('forearm')) return s.elbow;
  if (name.endsWith('hand')) return s.wrist;
  if (name.endsWith('thigh')) return s.hip;
  if (name.endsWith('shin')) return s.knee;
  return s.ankle;
}

/** World velocity of every body's COM and its angular velocity, from two poses. */
export function bodyVelocities(skel: Skeleton, a: WorldPose, b: WorldPose, dt: number, coms: Vec3[]): { lin: Vec3[]; ang: Vec3[] } {
  const lin: Vec3[] = [];
  const ang: Vec3[] = [];
  skel.joints.forEach((_, i) => {
    const ca = quatRotate(a.rotations[i]!, coms[i]!);
    const cb = quatRotate(b.rotations[i]!, coms[i]!);
    const pa = a.positions[i]!, pb = b.positions[i]!;
    lin.push([(pb[0] + cb[0] - pa[0] - ca[0]) / dt, (pb[1] + cb[1] - pa[1] - ca[1]) / dt, (pb[2] + cb[2] - pa[2] - ca[2]) / dt]);
    const r = quatToRotationVector(quatMultiply(b.rotations[i]!, quatConjugate(a.rotations[i]!)));
    ang.push([r[0] / dt, r[1] / dt, r[2] / dt]);
  });
  return { lin, ang };
}

/** Mass of each simulated segment, kg: the skeleton's, feet heavier (`footMass`), none below `minSegmentMass`. */
export function simulatedMasses(skel: Skeleton, o: Pick<PhysicsOptions, 'footMass' | 'minSegmentMass'> = PHYSICS_DEFAULTS): number[] {
  return skel.segments.map((seg) => (seg.name.endsWith('foot') ? Math.max(o.footMass, seg.mass) : Math.max(o.minSegmentMass, seg.mass)));
}

/** Builds the world; the caller owns it (`world.free()`), usually just to take a snapshot. */
export async function buildHumanoid(
  skel: Skeleton, state: HumanoidState, options: Partial<PhysicsOptions> = {},
): Promise<{ world: RAPIER_NS.World; layout: HumanoidLayout; R: Rapier }> {
  const R = await loadRapier();
  const o: PhysicsOptions = { ...PHYSICS_DEFAULTS, ...options, stiffness: { ...PHYSICS_DEFAULTS.stiffness, ...(options.stiffness ?? {}) } };
  const world = new R.World({ x: 0, y: o.gravity, z: 0 });
  world.timestep = 1 / o.rate;
  world.integrationParameters.numSolverIterations = o.solverIterations;

  const ground = world.createRigidBody(R.RigidBodyDesc.fixed().setTranslation(0, -0.5, 0));
  const groundCollider = world.createCollider(
    R.ColliderDesc.cuboid(100, 0.5, 100).setFriction(o.friction).setCollisionGroups(groups(GROUND_GROUP, BODY_GROUP)),
    ground,
  );

  const wp = forwardKinematics(skel, state.pose);
  const coms: Vec3[] = skel.segments.map((seg) => seg.com);
  const masses = simulatedMasses(skel, o);
  const vel = state.next ? bodyVelocities(skel, wp, forwardKinematics(skel, state.next.pose), state.next.dt, coms) : null;

  const bodyGroups = groups(BODY_GROUP, o.selfCollision ? BODY_GROUP | GROUND_GROUP : GROUND_GROUP);
  const bodies: number[] = [];
  const footColliders: [number, number] = [-1, -1];
  const H = skel.height;
  const footEnd = skel.segments.find((seg) => seg.name.endsWith('foot'))!.end;
  const sole = { heel: -0.040 * H, toe: footEnd[2] * (o.toes ? o.toes.tip : o.toeLength), halfWidth: 0.045 * (H / 1.7), ankleHeight: -footEnd[1] };
  skel.segments.forEach((seg, i) => {
    const p = wp.positions[i]!;
    const q = wp.rotations[i]!;
    const isFoot = seg.name.endsWith('foot');
    // With toes, the toe segment carries part of the foot's mass.
    const mass = masses[i]! - (isFoot && o.toes ? o.toes.mass : 0);
    const k = mass / seg.mass;
    const extra = isFoot ? o.footExtraInertia : 0;
    const desc = R.RigidBodyDesc.dynamic()
      .setTranslation(p[0], p[1], p[2])
      .setRotation({ x: q[0], y: q[1], z: q[2], w: q[3] })
      .setCanSleep(false)
      .setAdditionalMassProperties(
        mass,
        { x: seg.com[0], y: seg.com[1], z: seg.com[2] },
        { x: seg.inertia[0] * k + extra, y: seg.inertia[1] * k + extra, z: seg.inertia[2] * k + extra },
        { x: 0, y: 0, z: 0, w: 1 },
      );
    if (vel) {
      desc.setLinvel(vel.lin[i]![0], vel.lin[i]![1], vel.lin[i]![2]);
      desc.setAngvel({ x: vel.ang[i]![0], y: vel.ang[i]![1], z: vel.ang[i]![2] });
    }
    const body = world.createRigidBody(desc);
    bodies.push(body.handle);

    const cd = segmentCollider(R, seg, o.toes ? { ...sole, toe: footEnd[2] * o.toes.ball } : sole, H);
    cd.setDensity(0).setFriction(o.friction).setCollisionGroups(bodyGroups);
    const col = world.createCollider(cd, body);
    if (seg.name === 'left_foot') footColliders[0] = col.handle;
    if (seg.name === 'right_foot') footColliders[1] = col.handle;
  });

  const { joints, kinds, stiffness, damping } = createJoints(R, world, skel, bodies, o);
  const toes = o.toes ? createToes(R, world, skel, bodies, o.toes, { sole, footEnd, bodyGroups, friction: o.friction }) : null;

  const layout: HumanoidLayout = {
    skeleton: skel, options: o, bodies, joints, kinds, stiffness, damping,
    angleOffsets: angleOffsets(skel), groundCollider: groundCollider.handle, footColliders, coms, masses, sole, toes,
  };
  return { world, layout, R };
}

/**
 * A toe body per foot, hinged to the foot at the ball (sole level) about the foot's x axis, a thin
 * box from the ball to the tip; a position motor springs it back to flat. It starts flat, moving
 * with its foot. Created after the skeleton's joints (creation order is part of determinism).
 */
function createToes(
  R: Rapier, world: RAPIER_NS.World, skel: Skeleton, bodies: number[], t: ToeOptions,
  c: { sole: HumanoidLayout['sole']; footEnd: Vec3; bodyGroups: number; friction: number },
): NonNullable<HumanoidLayout['toes']> {
  const out = { bodies: [-1, -1] as [number, number], joints: [-1, -1] as [number, number], colliders: [-1, -1] as [number, number] };
  const ball = c.footEnd[2] * t.ball, length = c.footEnd[2] * (t.tip - t.ball);
  const thick = Math.min(c.sole.ankleHeight, 0.012 * skel.height);
  const hinge = { x: 0, y: -c.sole.ankleHeight, z: ball };
  const k = t.stiffness * (skel.mass / 70) * (skel.height / 1.7) ** 2;
  const raw = world.impulseJoints.raw;
  (['left', 'right'] as const).forEach((side, i) => {
    const foot = world.getRigidBody(bodies[skel.joints.findIndex((j) => j.name === `${side}_foot`)]!);
    const q = foot.rotation(), p = foot.translation(), v = foot.linvel(), w = foot.angvel();
    const at = quatRotate([q.x, q.y, q.z, q.w], [hinge.x, hinge.y, hinge.z]);
    const inertia = (t.mass * length * length) / 12 + t.extraInertia;
    const body = world.createRigidBody(R.RigidBodyDesc.dynamic()
      .setTranslation(p.x + at[0], p.y + at[1], p.z + at[2]).setRotation(q).setCanSleep(false)
      .setLinvel(v.x, v.y, v.z).setAngvel(w)
      .setAdditionalMassProperties(t.mass, { x: 0, y: thick / 2, z: length / 2 }, { x: inertia, y: inertia, z: t.extraInertia + t.mass * c.sole.halfWidth ** 2 / 3 }, { x: 0, y: 0, z: 0, w: 1 }));
    const col = world.createCollider(R.ColliderDesc.cuboid(c.sole.halfWidth, thick / 2, length / 2).setTranslation(0, thick / 2, length / 2)
      .setDensity(0).setFriction(c.friction).setCollisionGroups(c.bodyGroups), body);
    const joint = world.createImpulseJoint(R.JointData.revolute(hinge, { x: 0, y: 0, z: 0 }, { x: 1, y: 0, z: 0 }), foot, body, true);
    joint.setContactsEnabled(false);
    raw.jointSetLimits(joint.handle, R.JointAxis.AngX as never, t.limits[0], t.limits[1]);
    raw.jointConfigureMotorModel(joint.handle, R.JointAxis.AngX as never, R.MotorModel.ForceBased as never);
    raw.jointConfigureMotorPosition(joint.handle, R.JointAxis.AngX as never, 0, k, k * t.dampingTime);
    out.bodies[i] = body.handle; out.joints[i] = joint.handle; out.colliders[i] = col.handle;
  });
  return out;
}

/** The collision shape of one segment in its joint frame: a sole box for feet, a ball for the head, capsules elsewhere. */
function segmentCollider(R: Rapier, seg: Skeleton['segments'][number], sole: HumanoidLayout['sole'], H: number): RAPIER_NS.ColliderDesc {
  const e = seg.end;
  if (seg.name.endsWith('foot')) {
    // Sole box from heel to toe, bottom at the sole (y = −ankle height in the joint frame).
    const { heel, toe, ankleHeight: ankleH } = sole;
    return R.ColliderDesc.cuboid(sole.halfWidth, ankleH / 2, (toe - heel) / 2)
      .setTranslation(0, -ankleH / 2, (toe + heel) / 2);
  }
  if (seg.name === 'head') return R.ColliderDesc.ball(seg.radius * 1.6).setTranslation(0, e[1] * 0.55, 0.01 * H);
  if (seg.name === 'pelvis' || seg.name === 'spine' || seg.name === 'chest') {
    const halfWidth = seg.name === 'chest' ? 0.09 * H : 0.075 * H;
    return R.ColliderDesc.capsule(Math.max(0.01, halfWidth - seg.radius), seg.radius)
      .setTranslation(0, e[1] / 2, 0)
      .setRotation({ x: 0, y: 0, z: Math.SQRT1_2, w: Math.SQRT1_2 }); // capsule across x
  }
  const dir = quatFromTo([0, 1, 0], e);
  return R.ColliderDesc.capsule(Math.max(0.005, seg.length / 2 - seg.radius), seg.radius)
    .setTranslation(e[0] / 2, e[1] / 2, e[2] / 2)
    .setRotation({ x: dir[0], y: dir[1], z: dir[2], w: dir[3] });
}

/** One motorised impulse joint per non-root skeleton joint, in skeleton order (creation order is part of determinism). */
function createJoints(
  R: Rapier, world: RAPIER_NS.World, skel: Skeleton, bodies: number[], o: PhysicsOptions,
): { joints: number[]; kinds: JointKind[]; stiffness: number[]; damping: number[] } {
  const joints: number[] = [];
  const kinds: JointKind[] = [];
  const stiffness: number[] = [];
  const damping: number[] = [];
  const raw = world.impulseJoints.raw;
  skel.joints.forEach((j, i) => {
    if (j.parent < 0) {
      joints.push(-1); kinds.push('root'); stiffness.push(0); damping.push(0);
      return;
    }
    const b1 = world.getRigidBody(bodies[j.parent]!);
    const b2 = world.getRigidBody(bodies[i]!);
    const anchor1 = { x: j.offset[0], y: j.offset[1], z: j.offset[2] };
    const anchor2 = { x: 0, y: 0, z: 0 };
    const kind: JointKind = j.axes.length === 1 ? 'revolute' : 'spherical';
    const data = kind === 'revolute'
      ? R.JointData.revolute(anchor1, anchor2, { x: j.axes[0]![0], y: j.axes[0]![1], z: j.axes[0]![2] })
      : R.JointData.spherical(anchor1, anchor2);
    const joint = world.createImpulseJoint(data, b1, b2, true);
    joint.setContactsEnabled(false);
    const force = o.motorModel === 'force';
    const k = stiffnessFor(j.name, o) * (force ? (skel.mass / 70) * (skel.height / 1.7) ** 2 : 1);
    const d = force ? k * o.dampingTime : 2 * o.dampingRatio * Math.sqrt(k);
    const model = (force ? R.MotorModel.ForceBased : R.MotorModel.AccelerationBased) as never;
    if (kind === 'revolute') {
      if (o.hingeLimits) raw.jointSetLimits(joint.handle, R.JointAxis.AngX as never, j.limits[0]![0], j.limits[0]![1]);
      raw.jointConfigureMotorModel(joint.handle, R.JointAxis.AngX as never, model);
      raw.jointConfigureMotorPosition(joint.handle, R.JointAxis.AngX as never, 0, k, d);
    } else {
      for (const ax of [R.JointAxis.AngX, R.JointAxis.AngY, R.JointAxis.AngZ]) {
        raw.jointConfigureMotorModel(joint.handle, ax as never, model);
        raw.jointConfigureMotorPosition(joint.handle, ax as never, 0, k, d);
      }
    }
    joints.push(joint.handle); kinds.push(kind); stiffness.push(k); damping.push(d);
  });
  return { joints, kinds, stiffness, damping };
}

/** Builds the world for a state and returns its snapshot and layout (the world is freed). */
export async function humanoidSnapshot(
  skel: Skeleton, state: HumanoidState, options: Partial<PhysicsOptions> = {},
): Promise<{ snapshot: Uint8Array; layout: HumanoidLayout }> {
  const { world, layout } = await buildHumanoid(skel, state, options);
  try {
    return { snapshot: world.takeSnapshot(), layout };
  } finally {
    world.free();
  }
}

