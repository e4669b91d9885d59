import { projectPoint } from '../../src/geometry/camera.ts';
import type { Vec3 } from '../../src/geometry/quaternion.ts';
import type { KeypointsFile } from '../../src/formats/keypoints.ts';
import type { MotionFile } from '../../src/formats/motion.ts';
import type { TruthFile } from '../../src/formats/truth.ts';

/** Keypoints below this score are not counted in the reprojection error. */
export const MIN_SCORE = 0.3;
const LEFT_HIP = 23;
const RIGHT_HIP = 24;

/**
 * Per-frame reprojection error (pixels): mean distance between the detected
 * keypoints and the motion's landmarks projected through the motion's camera,
 * over keypoints with score ≥ MIN_SCORE. NaN where a frame has no detection.
 */
export function reprojectionErrorPerFrame(motion: MotionFile, keypoints: KeypointsFile): Float64Array {
  const out = new Float64Array(motion.frames.length).fill(NaN);
  motion.frames.forEach((frame, i) => {
    const kp = keypoints.frames[i]?.keypoints;
    if (!kp) return;
    let sum = 0;
    let count = 0;
    frame.joints3d.forEach((p, k) => {
      const d = kp[k];
      if (!d || d[2] < MIN_SCORE) return;
      const px = projectPoint(motion.camera, p as Vec3);
      if (!px) return;
      sum += Math.hypot(px[0] - d[0], px[1] - d[1]);
      count++;
    });
    if (count) out[i] = sum / count;
  });
  return out;
}

/** Per-frame MPJPE (mm) against the truth, root-aligned at the mid-hip as in the literature. */
export function mpjpePerFrame(motion: MotionFile, truth: TruthFile): Float64Array {
  const out = new Float64Array(motion.frames.length).fill(NaN);
  motion.frames.forEach((frame, i) => {
    const t = truth.frames[i]?.joints3d;
    if (!t || t.length !== frame.joints3d.length || frame.joints3d.length <= RIGHT_HIP) return;
    const a = frame.joints3d;
    const ra = mid(a[LEFT_HIP]!, a[RIGHT_HIP]!);
    const rb = mid(t[LEFT_HIP]!, t[RIGHT_HIP]!);
    let sum = 0;
    a.forEach((p, k) => {
      const q = t[k]!;
      sum += Math.hypot(p[0] - ra[0] - (q[0] - rb[0]), p[1] - ra[1] - (q[1] - rb[1]), p[2] - ra[2] - (q[2] - rb[2]));
    });
    out[i] = (1000 * sum) / a.length;
  });
  return out;
}

function mid(a: readonly number[], b: readonly number[]): Vec3 {
  return [(a[0]! + b[0]!) / 2, (a[1]! + b[1]!) / 2, (a[2]! + b[2]!) / 2];
}
