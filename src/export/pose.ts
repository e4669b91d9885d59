import type { MotionFrame } from '../formats/motion.ts';
import type { SkeletonDescription } from '../formats/skeleton.ts';
import type { Quat, Vec3 } from '../geometry/quaternion.ts';
import { quatMultiply, quatNormalize, quatRotate } from '../geometry/quaternion.ts';
import { UserError } from '../errors.ts';

/**
 * Forward kinematics over the skeleton stored in motion.json, for ANY skeleton
 * (the exporters and the viewer must not assume the project's humanoid).
 *
 * Conventions (DESIGN §4.4):
 * - a root joint (parent null) sits at `frame.root.position` with world rotation
 *   `frame.root.rotation · rotations[root]` (the same convention as src/body/fk.ts,
 *   whose writers keep the root's local entry at identity);
 * - every other joint sits at `parent.position + parent.rotation · offset` and
 *   has world rotation `parent.rotation · rotations[j]` (local rotation).
 */
export interface SkeletonTopology {
  /** Joint names in skeleton order. */
  names: string[];
  /** Parent index per joint, −1 for roots. */
  parents: number[];
  /** Joint indices ordered so that parents come before their children. */
  order: number[];
  /** Children per joint. */
  children: number[][];
  /** Rest offsets from the parent, metres. */
  offsets: Vec3[];
}

/** Resolves parent names to indices; refuses unknown parents, duplicates and cycles. */
export function skeletonTopology(skeleton: SkeletonDescription, source = 'motion.json'): SkeletonTopology {
  const names = skeleton.joints.map((j) => j.name);
  const index = new Map<string, number>();
  names.forEach((n, i) => {
    if (index.has(n)) throw new UserError(`${source}: skeleton joint "${n}" appears twice`);
    index.set(n, i);
  });
  const parents = skeleton.joints.map((j) => {
    if (j.parent === null) return -1;
    const p = index.get(j.parent);
    if (p === undefined) throw new UserError(`${source}: skeleton joint "${j.name}" has unknown parent "${j.parent}"`);
    return p;
  });
  const children: number[][] = names.map(() => []);
  parents.forEach((p, i) => { if (p >= 0) children[p]!.push(i); });
  const order: number[] = [];
  const queue = parents.flatMap((p, i) => (p < 0 ? [i] : []));
  if (queue.length === 0) throw new UserError(`${source}: skeleton has no root joint (parent null)`);
  while (queue.length) {
    const j = queue.shift()!;
    order.push(j);
    queue.push(...children[j]!);
  }
  if (order.length !== names.length) throw new UserError(`${source}: skeleton parents form a cycle`);
  return { names, parents, order, children, offsets: skeleton.joints.map((j) => [...j.offset] as Vec3) };
}

export interface JointPose {
  positions: Vec3[];
  rotations: Quat[];
}

/** World position and rotation of every joint of a motion.json skeleton in one frame (src/body/fk.ts does the same for the project's own Skeleton). */
export function motionFrameKinematics(topology: SkeletonTopology, frame: MotionFrame): JointPose {
  const n = topology.names.length;
  if (frame.rotations.length !== n) {
    throw new UserError(`motion frame has ${frame.rotations.length} joint rotations but the skeleton has ${n} joints`);
  }
  const positions: Vec3[] = new Array(n);
  const rotations: Quat[] = new Array(n);
  for (const j of topology.order) {
    const p = topology.parents[j]!;
    if (p < 0) {
      positions[j] = [...frame.root.position] as Vec3;
      rotations[j] = rootRotation(frame, j);
    } else {
      const o = quatRotate(rotations[p]!, topology.offsets[j]!);
      const pp = positions[p]!;
      positions[j] = [pp[0] + o[0], pp[1] + o[1], pp[2] + o[2]];
      rotations[j] = quatNormalize(quatMultiply(rotations[p]!, frame.rotations[j] as Quat));
    }
  }
  return { positions, rotations };
}

/** The rest pose: roots at their offset, identity rotations. */
export function restPositions(topology: SkeletonTopology): Vec3[] {
  const out: Vec3[] = new Array(topology.names.length);
  for (const j of topology.order) {
    const p = topology.parents[j]!;
    const o = topology.offsets[j]!;
    out[j] = p < 0 ? [...o] as Vec3 : [out[p]![0] + o[0], out[p]![1] + o[1], out[p]![2] + o[2]];
  }
  return out;
}

/** World rotation of a root joint: frame.root.rotation · rotations[root]. */
export function rootRotation(frame: MotionFrame, root: number): Quat {
  return quatNormalize(quatMultiply(frame.root.rotation as Quat, frame.rotations[root] as Quat));
}
