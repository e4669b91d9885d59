/**
 * OpenCV's radial-tangential lens model on normalized image coordinates (x = X/Z, y = Y/Z):
 * distorted = x·(1 + k1 r² + k2 r⁴ + k3 r⁶) + 2 p1 x y + p2 (r² + 2x²), and likewise for y.
 */
export type Distortion = readonly [k1: number, k2: number, p1: number, p2: number, k3: number];

export function distortNormalized(x: number, y: number, d: Distortion): [number, number] {
  const [k1, k2, p1, p2, k3] = d;
  const r2 = x * x + y * y;
  const radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3));
  return [x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x), y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y];
}

/**
 * Inverse of distortNormalized by Newton's method on the 2 × 2 system (OpenCV's fixed-point
 * iteration converges slowly near the frame's corners); exact to ~1e-12 for phone lenses.
 */
export function undistortNormalized(xd: number, yd: number, d: Distortion, iterations = 20): [number, number] {
  let x = xd;
  let y = yd;
  const h = 1e-7;
  for (let i = 0; i < iterations; i++) {
    const [fx, fy] = distortNormalized(x, y, d);
    const ex = fx - xd;
    const ey = fy - yd;
    if (Math.abs(ex) + Math.abs(ey) < 1e-14) break;
    const [ax, ay] = distortNormalized(x + h, y, d);
    const [bx, by] = distortNormalized(x, y + h, d);
    const j11 = (ax - fx) / h, j21 = (ay - fy) / h, j12 = (bx - fx) / h, j22 = (by - fy) / h;
    const det = j11 * j22 - j12 * j21;
    if (Math.abs(det) < 1e-12) break;
    x -= (j22 * ex - j12 * ey) / det;
    y -= (-j21 * ex + j11 * ey) / det;
  }
  return [x, y];
}
