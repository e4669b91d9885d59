import { Euler, Quaternion } from 'three';
import type { MotionFile } from '../formats/motion.ts';
import { UserError } from '../errors.ts';
import { rootRotation, skeletonTopology, type SkeletonTopology } from './pose.ts';

/**
 * BVH writer. The hierarchy is motion.json's skeleton, joint for joint, in the
 * skeleton's own parent/child structure (names with whitespace get underscores).
 *
 * - Axes: y up, right-handed, the world frame of motion.json (three.js / Blender's
 *   BVH importer default of "Y up, −Z forward" reads it upright).
 * - Units: centimetres (`unitScale` 100 from metres), the BVH habit.
 * - Channels: the root has `Xposition Yposition Zposition Zrotation Xrotation Yrotation`,
 *   every other joint `Zrotation Xrotation Yrotation`, in degrees; a joint's local
 *   rotation is R = Rz · Rx · Ry (intrinsic, applied in channel order), as
 *   three.js' BVHLoader, Blender and MotionBuilder read it.
 * - The root OFFSET is 0 0 0, so the position channels are the root's world
 *   position and its rotation channels its world rotation (root.rotation ·
 *   rotations[root]); other OFFSETs are the skeleton's rest offsets.
 * - Leaf joints end in an `End Site` that continues the last bone by `endSiteFraction` of its length.
 * - Frame Time is 1 / fps.
 */
export interface BvhOptions {
  /** Multiplier from metres to the file's unit. */
  unitScale?: number;
  /** Decimal places written for every number. */
  decimals?: number;
  /** Length of an End Site as a fraction of its joint's own offset. */
  endSiteFraction?: number;
}

export const BVH_DEFAULTS: Required<BvhOptions> = {
  unitScale: 100,
  decimals: 6,
  endSiteFraction: 0.5,
};

const ROTATION_ORDER = 'ZXY';
const ROOT_CHANNELS = 'CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation';
const JOINT_CHANNELS = 'CHANNELS 3 Zrotation Xrotation Yrotation';

/** motion.json → BVH text. */
export function motionToBvh(motion: MotionFile, options: BvhOptions = {}): string {
  const o = { ...BVH_DEFAULTS, ...options };
  const topo = skeletonTopology(motion.skeleton);
  const roots = topo.parents.flatMap((p, i) => (p < 0 ? [i] : []));
  if (roots.length !== 1) throw new UserError(`motion.json: BVH needs exactly one root joint, the skeleton has ${roots.length}`);
  const root = roots[0]!;
  const num = (v: number) => formatNumber(v, o.decimals);

  const lines: string[] = ['HIERARCHY'];
  const channelOrder: number[] = [];
  const writeJoint = (j: number, depth: number) => {
    const pad = '\t'.repeat(depth);
    const name = bvhName(topo.names[j]!);
    channelOrder.push(j);
    if (j === root) {
      lines.push(`${pad}ROOT ${name}`, `${pad}{`, `${pad}\tOFFSET 0 0 0`, `${pad}\t${ROOT_CHANNELS}`);
    } else {
      const off = topo.offsets[j]!.map((v) => num(v * o.unitScale)).join(' ');
      lines.push(`${pad}JOINT ${name}`, `${pad}{`, `${pad}\tOFFSET ${off}`, `${pad}\t${JOINT_CHANNELS}`);
    }
    const kids = topo.children[j]!;
    if (kids.length === 0) {
      const end = topo.offsets[j]!.map((v) => num(v * o.unitScale * o.endSiteFraction)).join(' ');
      lines.push(`${pad}\tEnd Site`, `${pad}\t{`, `${pad}\t\tOFFSET ${end}`, `${pad}\t}`);
    }
    for (const k of kids) writeJoint(k, depth + 1);
    lines.push(`${pad}}`);
  };
  writeJoint(root, 0);

  lines.push('MOTION', `Frames: ${motion.frames.length}`, `Frame Time: ${(1 / motion.fps).toFixed(8)}`);
  const q = new Quaternion();
  const e = new Euler();
  const deg = 180 / Math.PI;
  motion.frames.forEach((frame, f) => {
    if (frame.rotations.length !== topo.names.length) {
      throw new UserError(`motion.json: frame ${f} has ${frame.rotations.length} joint rotations, the skeleton has ${topo.names.length} joints`);
    }
    const values: string[] = [];
    for (const j of channelOrder) {
      const r = j === root ? rootRotation(frame, j) : frame.rotations[j]!;
      if (j === root) values.push(...frame.root.position.map((v) => num(v * o.unitScale)));
      e.setFromQuaternion(q.set(r[0], r[1], r[2], r[3]).normalize(), ROTATION_ORDER);
      values.push(num(e.z * deg), num(e.x * deg), num(e.y * deg));
    }
    lines.push(values.join(' '));
  });
  return lines.join('\n') + '\n';
}

/** Joint names as written to BVH (no whitespace). */
export function bvhName(name: string): string {
  return name.trim().replace(/\s+/g, '_') || 'joint';
}

/** Joint order in which the BVH lists joints (depth-first), as skeleton indices. */
export function bvhJointOrder(topology: SkeletonTopology): number[] {
  const out: number[] = [];
  const visit = (j: number) => { out.push(j); topology.children[j]!.forEach(visit); };
  topology.parents.forEach((p, i) => { if (p < 0) visit(i); });
  return out;
}

function formatNumber(v: number, decimals: number): string {
  const s = v.toFixed(decimals);
  // Trim trailing zeros: shorter files, same value.
  const t = s.includes('.') ? s.replace(/\.?0+$/, '') : s;
  return t === '-0' ? '0' : t;
}
