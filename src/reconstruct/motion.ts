import { landmarkPositions } from '../body/fk.ts';
import type { Pose } from '../body/pose.ts';
import { skeletonDescription, type Skeleton } from '../body/skeleton.ts';
import { MOTION_FORMAT, type MotionFile, type StageReport } from '../formats/motion.ts';
import { LANDMARK_INDEX as L } from '../formats/landmarks.ts';
import type { PinholeCamera } from '../geometry/camera.ts';
import type { Vec3 } from '../geometry/quaternion.ts';

/** Contact rule for kinematic frames: both sole points of a foot low and nearly still. */
export const CONTACT_RULE = { height: 0.05, speed: 0.3 };

/** Foot contacts from landmark positions alone (the physics stage reports the simulator's instead). */
export function kinematicContacts(frames: Vec3[][], fps: number): Array<{ leftFoot: boolean; rightFoot: boolean }> {
  const foot = (f: Vec3[], heel: number, toe: number) => f[heel]![1] < CONTACT_RULE.height && f[toe]![1] < CONTACT_RULE.height;
  const still = (t: number, heel: number) => {
    const a = frames[Math.max(0, t - 1)]![heel]!, b = frames[Math.min(frames.length - 1, t + 1)]![heel]!;
    const span = Math.min(frames.length - 1, t + 1) - Math.max(0, t - 1);
    return span === 0 || (Math.hypot(b[0] - a[0], b[2] - a[2]) * fps) / span < CONTACT_RULE.speed;
  };
  return frames.map((f, t) => ({
    leftFoot: foot(f, L.left_heel, L.left_foot_index) && still(t, L.left_heel),
    rightFoot: foot(f, L.right_heel, L.right_foot_index) && still(t, L.right_heel),
  }));
}

/** A motion.json (DESIGN §4.4) from poses of the skeleton. */
export function buildMotion(
  skel: Skeleton, camera: PinholeCamera, fps: number, poses: Pose[],
  contacts: Array<{ leftFoot: boolean; rightFoot: boolean }> | null,
  stages: Record<string, StageReport>, extra: Record<string, unknown> = {},
): MotionFile {
  const joints3d = poses.map((p) => landmarkPositions(skel, p));
  const c = contacts ?? kinematicContacts(joints3d, fps);
  return {
    format: MOTION_FORMAT,
    fps,
    skeleton: skeletonDescription(skel),
    camera: { fx: camera.fx, fy: camera.fy, cx: camera.cx, cy: camera.cy, rotation: [...camera.rotation], position: [...camera.position] },
    ground: { normal: [0, 1, 0], height: 0 },
    frames: poses.map((p, t) => ({
      root: { position: [...p.rootPosition], rotation: [...p.rootRotation] },
      rotations: p.rotations.map((q) => [...q] as [number, number, number, number]),
      joints3d: joints3d[t]!,
      contacts: c[t]!,
    })),
    stages,
    ...extra,
  };
}
