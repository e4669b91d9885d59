import type { Quat, Vec3 } from './quaternion.ts';
import { quatConjugate, quatFromMatrix, quatRotate } from './quaternion.ts';

/**
 * A static pinhole camera. World frame: metres, y up, right-handed (three.js).
 * The camera looks down its local −z axis with +y up (three.js / OpenGL camera
 * convention); image pixels have +x right and +y down, origin top-left.
 * `rotation` rotates camera-local vectors into the world; `position` is the
 * camera centre in world coordinates.
 */
export interface PinholeCamera {
  fx: number; fy: number; cx: number; cy: number;
  rotation: Quat;
  position: Vec3;
}

export interface IntrinsicsGuessOptions {
  /** Horizontal field of view in degrees used when nothing better is known. */
  fovDeg?: number;
  /** Focal length in pixels; overrides fovDeg. */
  focalPx?: number;
}

/** Typical phone/webcam horizontal field of view when nothing better is known. */
export const DEFAULT_FOV_DEG = 60;

/** Intrinsics guess from the frame size: principal point at the centre, square pixels. */
export function guessIntrinsics(width: number, height: number, options: IntrinsicsGuessOptions = {}) {
  const fovDeg = options.fovDeg ?? DEFAULT_FOV_DEG;
  const f = options.focalPx ?? width / 2 / Math.tan((fovDeg * Math.PI) / 360);
  return { fx: f, fy: f, cx: width / 2, cy: height / 2 };
}

/** World point → camera-local coordinates (camera looks down −z). */
export function worldToCamera(camera: PinholeCamera, p: Vec3): Vec3 {
  const d: Vec3 = [p[0] - camera.position[0], p[1] - camera.position[1], p[2] - camera.position[2]];
  return quatRotate(quatConjugate(camera.rotation), d);
}

/** Projects a world point to pixels; returns null when the point is behind the camera. */
export function projectPoint(camera: PinholeCamera, p: Vec3): [number, number] | null {
  const c = worldToCamera(camera, p);
  const depth = -c[2];
  if (depth <= 1e-6) return null;
  return [camera.cx + (camera.fx * c[0]) / depth, camera.cy - (camera.fy * c[1]) / depth];
}

/** Ray direction (world, unit) through a pixel. */
export function pixelRay(camera: PinholeCamera, u: number, v: number): Vec3 {
  const local: Vec3 = [(u - camera.cx) / camera.fx, -(v - camera.cy) / camera.fy, -1];
  const d = quatRotate(camera.rotation, local);
  const n = Math.hypot(...d);
  return [d[0] / n, d[1] / n, d[2] / n];
}

/**
 * A camera at `position` looking at `target` with world +y as up.
 * Builds the rotation whose columns are the camera's right, up and backward axes.
 */
export function lookAt(position: Vec3, target: Vec3, intrinsics: { fx: number; fy: number; cx: number; cy: number }): PinholeCamera {
  const back: Vec3 = normalize([position[0] - target[0], position[1] - target[1], position[2] - target[2]]);
  let right = cross([0, 1, 0], back);
  if (Math.hypot(...right) < 1e-9) right = [1, 0, 0];
  right = normalize(right);
  const up = cross(back, right);
  // Row-major matrix with columns right, up, back.
  const m = [right[0], up[0], back[0], right[1], up[1], back[1], right[2], up[2], back[2]];
  return { ...intrinsics, rotation: quatFromMatrix(m), position: [...position] as Vec3 };
}

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function normalize(v: Vec3): Vec3 {
  const n = Math.hypot(...v) || 1;
  return [v[0] / n, v[1] / n, v[2] / n];
}
