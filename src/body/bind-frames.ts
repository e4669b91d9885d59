import type { Vec3 } from '../geometry/quaternion.ts';
import { type BvhClip, bvhFramePose } from './bvh.ts';

/**
 * Some exports start with the rig's bind pose (iClone's CC_Base walks: a T-pose, then the walk
 * 0.9 m away in one frame). Kept, it is a teleport no body makes: synth would hand the fit a
 * truth it cannot follow. A leading frame is a bind pose when the body (root-relative) jumps from
 * it to the next frame by far more than it moves between any later frames of the clip's start.
 */

/** A jump this many times the largest of the next transitions… */
const JUMP_RATIO = 5;
/** …and at least this share of the body's extent (farthest joint from the root) marks a bind frame. */
const JUMP_SHARE = 0.15;
/** Transitions compared after the candidate. */
const LOOK_AHEAD = 30;
/** At most this many leading frames are dropped. */
const MAX_BIND_FRAMES = 3;

/** Largest root-relative displacement of any joint between two poses. */
function bodyJump(a: Vec3[], b: Vec3[]): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const dx = a[i]![0] - a[0]![0] - (b[i]![0] - b[0]![0]);
    const dy = a[i]![1] - a[0]![1] - (b[i]![1] - b[0]![1]);
    const dz = a[i]![2] - a[0]![2] - (b[i]![2] - b[0]![2]);
    m = Math.max(m, Math.hypot(dx, dy, dz));
  }
  return m;
}

/** Number of leading bind-pose frames of a clip (0 for most clips). */
export function leadingBindFrames(clip: BvhClip): number {
  const n = Math.min(clip.frameCount, MAX_BIND_FRAMES + LOOK_AHEAD + 1);
  if (n < 3) return 0;
  const poses = Array.from({ length: n }, (_, f) => bvhFramePose(clip, f).positions);
  const last = poses[n - 1]!;
  const extent = Math.max(...last.map((p) => Math.hypot(p[0] - last[0]![0], p[1] - last[0]![1], p[2] - last[0]![2])));
  let first = 0;
  while (first < MAX_BIND_FRAMES && first + 2 < n) {
    const jump = bodyJump(poses[first]!, poses[first + 1]!);
    let later = 0;
    for (let k = first + 1; k + 1 < n; k++) later = Math.max(later, bodyJump(poses[k]!, poses[k + 1]!));
    if (!(jump > JUMP_RATIO * later && jump > JUMP_SHARE * extent)) break;
    first++;
  }
  return first;
}
