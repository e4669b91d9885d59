import { UserError } from '../errors.ts';
import { readJsonFile } from '../formats/io.ts';
import type { Quat, Vec3 } from '../geometry/quaternion.ts';
import {
  quatConjugate, quatFromAxisAngle, quatFromTo, quatMultiply, quatNormalize, quatRotate,
} from '../geometry/quaternion.ts';
import { type BvhClip, bvhFramePose, bvhRestPositions } from './bvh.ts';
import { forwardKinematics, segmentPoint, type WorldPose } from './fk.ts';
import { calibrateRigFrames, footRotation, type RigFrames } from './rig-frames.ts';
import { rigFamily, type RigFamily } from './rig-family.ts';
import { standingReference } from './rig-stance.ts';
import { leadingBindFrames } from './bind-frames.ts';
import { trunkLeans, type TrunkPoints, unleanTrunk } from './rig-trunk.ts';
import { GROUND_PERCENTILE, levelGround, lowestSolePoint, placeOnGround, solePoints } from './retarget-ground.ts';
import { add, alignTwo, centroid, cross, dot, len, mid, mul, sub, unit } from '../geometry/vec3.ts';
import { type Pose, samplePose } from './pose.ts';
import { createSkeleton, JOINT_INDEX, type Skeleton } from './skeleton.ts';

/**
 * Retargeting a BVH clip onto the project skeleton.
 *
 * 1. Joints are found by name (rig families below) or through a user joint map.
 * 2. BVH has no units and no fixed up axis: the up axis is the dominant axis of a standing pose's
 *    feet → head vector, and its height gives the rig's scale (reported as metres per file unit
 *    for a subject of the requested height). The standing pose is the zero pose when it stands,
 *    else the clip's most extended grounded frame (rig-stance.ts: CC_Base's zero pose has its
 *    legs up).
 * 3. Per frame, the project skeleton's world rotations are built top-down so that every
 *    project bone points along the corresponding source bone (segment directions are
 *    preserved exactly for limbs; the trunk and neck lose the forward lean their segments have in
 *    the rig's upright pose, rig-trunk.ts). Knee and elbow hinge axes are
 *    put perpendicular to the plane of the limb so they bend about their one DoF. The
 *    spine and chest joints sit at the same arc-length fractions of the source trunk
 *    polyline (pelvis → neck base) as in the project skeleton, so any number of source
 *    spine bones works. Landmarks without a joint (face, heel, toe tip) ride on frames read
 *    from the rig (rig-frames.ts): the head copies the source head's rotation in axes
 *    calibrated on the rig's zero pose or, where that pose is not the body's, on the motion;
 *    a foot's sole lies along the source ankle → toe line raised by the rig's flat-foot pitch,
 *    its left from the source foot's rotation. Hands point at the centre of the source fingers.
 * 4. Root translation is the source hip centre scaled by the ratio of leg lengths (hip
 *    height at rest), so steps match the subject's legs. A tilted capture floor is levelled
 *    (plane fitted to the lowest sole points), the ground is set at the level where feet
 *    stand flat (no frame sinks below y = 0), and the first frame's hip
 *    centre is put above the origin (retarget-ground.ts).
 * 5. Optional foot locking (lockFeet): where the source heel or toe is planted, a two-bone leg IK keeps
 *    our foot planted too (bone lengths differ, so direction-preserving retargeting alone makes
 *    planted feet slide, which a physics twin cannot follow); the corrections fade in and out.
 * 6. Poses are resampled to the requested fps (lerp of the root, slerp of rotations), from the
 *    first frame of the motion (a leading bind pose is skipped, bind-frames.ts).
 */

/** Source points the retargeting needs, named after the project joint placed there (plus tips). */
export const SOURCE_KEYS = [
  'left_thigh', 'right_thigh', 'left_shin', 'right_shin', 'left_foot', 'right_foot',
  'neck', 'head', 'left_upper_arm', 'right_upper_arm', 'left_forearm', 'right_forearm', 'left_hand', 'right_hand',
  // optional
  'left_toe', 'right_toe', 'head_top',
] as const;
export type SourceKey = (typeof SOURCE_KEYS)[number];
export { lowestSolePoint };
const OPTIONAL_KEYS: ReadonlySet<SourceKey> = new Set(['left_toe', 'right_toe', 'head_top']);

/**
 * Name candidates per key after normalisation (lower case, namespace `xxx:` and the
 * `CC_Base_` / `DEF-` prefixes removed). `{side}` = left/right, `{s}` = l/r.
 * First match wins, so more specific names come first (the cgspeed 3dsMax rig calls
 * the upper arm "LeftShoulder", the MotionBuilder / Mixamo rigs call the clavicle so).
 */
const NAME_CANDIDATES: Record<SourceKey, string[]> = {
  left_thigh: ['{side}_thigh', '{side}upleg', '{s}thighbend', '{s}thigh', '{s}_thigh', 'thigh.{s}', 'thigh_{s}', '{side}hip', '{side}upperleg', '{side}thigh'],
  left_shin: ['{side}_shin', '{side}leg', '{s}shin', '{s}_calf', 'shin.{s}', 'calf_{s}', '{side}knee', '{side}lowerleg', '{side}shin', '{side}calf'],
  left_foot: ['{side}_foot', '{side}foot', '{s}foot', '{s}_foot', 'foot.{s}', 'foot_{s}', '{side}ankle'],
  left_toe: ['{side}toebase', '{s}toe', '{s}_toebase', 'toe.{s}', 'toe_{s}', '{side}toe', '{side}toes'],
  neck: ['lowerneck', 'necklower', 'neck', 'necktwist01', 'neck_01', 'neck01', 'spine.004'],
  head: ['head', 'spine.006'],
  head_top: ['headtop_end', 'head_end', 'headtop', 'head_top', 'headend'],
  left_upper_arm: ['{side}_upper_arm', '{side}arm', '{s}shldrbend', '{s}shldr', '{s}_upperarm', 'upper_arm.{s}', 'upperarm_{s}', '{side}upperarm', '{side}shoulder'],
  left_forearm: ['{side}_forearm', '{side}forearm', '{s}forearmbend', '{s}forearm', '{s}_forearm', 'forearm.{s}', 'lowerarm_{s}', '{side}lowerarm', '{side}elbow'],
  left_hand: ['{side}_hand', '{side}hand', '{side}wrist', '{s}hand', '{s}_hand', 'hand.{s}', 'hand_{s}'],
  right_thigh: [], right_shin: [], right_foot: [], right_toe: [], right_upper_arm: [], right_forearm: [], right_hand: [],
};

function candidates(key: SourceKey): string[] {
  const side = key.startsWith('right_') ? 'right' : 'left';
  const base = (key.startsWith('right_') ? key.replace('right_', 'left_') : key) as SourceKey;
  return NAME_CANDIDATES[base].map((c) => c.replaceAll('{side}', side).replaceAll('{s}', side[0]!));
}

/** Normalised joint name for matching: lower case, no namespace, no CC_Base_ / DEF- prefix. */
export function normalizeJointName(name: string): string {
  let n = name.toLowerCase();
  const colon = n.lastIndexOf(':');
  if (colon >= 0) n = n.slice(colon + 1);
  for (const prefix of ['cc_base_', 'def-', 'def_']) if (n.startsWith(prefix)) n = n.slice(prefix.length);
  return n;
}

/** Index of every source key in `clip.joints` (−1 for a missing optional key). */
export type JointMapping = Record<SourceKey, number>;

/** Reads a `--joint-map` file: a JSON object { "source joint name": "project key" }. */
export function readJointMap(path: string): Record<string, string> {
  const value = readJsonFile(path);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UserError(`${path}: a joint map must be a JSON object { "source joint": "project joint" }`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string' || !(SOURCE_KEYS as readonly string[]).includes(v)) {
      throw new UserError(`${path}: "${k}" maps to ${JSON.stringify(v)}, expected one of ${SOURCE_KEYS.join(', ')}`);
    }
    out[k] = v;
  }
  return out;
}

/**
 * Finds the source joint of every key by name (rig families: CMU/cgspeed MotionBuilder and
 * 3dsMax, DAZ/Poser and Genesis, Mixamo, Character Creator/iClone CC_Base_, Blender Rigify DEF-),
 * then applies the user's joint map on top. Extra bones (fingers, twist, face) are ignored.
 */
export function mapBvhJoints(clip: BvhClip, jointMap: Record<string, string> = {}): JointMapping {
  const byNormalized = new Map<string, number>();
  clip.joints.forEach((j, i) => {
    if (j.endSite) return;
    const n = normalizeJointName(j.name);
    if (!byNormalized.has(n)) byNormalized.set(n, i);
  });
  const mapping = {} as JointMapping;
  for (const key of SOURCE_KEYS) {
    mapping[key] = -1;
    if (key === 'head_top') continue;
    for (const c of candidates(key)) {
      const i = byNormalized.get(c);
      if (i !== undefined) { mapping[key] = i; break; }
    }
  }
  for (const [name, key] of Object.entries(jointMap)) {
    const i = clip.joints.findIndex((j) => j.name === name);
    if (i < 0) throw new UserError(`${clip.source}: joint map names "${name}", which is not a joint of this file`);
    mapping[key as SourceKey] = i;
  }
  // Head top: a mapped joint, an End Site or a "top" child of the head.
  if (mapping.head_top < 0 && mapping.head >= 0) {
    const kids = clip.joints.map((j, i) => ({ j, i })).filter(({ j }) => j.parent === mapping.head);
    const top = kids.find(({ j }) => candidates('head_top').includes(normalizeJointName(j.name))) ?? (kids.length === 1 && kids[0]!.j.endSite ? kids[0] : undefined);
    if (top) mapping.head_top = top.i;
  }
  // Toes: the first child of the foot (joint or End Site) when no toe joint is named.
  for (const side of ['left', 'right'] as const) {
    const toe = `${side}_toe` as const;
    const foot = mapping[`${side}_foot`];
    if (mapping[toe] < 0 && foot >= 0) mapping[toe] = clip.joints.findIndex((j) => j.parent === foot);
  }
  const missing = SOURCE_KEYS.filter((k) => !OPTIONAL_KEYS.has(k) && mapping[k] < 0);
  if (missing.length) {
    throw new UserError(`${clip.source}:${clip.joints[0]!.line}: unknown joint layout: no joint found for ${missing.join(', ')} ` +
      `(joints: ${clip.joints.filter((j) => !j.endSite).map((j) => j.name).slice(0, 40).join(', ')}); ` +
      'pass --joint-map FILE with { "source joint": "project joint" }');
  }
  return mapping;
}

export interface RetargetOptions {
  /** Subject stature in metres. */
  height?: number;
  /** Output frame rate; default: the clip's own. */
  fps?: number;
  /** Keep only the first `seconds` of the clip. */
  seconds?: number;
  /** Extra name → key pairs (see readJointMap). */
  jointMap?: Record<string, string>;
  /**
   * Keep planted source feet planted (leg IK on contact frames; default off = pure direction
   * retargeting). Measured with bench:physics: it removes most sliding of planted feet (walk
   * 4.8 → 2.2 mm per 30 fps frame) but does not improve tracking (walk 26 → 37 mm with residuals).
   */
  footLock?: boolean | Partial<FootLockOptions>;
}

export const RETARGET_DEFAULTS = {
  height: 1.70,
};


export interface RetargetResult {
  skeleton: Skeleton;
  poses: Pose[];
  fps: number;
  sourceFps: number;
  /** Metres per file unit that make the rig's rest pose as tall as the subject. */
  metresPerUnit: number;
  /** Scale applied to the root translation (subject hip height / rig hip height). */
  rootScale: number;
  /** Up axis detected in the file, e.g. "+y". */
  upAxis: string;
  /** Rotation (after the up-axis change) that levelled a tilted capture floor; identity when level. */
  groundRotation: Quat;
  mapping: Record<SourceKey, string | null>;
  /** Per output frame, [left, right] weight of the foot-lock leg correction (0 = legs as retargeted, 1 = locked). */
  footLock: Array<[number, number]>;
  /** Rig family by joint names (for reports; the retargeting does not branch on it). */
  rigFamily: RigFamily;
  /** Head and foot frames as read from the rig. */
  rigFrames: RigFrames;
  /** Leading bind-pose frames of the clip that were skipped (output frame 0 = source frame bindFrames). */
  bindFrames: number;
  /** Per output frame, the source's [left, right] ankle and toe joints (subject metres, levelled; horizontal origin arbitrary). */
  sourceFeet: SourceFootFrame[];
}

/** One frame of the source's feet: [left, right]. */
export type SourceFootFrame = [{ ankle: Vec3; toe: Vec3 | null }, { ankle: Vec3; toe: Vec3 | null }];

/** Body points of one source frame in the y-up frame (file units), keyed like SourceKey. */
export interface SourceBody {
  points: Record<SourceKey | 'pelvis' | 'spine' | 'chest' | 'left_hand_end' | 'right_hand_end', Vec3 | null>;
  /** Source world rotations (y-up frame) of the head and feet, for the rest-relative copy. */
  rotations: { head: Quat; left_foot: Quat; right_foot: Quat };
}

interface Prepared {
  clip: BvhClip;
  mapping: JointMapping;
  /** File frame → y-up frame. */
  up: Quat;
  upAxis: string;
  /** Rest-pose heading correction: project canonical frame → source rest frame. */
  headingInv: Quat;
  trunkChain: number[];
  handEnds: { left: number[]; right: number[] };
  restHeight: number;
  restHipHeight: number;
  /** Local frames of the head and feet, read from the rig (rig-frames.ts). */
  frames: RigFrames;
  /** Forward lean (rad) of the trunk segments in the rig's upright pose (rig-trunk.ts). */
  trunkLeans: number[];
}

function ancestors(clip: BvhClip, i: number): number[] {
  const out: number[] = [];
  for (let j = i; j >= 0; j = clip.joints[j]!.parent) out.push(j);
  return out;
}

function descendants(clip: BvhClip, i: number): number[] {
  const out: number[] = [];
  clip.joints.forEach((j, k) => {
    if (k !== i && ancestors(clip, k).includes(i)) out.push(k);
  });
  return out;
}

function prepare(clip: BvhClip, mapping: JointMapping, skel: Skeleton): Prepared {
  const rest = bvhRestPositions(clip);
  const m = mapping;
  // Up axis and size from a standing pose: the zero pose when it stands, else a frame (rig-stance.ts).
  const ref = standingReference(clip, m);
  const P = (k: SourceKey): Vec3 => ref.positions[m[k]]!;
  const up = quatFromTo(ref.axis, [0, 1, 0]);
  const axis = ref.axis.findIndex((v) => v !== 0);
  const upAxis = `${ref.axis[axis]! > 0 ? '+' : '-'}${'xyz'[axis]}`;
  const R = (p: Vec3): Vec3 => quatRotate(up, p);

  // Heading of the zero pose (the frame of the joints' local axes): its hip line is the project's left (+x).
  const left = R(sub(rest[m.left_thigh]!, rest[m.right_thigh]!));
  const leftFlat: Vec3 = Math.hypot(left[0], left[2]) > 1e-9 ? unit([left[0], 0, left[2]]) : [1, 0, 0];
  const headingInv = quatFromTo([1, 0, 0], leftFlat);

  // Trunk: from the common ancestor of neck and hips down to the neck joint.
  const neckAnc = ancestors(clip, m.neck).reverse();
  const hipAnc = new Set(ancestors(clip, m.left_thigh));
  const start = neckAnc.findIndex((j) => !hipAnc.has(j));
  const trunkChain = neckAnc.slice(Math.max(0, start - 1));

  const handEnd = (k: SourceKey): number[] => descendants(clip, m[k]).filter((i) => !/thumb/i.test(clip.joints[i]!.name));

  // Height of the standing pose, along up: top of head (or head joint scaled like the project's) above the lowest joint.
  const heights = ref.positions.map((p) => R(p)[1]);
  const floor = Math.min(...heights);
  const projRest = restHeights(skel);
  const restHeight = m.head_top >= 0
    ? R(P('head_top'))[1] - floor
    : (R(P('head'))[1] - floor) * (skel.height / projRest.head);
  const restHipHeight = R(mid(P('left_thigh'), P('right_thigh')))[1] - floor;
  if (!(restHeight > 0) || !(restHipHeight > 0)) {
    throw new UserError(`${clip.source}:${clip.joints[0]!.line}: unknown joint layout: the rest pose does not stand upright (head not above the feet)`);
  }
  const frames = calibrateRigFrames(clip, { ...m }, up, headingInv);
  // The trunk's upright pose: the zero pose when its upper body stands (head above hips), else the standing frame.
  const zeroUpright = R(rest[m.head]!)[1] > R(mid(rest[m.left_thigh]!, rest[m.right_thigh]!))[1];
  const uprightPose = zeroUpright ? rest : ref.positions;
  const trunkLeansAtRest = trunkLeans(trunkPoints((i) => R(uprightPose[i]!), m, trunkChain, skel));
  return {
    clip, mapping, up, upAxis, headingInv, trunkChain, handEnds: { left: handEnd('left_hand'), right: handEnd('right_hand') },
    restHeight, restHipHeight, frames, trunkLeans: trunkLeansAtRest,
  };
}

function restHeights(skel: Skeleton): { head: number } {
  let y = 0;
  for (let j = JOINT_INDEX.head; j >= 0; j = skel.joints[j]!.parent) y += skel.joints[j]!.offset[1];
  return { head: y };
}

/** Point at arc-length fraction t along a polyline. */
function alongPolyline(points: Vec3[], t: number): Vec3 {
  const lengths = points.slice(1).map((p, i) => len(sub(p, points[i]!)));
  const total = lengths.reduce((a, b) => a + b, 0);
  let target = t * total;
  for (let i = 0; i < lengths.length; i++) {
    if (target <= lengths[i]! || i === lengths.length - 1) {
      const f = lengths[i]! > 0 ? Math.min(1, target / lengths[i]!) : 0;
      return add(points[i]!, mul(sub(points[i + 1]!, points[i]!), f));
    }
    target -= lengths[i]!;
  }
  return points[points.length - 1]!;
}

/** The source body at one frame, rotated to y up (file units). */
/** Trunk points of one pose: the polyline pelvis → neck sampled where the project's spine and chest joints sit. */
function trunkPoints(P: (i: number) => Vec3, m: JointMapping, trunkChain: number[], skel: Skeleton): TrunkPoints {
  const pelvis = mid(P(m.left_thigh), P(m.right_thigh));
  const trunk = [pelvis, ...trunkChain.map(P)];
  const J = skel.joints;
  const pl = J[JOINT_INDEX.spine]!.offset[1];
  const sl = J[JOINT_INDEX.chest]!.offset[1];
  const cl = J[JOINT_INDEX.neck]!.offset[1];
  const total = pl + sl + cl;
  return {
    pelvis, spine: alongPolyline(trunk, pl / total), chest: alongPolyline(trunk, (pl + sl) / total), neck: P(m.neck), head: P(m.head),
    left_thigh: P(m.left_thigh), right_thigh: P(m.right_thigh), left_upper_arm: P(m.left_upper_arm), right_upper_arm: P(m.right_upper_arm),
  };
}

/** The source body at one frame, rotated to y up (file units), its trunk's rest leans taken off (rig-trunk.ts). */
export function sourceBody(prep: Prepared, skel: Skeleton, frame: number): SourceBody {
  const { clip, mapping: m, up } = prep;
  const fp = bvhFramePose(clip, frame);
  const P = (i: number): Vec3 => quatRotate(up, fp.positions[i]!);
  const Q = (i: number): Quat => quatMultiply(quatMultiply(up, fp.rotations[i]!), quatConjugate(up));
  const pt = (k: SourceKey): Vec3 | null => (m[k] >= 0 ? P(m[k]) : null);
  const points = {
    left_hand_end: prep.handEnds.left.length ? centroid(prep.handEnds.left.map(P)) : null,
    right_hand_end: prep.handEnds.right.length ? centroid(prep.handEnds.right.map(P)) : null,
  } as SourceBody['points'];
  for (const k of SOURCE_KEYS) points[k] = pt(k);
  Object.assign(points, unleanTrunk(trunkPoints(P, m, prep.trunkChain, skel), prep.trunkLeans));
  return { points, rotations: { head: Q(m.head), left_foot: Q(m.left_foot), right_foot: Q(m.right_foot) } };
}

/**
 * One project pose (root at the source hip centre, file units × rootScale) whose bones
 * point along the source bones.
 */
function poseFromSource(skel: Skeleton, body: SourceBody, frames: RigFrames, rootScale: number): Pose {
  const J = skel.joints;
  const I = JOINT_INDEX;
  const pts = body.points;
  const n = J.length;
  const W: Quat[] = new Array(n);
  const dir = (from: Vec3 | null, to: Vec3 | null): Vec3 | null => (from && to && len(sub(to, from)) > 1e-9 ? sub(to, from) : null);

  // Pelvis: its bone (to the lumbar joint) exactly along the source, the hip line as the second axis.
  const across = sub(pts.left_thigh!, pts.right_thigh!);
  W[I.pelvis] = alignTwo(J[I.spine]!.offset, sub(J[I.left_thigh]!.offset, J[I.right_thigh]!.offset), dir(pts.pelvis, pts.spine) ?? [0, 1, 0], across);

  const parentW = (j: number): Quat => W[J[j]!.parent]!;
  /** Minimal rotation after the parent's that turns rest vector `o` (joint frame) onto world `d`. */
  const swing = (j: number, o: Vec3, d: Vec3 | null): Quat => {
    const pw = parentW(j);
    if (!d) return pw;
    return quatNormalize(quatMultiply(quatFromTo(quatRotate(pw, o), d), pw));
  };
  /** A limb root whose child is a hinge: bone along d, hinge axis normal to the limb plane. */
  const hingeParent = (j: number, child: number, d: Vec3 | null, dNext: Vec3 | null): Quat => {
    const o = J[child]!.offset;
    const axis = J[child]!.axes[0]!;
    const sw = swing(j, o, d);
    if (!d || !dNext) return sw;
    const fallback = quatRotate(sw, axis);
    // cross(d, dNext) has length sin(bend). Below ~20° of bend the plane is ill-defined, so the
    // swing's twist is blended in (fully when straight); above, the hinge axis is exact.
    const bendNormal = cross(unit(d), unit(dNext));
    const w = 0.1 * Math.max(0, 1 - len(bendNormal) / 0.35) ** 2;
    const normal = add(bendNormal, mul(fallback, w));
    return alignTwo(o, axis, d, normal);
  };

  W[I.spine] = swing(I.spine, J[I.chest]!.offset, dir(pts.spine, pts.chest));
  W[I.chest] = alignTwo(J[I.neck]!.offset, sub(J[I.left_upper_arm]!.offset, J[I.right_upper_arm]!.offset),
    dir(pts.chest, pts.neck) ?? quatRotate(W[I.spine]!, [0, 1, 0]), sub(pts.left_upper_arm!, pts.right_upper_arm!));
  W[I.neck] = swing(I.neck, J[I.head]!.offset, dir(pts.neck, pts.head));
  // Head: the source joint's rotation, in the project's canonical axes as read from the rig.
  W[I.head] = quatNormalize(quatMultiply(body.rotations.head, frames.canonical.head));
  for (const side of ['left', 'right'] as const) {
    const ua = I[`${side}_upper_arm`];
    const fa = I[`${side}_forearm`];
    const hd = I[`${side}_hand`];
    W[ua] = hingeParent(ua, fa, dir(pts[`${side}_upper_arm`], pts[`${side}_forearm`]), dir(pts[`${side}_forearm`], pts[`${side}_hand`]));
    W[fa] = swing(fa, J[hd]!.offset, dir(pts[`${side}_forearm`], pts[`${side}_hand`]));
    W[hd] = swing(hd, skel.segments[hd]!.end, dir(pts[`${side}_hand`], pts[`${side}_hand_end`]));
    const th = I[`${side}_thigh`];
    const sh = I[`${side}_shin`];
    const ft = I[`${side}_foot`];
    W[th] = hingeParent(th, sh, dir(pts[`${side}_thigh`], pts[`${side}_shin`]), dir(pts[`${side}_shin`], pts[`${side}_foot`]));
    W[sh] = swing(sh, J[ft]!.offset, dir(pts[`${side}_shin`], pts[`${side}_foot`]));
    // Foot: sole along the source ankle → toe line (raised by the rig's flat-foot pitch), left from the foot's rotation.
    const footW = quatNormalize(quatMultiply(body.rotations[`${side}_foot`], frames.canonical[`${side}_foot`]));
    const toe = pts[`${side}_toe`];
    W[ft] = (toe && frames.footPitch ? footRotation(pts[`${side}_foot`]!, toe, quatRotate(footW, [1, 0, 0]), frames.footPitch[side]) : null) ?? footW;
  }

  const rotations: Quat[] = J.map((j, i) => (j.parent < 0 ? [0, 0, 0, 1] : quatNormalize(quatMultiply(quatConjugate(W[j.parent]!), W[i]!))));
  return { rootPosition: mul(pts.pelvis!, rootScale), rootRotation: W[I.pelvis]!, rotations };
}

/** Foot locking: what counts as a planted source foot, and how corrections fade in and out. */
export interface FootLockOptions {
  /** A source heel (ankle) or toe point is in contact below this height above its floor, m (subject scale). */
  contactHeight: number;
  /** … and slower than this horizontal speed, m/s. */
  contactSpeed: number;
  /** Corrections fade to zero over this time before and after a contact, s. */
  blendTime: number;
}

export const FOOT_LOCK_DEFAULTS: FootLockOptions = { contactHeight: 0.025, contactSpeed: 0.2, blendTime: 0.15 };

/** Source foot points of one frame relative to the source hip centre, file units (y up). */
interface SourceFeet { ankle: [Vec3, Vec3]; toe: [Vec3 | null, Vec3 | null] }

/**
 * Per frame and foot: is the source heel (ankle joint) / toe planted? Heights are measured above
 * each point's own floor (5th percentile over the clip), in subject metres (file units × rootScale);
 * speeds are horizontal central differences over ±2 frames.
 */
interface SourceContacts {
  /** Per frame and foot (left, right): heel / toe planted. */
  planted: Array<[{ heel: boolean; toe: boolean }, { heel: boolean; toe: boolean }]>;
  /** Per foot, per frame: the source ankle in subject metres (scaled, levelled; translation arbitrary). */
  ankles: [Vec3[], Vec3[]];
  /** Per foot, per frame: how far (0–1 of contactHeight) the lower planted source point is above its floor. */
  lift: [number[], number[]];
}

function sourceContacts(feet: SourceFeet[], fps: number, scale: number, level: Quat, o: FootLockOptions): SourceContacts {
  const n = feet.length;
  const world = (p: Vec3): Vec3 => quatRotate(level, mul(p, scale));
  const track = (get: (f: SourceFeet) => Vec3 | null): Array<Vec3 | null> => feet.map((f) => { const p = get(f); return p ? world(p) : null; });
  const floorOf = (ps: Array<Vec3 | null>): number => {
    const ys = ps.filter((p): p is Vec3 => p !== null).map((p) => p[1]).sort((a, b) => a - b);
    return ys.length ? ys[Math.floor(GROUND_PERCENTILE * (ys.length - 1))]! : 0;
  };
  const flags = (ps: Array<Vec3 | null>, floor: number): boolean[] => ps.map((p, k) => {
    if (!p) return false;
    const a = ps[Math.max(0, k - 2)], b = ps[Math.min(n - 1, k + 2)];
    const span = Math.min(n - 1, k + 2) - Math.max(0, k - 2);
    const speed = a && b && span > 0 ? Math.hypot(b[0] - a[0], b[2] - a[2]) * fps / span : 0;
    return p[1] - floor < o.contactHeight && speed < o.contactSpeed;
  });
  const ankleFloor = floorOf([...track((f) => f.ankle[0]), ...track((f) => f.ankle[1])]);
  const toeFloor = floorOf([...track((f) => f.toe[0]), ...track((f) => f.toe[1])]);
  const sides = [0, 1].map((s) => {
    const ankle = track((f) => f.ankle[s]!);
    const toe = track((f) => f.toe[s] ?? null);
    const heel = flags(ankle, ankleFloor), toeOn = flags(toe, toeFloor);
    const lift = ankle.map((p, k) => Math.min(1,
      heel[k] ? (p![1] - ankleFloor) / o.contactHeight : 1,
      toeOn[k] && toe[k] ? (toe[k]![1] - toeFloor) / o.contactHeight : 1));
    return { heel, toe: toeOn, lift: lift.map((x) => Math.max(0, x)) };
  });
  const planted = Array.from({ length: n }, (_, k): SourceContacts['planted'][number] => [
    { heel: sides[0]!.heel[k]!, toe: sides[0]!.toe[k]! },
    { heel: sides[1]!.heel[k]!, toe: sides[1]!.toe[k]! },
  ]);
  return { planted, ankles: [track((f) => f.ankle[0]) as Vec3[], track((f) => f.ankle[1]) as Vec3[]], lift: [sides[0]!.lift, sides[1]!.lift] };
}

/**
 * Rotates a leg (thigh and knee hinge) so that its ankle reaches `target`, keeping the hip where
 * it is, the knee in the leg's current bending plane as far as the target allows, and the foot's
 * world rotation. Returns the new local rotations of thigh, shin and foot.
 */
function legIk(skel: Skeleton, side: 'left' | 'right', world: WorldPose, target: Vec3): { thigh: Quat; shin: Quat; foot: Quat } {
  const J = skel.joints;
  const th = JOINT_INDEX[`${side}_thigh`], sh = JOINT_INDEX[`${side}_shin`], ft = JOINT_INDEX[`${side}_foot`];
  const L1 = len(J[sh]!.offset), L2 = len(J[ft]!.offset);
  const hip = world.positions[th]!, knee = world.positions[sh]!;
  const axis = J[sh]!.axes[0]!;
  const toTarget = sub(target, hip);
  const d = Math.min(L1 + L2 - 1e-6, Math.max(Math.abs(L1 - L2) + 1e-6, len(toTarget)));
  const u = unit(toTarget);
  // Bending plane: the current knee axis made perpendicular to the hip → target line.
  const n0 = quatRotate(world.rotations[th]!, axis);
  let n = sub(n0, mul(u, dot(n0, u)));
  if (len(n) < 1e-6) n = cross(u, [0, 0, 1]);
  n = unit(n);
  // Knee side: the knee flexes about +axis (shin back), so the knee lies along cross(n, u)… or its opposite.
  const side1 = unit(cross(u, n));
  const kneeOff = sub(sub(knee, hip), mul(u, dot(sub(knee, hip), u)));
  const v = dot(kneeOff, side1) >= 0 ? side1 : mul(side1, -1);
  const cosA = (L1 * L1 + d * d - L2 * L2) / (2 * L1 * d);
  const sinA = Math.sqrt(Math.max(0, 1 - cosA * cosA));
  const newKnee = add(hip, add(mul(u, L1 * cosA), mul(v, L1 * sinA)));
  const ankle = add(hip, mul(u, d));
  const Wth = alignTwo(J[sh]!.offset, axis, sub(newKnee, hip), n);
  // Knee angle: rotation about the hinge axis taking the rest shin onto the new shin direction.
  const local = quatRotate(quatConjugate(Wth), sub(ankle, newKnee));
  const o = J[ft]!.offset;
  const perp = (a: Vec3): Vec3 => sub(a, mul(axis, dot(a, axis)));
  const a0 = perp(o), a1 = perp(local);
  const theta = Math.atan2(dot(axis, cross(a0, a1)), dot(a0, a1));
  const shinLocal = quatFromAxisAngle(axis, theta);
  const Wsh = quatMultiply(Wth, shinLocal);
  const parentW = world.rotations[J[th]!.parent]!;
  return {
    thigh: quatNormalize(quatMultiply(quatConjugate(parentW), Wth)),
    shin: shinLocal,
    foot: quatNormalize(quatMultiply(quatConjugate(Wsh), world.rotations[ft]!)),
  };
}

/**
 * Keeps planted source feet planted on the project skeleton. Direction-preserving retargeting
 * changes bone lengths, so a source foot that stands still slides on our legs (1 cm per frame and
 * more in a walk), which friction cannot reproduce. On frames where the source heel or toe is
 * planted, our ankle moves horizontally exactly as the (scaled) source ankle does — with the foot
 * rotation copied from the source, the heel, toe or ball it rolls on then stays put as in the
 * source — and the lowest sole point sits on the ground; a two-bone IK (hip fixed, foot rotation
 * kept) bends the leg to put the ankle there. The correction fades out over `blendTime` before
 * and after each contact. Returns the per-frame correction weights (1 = locked) per foot.
 */
function lockFeet(skel: Skeleton, poses: Pose[], contacts: SourceContacts, fps: number, o: FootLockOptions): Array<[number, number]> {
  const n = poses.length;
  const worlds = poses.map((p) => forwardKinematics(skel, p));
  const weights: Array<[number, number]> = poses.map(() => [0, 0]);
  const blendFrames = Math.max(1, o.blendTime * fps);
  const fade = (frames: number): number => (frames >= blendFrames ? 0 : 0.5 * (1 + Math.cos((Math.PI * frames) / blendFrames)));
  const deltas: Vec3[][] = [[], []];
  (['left', 'right'] as const).forEach((side, s) => {
    const ft = JOINT_INDEX[`${side}_foot`];
    const sole = solePoints(skel, side);
    const delta: Array<Vec3 | null> = new Array(n).fill(null);
    let prevTarget: Vec3 | null = null;
    const src = contacts.ankles[s]!;
    for (let k = 0; k < n; k++) {
      const c = contacts.planted[k]![s]!;
      const R = worlds[k]!.rotations[ft]!;
      const A = worlds[k]!.positions[ft]!;
      if (!c.heel && !c.toe) { prevTarget = null; continue; }
      // Horizontally, the ankle follows the source ankle's own motion from where it was.
      const step = prevTarget ? sub(src[k]!, src[k - 1]!) : null;
      const xz: Vec3 = prevTarget && step ? add(prevTarget, step) : A;
      // Vertically, the lowest sole point on the ground — fully when the source point is on its
      // floor, fading out as it rises to contactHeight (lift-off and touch-down stay smooth).
      const ground = A[1] - Math.min(A[1] + quatRotate(R, sole.heel)[1], A[1] + quatRotate(R, sole.toe)[1]);
      const w = 1 - contacts.lift[s]![k]!;
      const target: Vec3 = [xz[0], A[1] + w * (ground - A[1]), xz[2]];
      delta[k] = sub(target, A);
      prevTarget = target;
    }
    // Fade the corrections in before and out after each contact.
    const out: Vec3[] = new Array(n);
    let last = -1;
    for (let k = 0; k < n; k++) {
      if (delta[k]) { out[k] = delta[k]!; weights[k]![s] = 1; last = k; continue; }
      let next = k + 1;
      while (next < n && !delta[next]) next++;
      const a = last >= 0 ? fade(k - last) : 0;
      const b = next < n ? fade(next - k) : 0;
      out[k] = add(a ? mul(delta[last]!, a) : [0, 0, 0], b ? mul(delta[next]!, b) : [0, 0, 0]);
      weights[k]![s] = Math.max(a, b);
    }
    deltas[s] = out;
  });
  poses.forEach((p, k) => {
    const targets = deltas.map((d, s) => add(worlds[k]!.positions[JOINT_INDEX[s ? 'right_foot' : 'left_foot']]!, d[k]!));
    const solve = (): number[] => {
      const world = forwardKinematics(skel, p);
      const rotations = [...p.rotations];
      const shortfall = [Infinity, Infinity];
      (['left', 'right'] as const).forEach((side, s) => {
        if (len(deltas[s]![k]!) < 1e-9) return;
        const ft = JOINT_INDEX[`${side}_foot`];
        const r = legIk(skel, side, world, targets[s]!);
        rotations[JOINT_INDEX[`${side}_thigh`]] = r.thigh;
        rotations[JOINT_INDEX[`${side}_shin`]] = r.shin;
        rotations[ft] = r.foot;
        shortfall[s] = weights[k]![s]! > 0 ? 0 : Infinity;
        const reached = forwardKinematics(skel, { ...p, rotations }).positions[ft]!;
        if (weights[k]![s]! > 0) shortfall[s] = reached[1] - targets[s]![1];
      });
      p.rotations = rotations;
      return shortfall;
    };
    // A straight leg cannot reach a lower foot target: lower the hips until the feet reach.
    const shortfall = Math.min(...solve());
    if (Number.isFinite(shortfall) && shortfall > 1e-4) {
      p.rootPosition = [p.rootPosition[0], p.rootPosition[1] - shortfall, p.rootPosition[2]];
      solve();
    }
    // IK cannot always reach (straight legs): never let a foot sink.
    const low = lowestSolePoint(skel, p);
    if (low < 0) p.rootPosition = [p.rootPosition[0], p.rootPosition[1] - low, p.rootPosition[2]];
  });
  return weights;
}

/**
 * Foot sliding of a motion: mean horizontal displacement per frame (m) of the heel and toe sole
 * points that are within `height` of the ground on both frames (what friction must hold). With
 * `planted` (per frame, [left, right], e.g. RetargetResult.footLock === 1) only feet planted on
 * both frames count.
 */
export function footSliding(skel: Skeleton, poses: Pose[], height = 0.04, planted?: Array<[boolean, boolean]>): number {
  let sum = 0, count = 0;
  let prev: Vec3[] | null = null;
  poses.forEach((p, k) => {
    const world = forwardKinematics(skel, p);
    const pts: Vec3[] = [];
    for (const side of ['left', 'right'] as const) {
      const sole = solePoints(skel, side);
      pts.push(segmentPoint(world, JOINT_INDEX[`${side}_foot`], sole.heel), segmentPoint(world, JOINT_INDEX[`${side}_foot`], sole.toe));
    }
    if (prev) pts.forEach((q, i) => {
      const a = prev![i]!;
      const s = i >> 1;
      if (planted && !(planted[k - 1]![s] && planted[k]![s])) return;
      if (a[1] < height && q[1] < height) { sum += Math.hypot(q[0] - a[0], q[2] - a[2]); count++; }
    });
    prev = pts;
  });
  return count ? sum / count : 0;
}

/** Retargets a parsed BVH clip onto a project skeleton of the requested height. */
export function retargetBvh(clip: BvhClip, options: RetargetOptions = {}): RetargetResult {
  const height = options.height ?? RETARGET_DEFAULTS.height;
  const skel = createSkeleton({ height });
  const mapping = mapBvhJoints(clip, options.jointMap);
  const prep = prepare(clip, mapping, skel);
  const sourceFps = 1 / clip.frameTime;
  const fps = options.fps ?? sourceFps;
  if (!(fps > 0)) throw new UserError(`fps must be positive, got ${fps}`);
  // A leading bind pose is not part of the motion (bind-frames.ts).
  const bindFrames = leadingBindFrames(clip);
  const duration = Math.min((clip.frameCount - 1 - bindFrames) / sourceFps, options.seconds ?? Infinity);
  if (!(duration >= 0)) throw new UserError(`seconds must be positive, got ${options.seconds}`);
  const lastSource = Math.min(clip.frameCount - 1 - bindFrames, Math.ceil(duration * sourceFps + 1e-9));

  const rootScale = skel.rootHeight / prep.restHipHeight;
  const source: Pose[] = [];
  const feet: SourceFeet[] = [];
  for (let f = 0; f <= lastSource; f++) {
    const body = sourceBody(prep, skel, f + bindFrames);
    const b = body.points;
    feet.push({ ankle: [b.left_foot!, b.right_foot!], toe: [b.left_toe, b.right_toe] });
    source.push(poseFromSource(skel, body, prep.frames, rootScale));
  }
  const groundRotation = levelGround(skel, source);
  placeOnGround(skel, source, sourceFps);
  let lockWeights: Array<[number, number]> = source.map(() => [0, 0]);
  if (options.footLock) {
    const lo: FootLockOptions = { ...FOOT_LOCK_DEFAULTS, ...(typeof options.footLock === 'object' ? options.footLock : {}) };
    lockWeights = lockFeet(skel, source, sourceContacts(feet, sourceFps, rootScale, groundRotation, lo), sourceFps, lo);
  }

  // Frame times in BVH files are rounded (".0083333"): allow a hundredth of a frame.
  const count = Math.floor(duration * fps + 0.01) + 1;
  const poses: Pose[] = [];
  for (let k = 0; k < count; k++) poses.push(samplePose(source, sourceFps, k / fps));
  // An output frame is as corrected as the more corrected of the source frames it blends.
  // The source's own feet at the output frames (subject metres, levelled): what a check compares the truth's feet with.
  const world = (q: Vec3): Vec3 => quatRotate(groundRotation, mul(q, rootScale));
  const lerp = (a: Vec3, b: Vec3, t: number): Vec3 => add(a, mul(sub(b, a), t));
  const sourceFeet = poses.map((_, k): SourceFootFrame => {
    const t = Math.min(feet.length - 1, (k / fps) * sourceFps);
    const i = Math.floor(t), j = Math.min(feet.length - 1, i + 1), w = t - i;
    const at = (get: (f: SourceFeet) => Vec3 | null): Vec3 | null => {
      const a = get(feet[i]!), b = get(feet[j]!);
      return a && b ? world(lerp(a, b, w)) : null;
    };
    return [0, 1].map((side) => ({ ankle: at((f) => f.ankle[side]!)!, toe: at((f) => f.toe[side] ?? null) })) as SourceFootFrame;
  });
  const footLock = poses.map((_, k): [number, number] => {
    const t = (k / fps) * sourceFps;
    const a = lockWeights[Math.min(lockWeights.length - 1, Math.floor(t + 1e-6))]!;
    const b = lockWeights[Math.min(lockWeights.length - 1, Math.ceil(t - 1e-6))]!;
    return [Math.max(a[0], b[0]), Math.max(a[1], b[1])];
  });

  return {
    skeleton: skel,
    poses,
    fps,
    sourceFps,
    metresPerUnit: skel.height / prep.restHeight,
    rootScale,
    upAxis: prep.upAxis,
    groundRotation,
    mapping: Object.fromEntries(SOURCE_KEYS.map((k) => [k, mapping[k] >= 0 ? clip.joints[mapping[k]]!.name : null])) as Record<SourceKey, string | null>,
    footLock,
    rigFamily: rigFamily(clip),
    rigFrames: prep.frames,
    sourceFeet,
    bindFrames,
  };
}

/** For tests and diagnostics: the y-up source body of a frame, with the prepared retarget state. */
export function sourceBodyAt(clip: BvhClip, frame: number, options: RetargetOptions = {}): SourceBody {
  // Reading the rig (standing pose, frames, leans) scans the clip: once per clip and options, not per frame.
  const key = JSON.stringify([options.height ?? RETARGET_DEFAULTS.height, options.jointMap ?? {}]);
  const cached = PREPARED.get(clip)?.get(key);
  const skel = cached?.skel ?? createSkeleton({ height: options.height ?? RETARGET_DEFAULTS.height });
  const prep = cached?.prep ?? prepare(clip, mapBvhJoints(clip, options.jointMap), skel);
  if (!cached) PREPARED.set(clip, (PREPARED.get(clip) ?? new Map()).set(key, { skel, prep }));
  return sourceBody(prep, skel, frame);
}

const PREPARED = new WeakMap<BvhClip, Map<string, { skel: Skeleton; prep: Prepared }>>();
