/**
 * The project's humanoid: 17 joints / 17 rigid segments, scalable to a subject.
 *
 * Conventions (every other file of src/body and src/physics relies on them):
 * - World frame: metres, y up, ground y = 0, right-handed. The subject faces +z,
 *   so the subject's LEFT side is +x.
 * - Rest pose = T-pose: standing upright, soles on the ground, arms straight out
 *   sideways (left arm along +x, right arm along −x), palms down, thumbs forward.
 *   In the rest pose every joint frame is aligned with the world axes, so a joint's
 *   `offset` (from its parent joint, in the parent's frame) is also a world vector.
 * - Each joint moves the segment named after it (joint "left_forearm" is the elbow;
 *   the segment "left_forearm" runs from the elbow to the wrist).
 * - A joint's local rotation is the rotation vector Σ angle_i · axis_i over its DoF
 *   axes (axes are unit vectors in the parent frame). Limits are per DoF, radians.
 *   The root (pelvis) has 6 DoF: its translation and rotation live in Pose.rootPosition /
 *   Pose.rootRotation, not in the angle vector.
 *
 * Segment inertial parameters: de Leva P. (1996) "Adjustments to Zatsiorsky–Seluyanov's
 * segment inertia parameters", J. Biomechanics 29(9):1223–1230, Table 4 (mass fractions,
 * centre-of-mass positions as a fraction of segment length, radii of gyration as a
 * fraction of segment length: sagittal / transverse / longitudinal). The pelvis, spine
 * and chest segments take de Leva's lower, middle and upper trunk; his head segment
 * (head + neck) is split 80 / 20 between our head and neck.
 * Segment lengths as fractions of stature follow the classic proportions tabulated by
 * Drillis & Contini (1966) as reproduced in Winter, "Biomechanics and Motor Control of
 * Human Movement" (thigh 0.245 H, shank 0.246 H, upper arm 0.186 H, forearm 0.146 H,
 * hand 0.108 H, foot 0.152 H, ankle height 0.039 H, hip joint 0.530 H, shoulder 0.818 H).
 */
import type { Vec3 } from '../geometry/quaternion.ts';
import { MEDIAPIPE_33 } from '../formats/landmarks.ts';
import type { SkeletonDescription } from '../formats/skeleton.ts';
import { UserError } from '../errors.ts';

export type Dof = 0 | 1 | 2 | 3 | 6;

export interface JointDef {
  name: string;
  /** Index of the parent joint, −1 for the root. Parents always come before children. */
  parent: number;
  /** Rest offset from the parent joint, metres, in the parent frame (= world axes at rest). */
  offset: Vec3;
  /** Degrees of freedom: 6 for the root, else the number of rotation axes. */
  dof: Dof;
  /** Rotation axes (unit, parent frame), one per rotational DoF; empty for the root. */
  axes: Vec3[];
  /** [min, max] radians per axis (same order as `axes`). */
  limits: Array<[number, number]>;
}

/** Mass properties and collision proxy of the segment moved by a joint (same index). */
export interface SegmentDef {
  name: string;
  /** kg. */
  mass: number;
  /** Centre of mass in the joint's local frame, metres. */
  com: Vec3;
  /** Principal moments of inertia about the COM along the local x, y, z axes, kg·m². */
  inertia: Vec3;
  /** Far end of the bone in the joint's local frame (a child joint or the segment tip). */
  end: Vec3;
  /** Bone length |end|, metres. */
  length: number;
  /** Collision capsule radius, metres. */
  radius: number;
}

export interface LandmarkDef {
  name: string;
  /** Joint whose frame carries the landmark. */
  joint: number;
  /** Offset in that joint's local frame, metres. */
  offset: Vec3;
}

export interface Skeleton {
  joints: JointDef[];
  segments: SegmentDef[];
  /** The 33 MediaPipe landmarks, in MediaPipe order. */
  landmarks: LandmarkDef[];
  /** Stature: sole to top of head in the rest pose, metres. */
  height: number;
  /** Body mass, kg. */
  mass: number;
  /** Height of the root (hip-joint centre) above the ground in the rest pose, metres. */
  rootHeight: number;
}

/** Multipliers on the default proportions (1 = average adult). */
export interface Proportions {
  /** Upper arm, forearm and hand lengths. */
  arms?: number;
  /** Thigh and shank lengths. */
  legs?: number;
  /** Pelvis-to-neck length. */
  trunk?: number;
  /** Distance between the shoulder joints. */
  shoulderWidth?: number;
  /** Distance between the hip joints. */
  hipWidth?: number;
  /** Head and neck size. */
  head?: number;
}

export interface SkeletonOptions {
  /** Stature in metres before proportions are applied. */
  height?: number;
  /** Body mass in kg; default: BMI 24.2 (70 kg at 1.70 m). */
  mass?: number;
  /** de Leva's male or female mass distribution. */
  sex?: 'male' | 'female';
  proportions?: Proportions;
}

export const SKELETON_DEFAULTS = {
  height: 1.70,
  bmi: 24.2,
  sex: 'male' as 'male' | 'female',
};

/** Joint names in index order. Index 0 is the root. */
export const JOINT_NAMES = [
  'pelvis', 'spine', 'chest', 'neck', 'head',
  'left_upper_arm', 'left_forearm', 'left_hand',
  'right_upper_arm', 'right_forearm', 'right_hand',
  'left_thigh', 'left_shin', 'left_foot',
  'right_thigh', 'right_shin', 'right_foot',
] as const;
export type JointName = (typeof JOINT_NAMES)[number];
export const JOINT_INDEX: Record<JointName, number> = Object.fromEntries(JOINT_NAMES.map((n, i) => [n, i])) as Record<JointName, number>;

const X: Vec3 = [1, 0, 0];
const Y: Vec3 = [0, 1, 0];
const Z: Vec3 = [0, 0, 1];
const NY: Vec3 = [0, -1, 0];

/** de Leva (1996) Table 4: mass % of body mass, COM % of length from proximal end, radii of gyration % (sagittal, transverse, longitudinal). */
const DE_LEVA = {
  male: {
    head: { mass: 6.94 }, upperTrunk: { mass: 15.96 }, middleTrunk: { mass: 16.33 }, lowerTrunk: { mass: 11.17 },
    upperArm: { mass: 2.71 }, forearm: { mass: 1.62 }, hand: { mass: 0.61 },
    thigh: { mass: 14.16 }, shank: { mass: 4.33 }, foot: { mass: 1.37 },
  },
  female: {
    head: { mass: 6.68 }, upperTrunk: { mass: 15.45 }, middleTrunk: { mass: 14.65 }, lowerTrunk: { mass: 12.47 },
    upperArm: { mass: 2.55 }, forearm: { mass: 1.38 }, hand: { mass: 0.56 },
    thigh: { mass: 14.78 }, shank: { mass: 4.81 }, foot: { mass: 1.29 },
  },
} as const;
/** Male values of de Leva Table 4 (COM from the proximal/cranial end; radii sag/trans/long), used for both sexes. */
const DE_LEVA_SHAPE = {
  head: { com: 59.76, r: [36.2, 37.6, 31.2] }, // from vertex
  upperTrunk: { com: 29.99, r: [71.6, 45.4, 65.9] }, // from suprasternale
  middleTrunk: { com: 45.02, r: [48.2, 38.3, 46.8] }, // from xiphoid
  lowerTrunk: { com: 61.15, r: [61.5, 55.1, 58.7] }, // from omphalion
  upperArm: { com: 57.72, r: [28.5, 26.9, 15.8] },
  forearm: { com: 45.74, r: [27.6, 26.5, 12.1] },
  hand: { com: 79.00, r: [62.8, 51.3, 40.1] },
  thigh: { com: 40.95, r: [32.9, 32.9, 14.9] },
  shank: { com: 44.59, r: [25.5, 24.9, 10.3] },
  foot: { com: 44.15, r: [25.7, 24.5, 12.4] },
} as const;
type Part = keyof typeof DE_LEVA_SHAPE;

const scale = (v: Vec3, s: number): Vec3 => [v[0] * s, v[1] * s, v[2] * s];
const norm = (v: Vec3): number => Math.hypot(v[0], v[1], v[2]);

type FullProportions = Required<Proportions>;
type Sex = 'male' | 'female';
type Lengths = ReturnType<typeof segmentLengths>;

/**
 * Builds the humanoid for a subject of the given stature (default 1.70 m, T-pose rest).
 */
export function createSkeleton(options: SkeletonOptions = {}): Skeleton {
  const { H, p, sex, mass } = resolveSkeletonOptions(options);
  const len = segmentLengths(H, p);
  const joints = buildJoints(len);
  const segments = buildSegments(len, DE_LEVA[sex], mass, H);
  const landmarks = buildLandmarks(len, H, p);
  return { joints, segments, landmarks, height: len.stature, mass, rootHeight: len.rootHeight };
}

/** The options with their defaults, each checked to be in range (UserError otherwise). */
function resolveSkeletonOptions(options: SkeletonOptions): { H: number; p: FullProportions; sex: Sex; mass: number } {
  const H0 = options.height ?? SKELETON_DEFAULTS.height;
  if (!(H0 > 0.3 && H0 < 3)) throw new UserError(`skeleton height must be between 0.3 and 3 metres, got ${H0}`);
  const p = { arms: 1, legs: 1, trunk: 1, shoulderWidth: 1, hipWidth: 1, head: 1, ...(options.proportions ?? {}) };
  for (const [k, v] of Object.entries(p)) {
    if (!(v > 0.3 && v < 3)) throw new UserError(`skeleton proportion "${k}" must be between 0.3 and 3, got ${v}`);
  }
  const sex = options.sex ?? SKELETON_DEFAULTS.sex;
  const mass = options.mass ?? SKELETON_DEFAULTS.bmi * H0 * H0;
  if (!(mass > 1 && mass < 500)) throw new UserError(`skeleton mass must be between 1 and 500 kg, got ${mass}`);
  return { H: H0, p, sex, mass };
}

/** Bone lengths in metres (fractions of stature, see the header), the root height and the resulting stature. */
function segmentLengths(H: number, p: FullProportions) {
  const ankleH = 0.039 * H;
  const shank = 0.246 * H * p.legs;
  const thigh = 0.245 * H * p.legs;
  const hipHalf = 0.051 * H * p.hipWidth;
  const pelvisLen = 0.060 * H * p.trunk; // hip centre → lumbar joint
  const spineLen = 0.110 * H * p.trunk; // lumbar → thoracic joint
  const chestLen = 0.128 * H * p.trunk; // thoracic → neck base (C7)
  const shoulderUp = 0.118 * H * p.trunk; // thoracic joint → shoulder height
  const shoulderHalf = 0.106 * H * p.shoulderWidth;
  const neckLen = 0.072 * H * p.head;
  const headLen = 0.100 * H * p.head; // skull base → vertex
  const upperArm = 0.186 * H * p.arms;
  const forearm = 0.146 * H * p.arms;
  const hand = 0.108 * H * p.arms;
  const heelBack = 0.040 * H;
  const toeFront = 0.112 * H;
  const rootHeight = ankleH + shank + thigh;
  const stature = rootHeight + pelvisLen + spineLen + chestLen + neckLen + headLen;
  return {
    ankleH, shank, thigh, hipHalf, pelvisLen, spineLen, chestLen, shoulderUp, shoulderHalf,
    neckLen, headLen, upperArm, forearm, hand, heelBack, toeFront, rootHeight, stature,
  };
}

/** The 17 joints in JOINT_NAMES order: rest offsets, rotation axes and limits. */
function buildJoints(len: Lengths): JointDef[] {
  const { rootHeight, pelvisLen, spineLen, chestLen, neckLen, shoulderHalf, shoulderUp, upperArm, forearm, hipHalf, thigh, shank } = len;
  const joints: JointDef[] = [];
  const add = (name: JointName, parent: JointName | null, offset: Vec3, axes: Vec3[], limits: Array<[number, number]>): void => {
    const dof = (parent === null ? 6 : axes.length) as Dof;
    joints.push({ name, parent: parent === null ? -1 : JOINT_INDEX[parent], offset, dof, axes, limits });
  };
  // Rotation about +x tips +y towards +z: positive x = forward flexion of trunk / neck.
  add('pelvis', null, [0, rootHeight, 0], [], []);
  add('spine', 'pelvis', [0, pelvisLen, 0], [X, Y, Z], [[-0.5, 0.9], [-0.6, 0.6], [-0.5, 0.5]]);
  add('chest', 'spine', [0, spineLen, 0], [X, Y, Z], [[-0.4, 0.7], [-0.6, 0.6], [-0.4, 0.4]]);
  add('neck', 'chest', [0, chestLen, 0], [X, Y, Z], [[-0.6, 0.8], [-0.8, 0.8], [-0.5, 0.5]]);
  add('head', 'neck', [0, neckLen, 0], [X, Y, Z], [[-0.5, 0.6], [-0.6, 0.6], [-0.4, 0.4]]);
  for (const [side, s] of [['left', 1], ['right', -1]] as const) {
    // Shoulder: x = twist along the arm; y: rotation swinging the arm forward is −y (left) / +y (right);
    // z: +z raises the left arm, lowers the right one. Elbow flexes the forearm forwards (+z).
    add(`${side}_upper_arm`, 'chest', [s * shoulderHalf, shoulderUp, 0], [X, Y, Z],
      [[-1.6, 1.6], s > 0 ? [-2.4, 1.0] : [-1.0, 2.4], s > 0 ? [-1.8, 1.6] : [-1.6, 1.8]]);
    add(`${side}_forearm`, `${side}_upper_arm`, [s * upperArm, 0, 0], [s > 0 ? NY : Y], [[0, 2.6]]);
    add(`${side}_hand`, `${side}_forearm`, [s * forearm, 0, 0], [X, Y, Z],
      [[-1.6, 1.6], [-0.6, 0.6], [-1.3, 1.3]]);
  }
  for (const [side, s] of [['left', 1], ['right', -1]] as const) {
    // Hip: −x swings the leg forward (flexion); +z moves the left leg outwards (abduction), −z the right.
    add(`${side}_thigh`, 'pelvis', [s * hipHalf, 0, 0], [X, Y, Z],
      [[-2.3, 0.6], [-0.8, 0.8], s > 0 ? [-0.5, 1.0] : [-1.0, 0.5]]);
    add(`${side}_shin`, `${side}_thigh`, [0, -thigh, 0], [X], [[0, 2.6]]); // knee: +x bends the shin back
    add(`${side}_foot`, `${side}_shin`, [0, -shank, 0], [X, Y, Z], [[-0.9, 0.8], [-0.5, 0.5], [-0.5, 0.5]]);
  }
  return joints;
}

/** Collision capsule radius of each segment at the 1.70 m reference stature, metres. */
const SEGMENT_RADII: Record<JointName, number> = {
  pelvis: 0.075, spine: 0.075, chest: 0.085, neck: 0.035, head: 0.058,
  left_upper_arm: 0.030, left_forearm: 0.025, left_hand: 0.022,
  right_upper_arm: 0.030, right_forearm: 0.025, right_hand: 0.022,
  left_thigh: 0.050, left_shin: 0.038, left_foot: 0.030,
  right_thigh: 0.050, right_shin: 0.038, right_foot: 0.030,
};

/** Far end of each bone in its joint's frame: the child joint, or the tip (vertex, fingertips, toes). */
function boneEnds(len: Lengths): Record<JointName, Vec3> {
  const { pelvisLen, spineLen, chestLen, neckLen, headLen, upperArm, forearm, hand, thigh, shank, ankleH, toeFront } = len;
  return {
    pelvis: [0, pelvisLen, 0], spine: [0, spineLen, 0], chest: [0, chestLen, 0], neck: [0, neckLen, 0],
    head: [0, headLen, 0],
    left_upper_arm: [upperArm, 0, 0], left_forearm: [forearm, 0, 0], left_hand: [hand, 0, 0],
    right_upper_arm: [-upperArm, 0, 0], right_forearm: [-forearm, 0, 0], right_hand: [-hand, 0, 0],
    left_thigh: [0, -thigh, 0], left_shin: [0, -shank, 0], left_foot: [0, -ankleH, toeFront],
    right_thigh: [0, -thigh, 0], right_shin: [0, -shank, 0], right_foot: [0, -ankleH, toeFront],
  };
}

type SegmentSpec = { part: Part; massPct: number; comFromProximal: boolean; longAxis: 0 | 1 | 2 };

/** Which de Leva segment a bone takes, its mass %, where its COM is measured from and its long axis. */
function segmentSpec(name: JointName, m: (typeof DE_LEVA)[Sex]): SegmentSpec {
  if (name === 'pelvis') return { part: 'lowerTrunk', massPct: m.lowerTrunk.mass, comFromProximal: false, longAxis: 1 };
  if (name === 'spine') return { part: 'middleTrunk', massPct: m.middleTrunk.mass, comFromProximal: false, longAxis: 1 };
  if (name === 'chest') return { part: 'upperTrunk', massPct: m.upperTrunk.mass, comFromProximal: false, longAxis: 1 };
  if (name === 'neck') return { part: 'head', massPct: 0.2 * m.head.mass, comFromProximal: true, longAxis: 1 };
  if (name === 'head') return { part: 'head', massPct: 0.8 * m.head.mass, comFromProximal: false, longAxis: 1 };
  if (name.endsWith('upper_arm')) return { part: 'upperArm', massPct: m.upperArm.mass, comFromProximal: true, longAxis: 0 };
  if (name.endsWith('forearm')) return { part: 'forearm', massPct: m.forearm.mass, comFromProximal: true, longAxis: 0 };
  if (name.endsWith('hand')) return { part: 'hand', massPct: m.hand.mass, comFromProximal: true, longAxis: 0 };
  if (name.endsWith('thigh')) return { part: 'thigh', massPct: m.thigh.mass, comFromProximal: true, longAxis: 1 };
  if (name.endsWith('shin')) return { part: 'shank', massPct: m.shank.mass, comFromProximal: true, longAxis: 1 };
  return { part: 'foot', massPct: m.foot.mass, comFromProximal: true, longAxis: 2 };
}

/** Segments: bone end, mass properties (de Leva, mass table `m`), capsule radius. */
function buildSegments(len: Lengths, m: (typeof DE_LEVA)[Sex], mass: number, H: number): SegmentDef[] {
  const { ankleH, heelBack, toeFront } = len;
  const ends = boneEnds(len);
  return JOINT_NAMES.map((name) => {
    const end = ends[name];
    const length = norm(end);
    const sp = segmentSpec(name, m);
    const shape = DE_LEVA_SHAPE[sp.part];
    const segMass = (sp.massPct / 100) * mass;
    // Trunk and head fractions are measured from the cranial end (the far end of our bones, which point up).
    const f = sp.comFromProximal ? shape.com / 100 : 1 - shape.com / 100;
    let com = scale(end, f);
    if (name === 'left_foot' || name === 'right_foot') {
      // de Leva's foot runs heel → toe tip: place the COM along that line.
      const heel: Vec3 = [0, -ankleH, -heelBack];
      com = [0, -ankleH * 0.7, heel[2] + (toeFront + heelBack) * f];
    }
    const L = name.endsWith('foot') ? toeFront + heelBack : length;
    const [rs, rt, rl] = shape.r.map((r) => (r / 100) * L) as [number, number, number];
    // Sagittal radius: rotation about the mediolateral axis (x, or y for the arms lying along x).
    const inertia: Vec3 = sp.longAxis === 1
      ? [segMass * rs * rs, segMass * rl * rl, segMass * rt * rt]
      : sp.longAxis === 0
        ? [segMass * rl * rl, segMass * rs * rs, segMass * rt * rt]
        : [segMass * rs * rs, segMass * rt * rt, segMass * rl * rl];
    return { name, mass: segMass, com, inertia, end, length, radius: SEGMENT_RADII[name] * (H / 1.70) };
  });
}

const landmark = (name: string, joint: number, offset: Vec3): LandmarkDef => ({ name, joint, offset });

/** The 33 MediaPipe landmarks as points of the segments (T-pose, subject faces +z, left = +x), in MediaPipe order. */
function buildLandmarks(len: Lengths, H: number, p: FullProportions): LandmarkDef[] {
  const { ankleH, heelBack, toeFront } = len;
  const h = H * p.head;
  const J = JOINT_INDEX;
  const L = landmark;
  const head = J.head;
  const lm: Record<string, LandmarkDef> = {
    nose: L('nose', head, [0, 0.020 * h, 0.066 * h]),
    mouth_left: L('mouth_left', head, [0.015 * h, 0.003 * h, 0.058 * h]),
    mouth_right: L('mouth_right', head, [-0.015 * h, 0.003 * h, 0.058 * h]),
  };
  for (const [side, s] of [['left', 1], ['right', -1]] as const) {
    lm[`${side}_eye_inner`] = L(`${side}_eye_inner`, head, [s * 0.011 * h, 0.036 * h, 0.056 * h]);
    lm[`${side}_eye`] = L(`${side}_eye`, head, [s * 0.019 * h, 0.036 * h, 0.054 * h]);
    lm[`${side}_eye_outer`] = L(`${side}_eye_outer`, head, [s * 0.027 * h, 0.036 * h, 0.050 * h]);
    lm[`${side}_ear`] = L(`${side}_ear`, head, [s * 0.044 * h, 0.026 * h, 0.002 * h]);
    lm[`${side}_shoulder`] = L(`${side}_shoulder`, J[`${side}_upper_arm`], [0, 0, 0]);
    lm[`${side}_elbow`] = L(`${side}_elbow`, J[`${side}_forearm`], [0, 0, 0]);
    lm[`${side}_wrist`] = L(`${side}_wrist`, J[`${side}_hand`], [0, 0, 0]);
    // Palm down, thumb forward: knuckles of the index (front) and little finger (back), thumb tip.
    lm[`${side}_pinky`] = L(`${side}_pinky`, J[`${side}_hand`], [s * 0.048 * H * p.arms, -0.004 * H, -0.016 * H]);
    lm[`${side}_index`] = L(`${side}_index`, J[`${side}_hand`], [s * 0.056 * H * p.arms, -0.002 * H, 0.012 * H]);
    lm[`${side}_thumb`] = L(`${side}_thumb`, J[`${side}_hand`], [s * 0.034 * H * p.arms, -0.008 * H, 0.030 * H]);
    lm[`${side}_hip`] = L(`${side}_hip`, J[`${side}_thigh`], [0, 0, 0]);
    lm[`${side}_knee`] = L(`${side}_knee`, J[`${side}_shin`], [0, 0, 0]);
    lm[`${side}_ankle`] = L(`${side}_ankle`, J[`${side}_foot`], [0, 0, 0]);
    lm[`${side}_heel`] = L(`${side}_heel`, J[`${side}_foot`], [0, -ankleH + 0.009 * H, -heelBack]);
    lm[`${side}_foot_index`] = L(`${side}_foot_index`, J[`${side}_foot`], [0, -ankleH + 0.012 * H, toeFront]);
  }
  return MEDIAPIPE_33.map((n) => lm[n]!);
}

/** Number of entries of the packed angle vector (all rotational DoF except the root's). */
export function angleCount(skel: Skeleton): number {
  let n = 0;
  for (const j of skel.joints) if (j.parent >= 0) n += j.axes.length;
  return n;
}

/** Start index of each joint's angles in the packed angle vector (−1 for the root). */
export function angleOffsets(skel: Skeleton): number[] {
  let n = 0;
  return skel.joints.map((j) => {
    if (j.parent < 0) return -1;
    const o = n;
    n += j.axes.length;
    return o;
  });
}

/** Packed [min, max] per angle, in angle-vector order. */
export function angleLimits(skel: Skeleton): { lower: Float64Array; upper: Float64Array } {
  const n = angleCount(skel);
  const lower = new Float64Array(n);
  const upper = new Float64Array(n);
  let k = 0;
  for (const j of skel.joints) {
    if (j.parent < 0) continue;
    for (const [lo, hi] of j.limits) { lower[k] = lo; upper[k] = hi; k++; }
  }
  return { lower, upper };
}

/** The skeleton as stored in motion.json / truth.json (src/formats/skeleton.ts). */
export function skeletonDescription(skel: Skeleton): SkeletonDescription {
  return {
    joints: skel.joints.map((j) => ({
      name: j.name,
      parent: j.parent < 0 ? null : skel.joints[j.parent]!.name,
      offset: [j.offset[0], j.offset[1], j.offset[2]] as Vec3,
      dof: j.dof,
    })),
  };
}

/** Rest-pose (T-pose) world positions of every joint, feet on the ground. */
export function restJointPositions(skel: Skeleton): Vec3[] {
  const out: Vec3[] = [];
  for (const j of skel.joints) {
    const p = j.parent < 0 ? [0, 0, 0] : out[j.parent]!;
    out.push([p[0]! + j.offset[0], p[1]! + j.offset[1], p[2]! + j.offset[2]]);
  }
  return out;
}
