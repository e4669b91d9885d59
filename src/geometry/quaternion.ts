/**
 * Quaternions as [x, y, z, w] (three.js / glTF order), unit length, Hamilton product.
 * Plain arrays in, plain arrays out: no classes, no allocation tricks.
 */
export type Quat = [number, number, number, number];
export type Vec3 = [number, number, number];

export const IDENTITY: Quat = [0, 0, 0, 1];

export function quatMultiply(a: Quat, b: Quat): Quat {
  const [ax, ay, az, aw] = a;
  const [bx, by, bz, bw] = b;
  return [
    aw * bx + ax * bw + ay * bz - az * by,
    aw * by - ax * bz + ay * bw + az * bx,
    aw * bz + ax * by - ay * bx + az * bw,
    aw * bw - ax * bx - ay * by - az * bz,
  ];
}

export function quatConjugate(q: Quat): Quat {
  return [-q[0], -q[1], -q[2], q[3]];
}

export function quatNormalize(q: Quat): Quat {
  const n = Math.hypot(q[0], q[1], q[2], q[3]);
  if (n === 0) return [0, 0, 0, 1];
  return [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
}

export function quatFromAxisAngle(axis: Vec3, angle: number): Quat {
  const n = Math.hypot(axis[0], axis[1], axis[2]) || 1;
  const s = Math.sin(angle / 2) / n;
  return [axis[0] * s, axis[1] * s, axis[2] * s, Math.cos(angle / 2)];
}

/** Rotates vector v by unit quaternion q. */
export function quatRotate(q: Quat, v: Vec3): Vec3 {
  const [x, y, z, w] = q;
  // t = 2 * cross(q.xyz, v)
  const tx = 2 * (y * v[2] - z * v[1]);
  const ty = 2 * (z * v[0] - x * v[2]);
  const tz = 2 * (x * v[1] - y * v[0]);
  return [
    v[0] + w * tx + (y * tz - z * ty),
    v[1] + w * ty + (z * tx - x * tz),
    v[2] + w * tz + (x * ty - y * tx),
  ];
}

/** Rotation vector (axis * angle, radians) → quaternion. */
export function quatFromRotationVector(r: Vec3): Quat {
  const angle = Math.hypot(r[0], r[1], r[2]);
  if (angle < 1e-12) return quatNormalize([r[0] / 2, r[1] / 2, r[2] / 2, 1]);
  return quatFromAxisAngle(r, angle);
}

/** Quaternion → rotation vector (axis * angle), angle in [0, π]. */
export function quatToRotationVector(q: Quat): Vec3 {
  let [x, y, z, w] = quatNormalize(q);
  if (w < 0) { x = -x; y = -y; z = -z; w = -w; }
  const s = Math.hypot(x, y, z);
  if (s < 1e-12) return [2 * x, 2 * y, 2 * z];
  const angle = 2 * Math.atan2(s, w);
  return [(x / s) * angle, (y / s) * angle, (z / s) * angle];
}

/** Row-major 3×3 rotation matrix → quaternion. */
export function quatFromMatrix(m: ArrayLike<number>): Quat {
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = Array.from(m);
  const trace = m00! + m11! + m22!;
  let q: Quat;
  if (trace > 0) {
    const s = 0.5 / Math.sqrt(trace + 1);
    q = [(m21! - m12!) * s, (m02! - m20!) * s, (m10! - m01!) * s, 0.25 / s];
  } else if (m00! > m11! && m00! > m22!) {
    const s = 2 * Math.sqrt(1 + m00! - m11! - m22!);
    q = [0.25 * s, (m01! + m10!) / s, (m02! + m20!) / s, (m21! - m12!) / s];
  } else if (m11! > m22!) {
    const s = 2 * Math.sqrt(1 + m11! - m00! - m22!);
    q = [(m01! + m10!) / s, 0.25 * s, (m12! + m21!) / s, (m02! - m20!) / s];
  } else {
    const s = 2 * Math.sqrt(1 + m22! - m00! - m11!);
    q = [(m02! + m20!) / s, (m12! + m21!) / s, 0.25 * s, (m10! - m01!) / s];
  }
  return quatNormalize(q);
}

/** Quaternion → row-major 3×3 rotation matrix. */
export function quatToMatrix(q: Quat): number[] {
  const [x, y, z, w] = q;
  return [
    1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
    2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
    2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
  ];
}

/** Shortest rotation taking unit direction a onto unit direction b. */
export function quatFromTo(a: Vec3, b: Vec3): Quat {
  const na = Math.hypot(...a) || 1;
  const nb = Math.hypot(...b) || 1;
  const ua: Vec3 = [a[0] / na, a[1] / na, a[2] / na];
  const ub: Vec3 = [b[0] / nb, b[1] / nb, b[2] / nb];
  const d = ua[0] * ub[0] + ua[1] * ub[1] + ua[2] * ub[2];
  if (d < -1 + 1e-9) {
    // Opposite: rotate π about any axis perpendicular to a.
    const axis: Vec3 = Math.abs(ua[0]) < 0.9 ? [0, -ua[2], ua[1]] : [-ua[1], ua[0], 0];
    return quatFromAxisAngle(axis, Math.PI);
  }
  const c: Vec3 = [ua[1] * ub[2] - ua[2] * ub[1], ua[2] * ub[0] - ua[0] * ub[2], ua[0] * ub[1] - ua[1] * ub[0]];
  return quatNormalize([c[0], c[1], c[2], 1 + d]);
}

/** Spherical linear interpolation, shortest path. */
export function quatSlerp(a: Quat, b: Quat, t: number): Quat {
  let d = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
  let bb: Quat = b;
  if (d < 0) { d = -d; bb = [-b[0], -b[1], -b[2], -b[3]]; }
  if (d > 0.9995) {
    return quatNormalize([a[0] + t * (bb[0] - a[0]), a[1] + t * (bb[1] - a[1]), a[2] + t * (bb[2] - a[2]), a[3] + t * (bb[3] - a[3])]);
  }
  const theta = Math.acos(d);
  const s = Math.sin(theta);
  const wa = Math.sin((1 - t) * theta) / s;
  const wb = Math.sin(t * theta) / s;
  return [wa * a[0] + wb * bb[0], wa * a[1] + wb * bb[1], wa * a[2] + wb * bb[2], wa * a[3] + wb * bb[3]];
}

/** Euler angles (radians) applied in the given intrinsic axis order, e.g. 'ZXY' → Rz·Rx·Ry. */
export function quatFromEuler(angles: number[], order: string): Quat {
  let q: Quat = [0, 0, 0, 1];
  for (let i = 0; i < order.length; i++) {
    const axis: Vec3 = order[i] === 'X' ? [1, 0, 0] : order[i] === 'Y' ? [0, 1, 0] : [0, 0, 1];
    q = quatMultiply(q, quatFromAxisAngle(axis, angles[i]!));
  }
  return q;
}

/** Angle between two rotations in radians. */
export function quatAngle(a: Quat, b: Quat): number {
  const d = Math.abs(a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]);
  return 2 * Math.acos(Math.min(1, d));
}
