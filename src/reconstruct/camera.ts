import type { Intrinsics } from '../formats/common.ts';
import { guessIntrinsics, type PinholeCamera } from '../geometry/camera.ts';
import { quatFromAxisAngle, quatRotate, type Vec3 } from '../geometry/quaternion.ts';

/**
 * The static camera of a clip. Intrinsics come from keypoints.json when known (synth),
 * otherwise from a field-of-view guess. Its pose in the world follows from the ground:
 * the world origin is on the ground under the subject, y up, and the camera has no yaw
 * or roll (it looks along −z, pitched down by `pitch` radians, `height` metres above
 * the ground) — monocular video cannot tell the yaw of the world, so we fix it.
 */
export function resolveIntrinsics(camera: Intrinsics | null, width: number, height: number): Intrinsics {
  return camera ? { ...camera } : guessIntrinsics(width, height);
}

/** Camera pose relative to the ground: pitch (down positive) and height above the ground. */
export interface CameraGround {
  pitch: number;
  height: number;
}

/** Rotation of a camera pitched down by `pitch` radians: a rotation about x by −pitch. */
export function pitchRotation(pitch: number) {
  return quatFromAxisAngle([1, 0, 0], -pitch);
}

/**
 * The world camera for a ground estimate; `origin` is the camera-frame point (e.g. the
 * subject's mean pelvis) that should sit above the world origin.
 */
export function cameraFromGround(intr: Intrinsics, ground: CameraGround, origin: Vec3 = [0, 0, 0]): PinholeCamera {
  const rotation = pitchRotation(ground.pitch);
  const o = quatRotate(rotation, origin);
  return { ...intr, rotation, position: [-o[0], ground.height, -o[2]] };
}

/** Camera-local point → world. */
export function cameraToWorld(camera: PinholeCamera, p: Vec3): Vec3 {
  const r = quatRotate(camera.rotation, p);
  return [r[0] + camera.position[0], r[1] + camera.position[1], r[2] + camera.position[2]];
}

/**
 * The translation t that places a camera-aligned, root-centred 3D pose `local` so that
 * its projection best matches the 2D points (confidence-weighted linear least squares:
 * each landmark gives two equations linear in t after multiplying out the depth).
 * Returns null when the system is degenerate.
 */
export function solveTranslation(local: readonly Vec3[], points2d: readonly (readonly [number, number])[], confidence: readonly number[], intr: Intrinsics): Vec3 | null {
  // Rows: [-fx, 0, -(u−cx)]·t = fx·X + (u−cx)·Z ; [0, fy, -(v−cy)]·t = −fy·Y + (v−cy)·Z
  const A = new Array(9).fill(0);
  const b = [0, 0, 0];
  const add = (row: number[], rhs: number, w: number) => {
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) A[3 * r + c] += w * row[r]! * row[c]!;
      b[r] += w * row[r]! * rhs;
    }
  };
  for (let i = 0; i < local.length; i++) {
    const w = confidence[i] ?? 0;
    if (w <= 0) continue;
    const [X, Y, Z] = local[i]!;
    const du = points2d[i]![0] - intr.cx;
    const dv = points2d[i]![1] - intr.cy;
    // Normalise rows by the focal length so both equations weigh in metres.
    add([-1, 0, -du / intr.fx], X + (du / intr.fx) * Z, w);
    add([0, 1, -dv / intr.fy], -Y + (dv / intr.fy) * Z, w);
  }
  const t = solve3(A, b);
  // A pose behind or at the camera is no solution.
  return t && t[2] < -0.05 ? t : null;
}

/** Solves a 3×3 linear system (row-major) by Cramer's rule; null when singular. */
export function solve3(A: number[], b: number[]): Vec3 | null {
  const det = (m: number[]) =>
    m[0]! * (m[4]! * m[8]! - m[5]! * m[7]!) - m[1]! * (m[3]! * m[8]! - m[5]! * m[6]!) + m[2]! * (m[3]! * m[7]! - m[4]! * m[6]!);
  const d = det(A);
  if (!Number.isFinite(d) || Math.abs(d) < 1e-12) return null;
  const out: number[] = [];
  for (let c = 0; c < 3; c++) {
    const m = A.slice();
    for (let r = 0; r < 3; r++) m[3 * r + c] = b[r]!;
    out.push(det(m) / d);
  }
  return out as Vec3;
}
