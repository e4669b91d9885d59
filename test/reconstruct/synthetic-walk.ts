/**
 * A walk built in code for the foot-contact and foot-lock tests: the root moves forward at a
 * constant speed; each foot stands flat on the floor for 60 % of a 1 s gait cycle and swings an
 * 8 cm arc to its next footprint in the rest (the right foot half a cycle later); the legs are
 * put there by leg IK. Optional noise makes it look like a kinematic fit: planted feet that
 * glide and hover; an optional pitch rolls each stance foot heel-up and back (rad, at mid-stance).
 */
import { forwardKinematics } from '../../src/body/fk.ts';
import { solveLeg, type Side } from '../../src/body/leg-ik.ts';
import { restPose, type Pose } from '../../src/body/pose.ts';
import { createSkeleton, type Skeleton } from '../../src/body/skeleton.ts';
import { quatFromAxisAngle, type Quat, type Vec3 } from '../../src/geometry/quaternion.ts';

export interface SyntheticWalk { skel: Skeleton; fps: number; motion: Pose[]; contacts: Array<[boolean, boolean]> }

const STANCE = 0.6;
const SPEED = 1.0;
const HALF_STEP = 0.3;

/** Ankle target of a foot at time t: planted footprints, smooth arcs between them. */
function ankleAt(skel: Skeleton, side: Side, t: number, noise: number, pitch: number): { ankle: Vec3; planted: boolean; foot: Quat } {
  // Rounded so that a frame on a phase boundary is not split by floating point.
  const phase = Math.round(((t + (side === 'right' ? 0.5 : 0)) % 1) * 1e9) / 1e9 % 1;
  const cycleStart = t - phase;
  const ankleH = -skel.segments[skel.joints.findIndex((j) => j.name === `${side}_foot`)]!.end[1];
  const x = (side === 'left' ? 1 : -1) * skel.joints.find((j) => j.name === `${side}_thigh`)!.offset[0];
  if (phase < STANCE) {
    const z = SPEED * cycleStart + HALF_STEP;
    // A fit's planted foot: gliding 2 cm over the stance and hovering up to `noise`.
    const u = phase / STANCE;
    return { ankle: [x, ankleH + noise * Math.sin(Math.PI * u), z + (noise ? 0.02 * (u - 0.5) : 0)], planted: true, foot: quatFromAxisAngle([1, 0, 0], pitch * Math.sin(Math.PI * u)) };
  }
  const u = (phase - STANCE) / (1 - STANCE);
  const from = SPEED * cycleStart + HALF_STEP, to = from + SPEED;
  const s = u * u * (3 - 2 * u);
  return { ankle: [x, ankleH + 0.08 * Math.sin(Math.PI * u), from + s * (to - from)], planted: false, foot: [0, 0, 0, 1] };
}

export function syntheticWalk(seconds = 2, fps = 30, noise = 0, pitch = 0): SyntheticWalk {
  const skel = createSkeleton();
  const motion: Pose[] = [];
  const contacts: Array<[boolean, boolean]> = [];
  for (let k = 0; k <= Math.round(seconds * fps); k++) {
    const t = k / fps;
    let pose: Pose = { ...restPose(skel), rootPosition: [0, 0.82 + 0.01 * Math.cos(4 * Math.PI * t), SPEED * t] };
    const world = forwardKinematics(skel, pose);
    const feet = (['left', 'right'] as const).map((side) => ankleAt(skel, side, t, noise, pitch));
    (['left', 'right'] as const).forEach((side, i) => { pose = solveLeg(skel, pose, side, feet[i]!.ankle, feet[i]!.foot, world); });
    motion.push(pose);
    contacts.push([feet[0]!.planted, feet[1]!.planted]);
  }
  return { skel, fps, motion, contacts };
}
