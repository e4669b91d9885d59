import type { Quat, Vec3 } from './quaternion.ts';
import { quatFromMatrix, quatNormalize } from './quaternion.ts';

/** Small 3-vector helpers on plain tuples (retargeting, its checks), no allocation tricks. */
export const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
export const add = (a: Vec3, b: Vec3): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
export const mul = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];
export const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
export const len = (a: Vec3): number => Math.hypot(a[0], a[1], a[2]);
export const unit = (a: Vec3): Vec3 => mul(a, 1 / (len(a) || 1));
export const mid = (a: Vec3, b: Vec3): Vec3 => mul(add(a, b), 0.5);
export function centroid(ps: Vec3[]): Vec3 {
  const s = ps.reduce((acc, p) => add(acc, p), [0, 0, 0] as Vec3);
  return mul(s, 1 / ps.length);
}

/**
 * The rotation taking a0 exactly onto a1 and b0 into the half-plane of (a1, b1)
 * (the TRIAD method): used wherever a bone direction and a second axis fix a frame.
 */
export function alignTwo(a0: Vec3, b0: Vec3, a1: Vec3, b1: Vec3): Quat {
  const frame = (a: Vec3, b: Vec3): [Vec3, Vec3, Vec3] => {
    const x = unit(a);
    let z = cross(x, b);
    if (len(z) < 1e-9) z = cross(x, Math.abs(x[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0]);
    z = unit(z);
    return [x, cross(z, x), z];
  };
  const [x0, y0, z0] = frame(a0, b0);
  const [x1, y1, z1] = frame(a1, b1);
  // R = F1 · F0ᵀ (columns are the frame axes), row-major.
  const m = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) {
    m[3 * r + c] = x1[r]! * x0[c]! + y1[r]! * y0[c]! + z1[r]! * z0[c]!;
  }
  return quatNormalize(quatFromMatrix(m));
}
