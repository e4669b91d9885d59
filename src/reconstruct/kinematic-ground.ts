import { LANDMARK_INDEX as L } from '../formats/landmarks.ts';
import type { Vec3 } from '../geometry/quaternion.ts';
import { median } from './ground.ts';

/**
 * The frames the ground fit (ground.ts estimateGround) sees, with the depth noise of still feet taken out.
 * Each frame is placed in depth by reprojecting the detector's whole 3D body, whose shape changes with the
 * pose: in a squat filmed from the front the feet stay on the same pixels while the frame's depth swings by
 * 0.4 m (pose_squats.mp4). A plane through those feet tilts to contain the camera ray (camera 0.3 m high,
 * pitched 12° up; the body then leans 17–27° in the world and the physics stage falls). A foot on the same
 * pixels is at the same place, so each foot's heel and toe are moved along their rays (their projection
 * unchanged) to the median depth of that foot in the frames where it lies within `radius` torso lengths of
 * its own image position. A foot that moves across the image (a walk) keeps its own frame's depth.
 */
export function anchorFeetDepth(camFrames: readonly Vec3[][], points2d: ReadonlyArray<ReadonlyArray<readonly [number, number]>>, radius: number): Vec3[][] {
  const out = camFrames.map((f) => f.slice());
  if (!(radius > 0) || camFrames.length < 2) return out;
  const torso = median(points2d.map((f) => Math.hypot(
    (f[L.left_shoulder]![0] + f[L.right_shoulder]![0] - f[L.left_hip]![0] - f[L.right_hip]![0]) / 2,
    (f[L.left_shoulder]![1] + f[L.right_shoulder]![1] - f[L.left_hip]![1] - f[L.right_hip]![1]) / 2,
  )));
  const reach = radius * torso;
  for (const foot of [[L.left_heel, L.left_foot_index], [L.right_heel, L.right_foot_index]]) {
    const at = points2d.map((f) => [0, 1].map((k) => (f[foot[0]!]![k]! + f[foot[1]!]![k]!) / 2));
    const depth = camFrames.map((f) => -(f[foot[0]!]![2] + f[foot[1]!]![2]) / 2);
    camFrames.forEach((f, t) => {
      const near = depth.filter((_, u) => Math.hypot(at[u]![0]! - at[t]![0]!, at[u]![1]! - at[t]![1]!) <= reach);
      const k = depth[t]! > 0 ? median(near) / depth[t]! : 1;
      for (const j of foot) out[t]![j] = f[j]!.map((v) => v * k) as Vec3;
    });
  }
  return out;
}
