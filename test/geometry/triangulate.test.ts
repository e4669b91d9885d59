import { describe, expect, it } from 'vitest';
import { distortNormalized, undistortNormalized, type Distortion } from '../../src/geometry/distortion.ts';
import type { Vec3 } from '../../src/geometry/quaternion.ts';
import { applySimilarity, fitSimilarity } from '../../src/geometry/similarity.ts';
import { projectCalibrated, triangulatePoint, type ViewCamera } from '../../src/geometry/triangulate.ts';
import { Rng } from '../../src/random.ts';

const LENS: Distortion = [-0.047, 0.137, 0.0006, 0.0007, 0];

/** A camera at `centre` looking at `target` (z up world), OpenCV convention. */
function cameraAt(centre: Vec3, target: Vec3, f = 1680): ViewCamera {
  const z = norm(sub(target, centre));
  const x = norm(cross(z, [0, 0, 1]));
  const y = cross(z, x);
  const R = [...x, ...y, ...z];
  const t = [0, 1, 2].map((r) => -(R[3 * r]! * centre[0] + R[3 * r + 1]! * centre[1] + R[3 * r + 2]! * centre[2])) as [number, number, number];
  return { fx: f, fy: f, cx: 540, cy: 960, distortion: LENS, R, t };
}

const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a: Vec3): Vec3 => { const n = Math.hypot(...a); return [a[0] / n, a[1] / n, a[2] / n]; };

const CAMS = [
  cameraAt([3, -2, 1.9], [0, 0, 1]), cameraAt([2.6, 2.7, 1.7], [0, 0, 1]),
  cameraAt([-3.2, 2.2, 2.1], [0, 0, 1]), cameraAt([-3.7, -1.4, 1.9], [0, 0, 1]),
];

describe('lens distortion', () => {
  it('undistorts what it distorts, out to the frame corners', () => {
    for (const [x, y] of [[0, 0], [0.3, -0.2], [-0.33, 0.58], [0.32, 0.57]] as const) {
      const [xd, yd] = distortNormalized(x, y, LENS);
      const [ux, uy] = undistortNormalized(xd, yd, LENS);
      expect(Math.hypot(ux - x, uy - y)).toBeLessThan(1e-10);
    }
    // The model is not the identity: at the corner it moves points by several pixels.
    const [xd] = distortNormalized(0.32, 0.57, LENS);
    expect(Math.abs(xd - 0.32) * 1680).toBeGreaterThan(3);
  });
});

describe('triangulatePoint', () => {
  const rng = new Rng(7);
  const points: Vec3[] = Array.from({ length: 30 }, () => [rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5), rng.uniform(0.1, 1.8)]);

  it('recovers points exactly from four distorted views', () => {
    for (const X of points) {
      const s = CAMS.map((c) => { const q = projectCalibrated(c, X)!; return { u: q[0], v: q[1], weight: 1 }; });
      const r = triangulatePoint(CAMS, s)!;
      expect(Math.hypot(...sub(r.point, X))).toBeLessThan(1e-6);
      expect(r.views).toEqual([0, 1, 2, 3]);
    }
  });

  it('ignoring distortion would cost millimetres: the undistortion matters', () => {
    const noLens = CAMS.map((c) => ({ ...c, distortion: [0, 0, 0, 0, 0] as Distortion }));
    const worst = Math.max(...points.map((X) => {
      const s = CAMS.map((c) => { const q = projectCalibrated(c, X)!; return { u: q[0], v: q[1], weight: 1 }; });
      return Math.hypot(...sub(triangulatePoint(noLens, s, { rejectPx: Infinity })!.point, X));
    }));
    expect(worst).toBeGreaterThan(2e-3);
  });

  it('rejects a view whose detection is far off and keeps the point within a few mm', () => {
    let meanRobust = 0;
    let meanNaive = 0;
    for (const X of points) {
      const s = CAMS.map((c) => { const q = projectCalibrated(c, X)!; return { u: q[0] + rng.normal() * 1.5, v: q[1] + rng.normal() * 1.5, weight: 0.9 }; });
      s[2] = { u: s[2]!.u + 80, v: s[2]!.v - 60, weight: 0.9 };
      const r = triangulatePoint(CAMS, s)!;
      expect(r.views).not.toContain(2);
      expect(r.errors[2]!).toBeGreaterThan(50);
      meanRobust += Math.hypot(...sub(r.point, X)) / points.length;
      const naive = triangulatePoint(CAMS, s, { rejectPx: Infinity })!;
      meanNaive += Math.hypot(...sub(naive.point, X)) / points.length;
    }
    // 1.5 px of noise at ~4 m is a few mm; the 100 px outlier left in costs centimetres.
    expect(meanRobust).toBeLessThan(0.006);
    expect(meanNaive).toBeGreaterThan(3 * meanRobust);
  });

  it('weights pull the point toward the confident views; sightings below minWeight are not used', () => {
    const X = points[3]!;
    const s = CAMS.map((c) => { const q = projectCalibrated(c, X)!; return { u: q[0], v: q[1], weight: 1 }; });
    s[1] = { u: s[1]!.u + 12, v: s[1]!.v, weight: 1 };
    const even = triangulatePoint(CAMS, s, { rejectPx: Infinity })!;
    const low = triangulatePoint(CAMS, s.map((o, i) => (i === 1 ? { ...o, weight: 0.35 } : o)), { rejectPx: Infinity })!;
    expect(Math.hypot(...sub(low.point, X))).toBeLessThan(Math.hypot(...sub(even.point, X)) / 2);
    const dropped = triangulatePoint(CAMS, s.map((o, i) => (i === 1 ? { ...o, weight: 0.1 } : o)))!;
    expect(dropped.views).toEqual([0, 2, 3]);
    expect(Math.hypot(...sub(dropped.point, X))).toBeLessThan(1e-6);
    expect(triangulatePoint(CAMS, [s[0]!, null, null, null])).toBeNull();
  });
});

describe('fitSimilarity', () => {
  it('recovers scale, rotation and translation, and a rotation alone when asked', () => {
    const rng = new Rng(3);
    const a: Vec3[] = Array.from({ length: 20 }, () => [rng.normal(), rng.normal(), rng.normal()]);
    const c = Math.cos(0.7), s = Math.sin(0.7);
    const T = { scale: 1.3, R: [c, -s, 0, s, c, 0, 0, 0, 1], t: [0.5, -2, 3] as Vec3 };
    const b = a.map((p) => applySimilarity(T, p));
    const fit = fitSimilarity(a, b);
    expect(fit.scale).toBeCloseTo(1.3, 9);
    fit.R.forEach((v, i) => expect(v).toBeCloseTo(T.R[i]!, 9));
    fit.t.forEach((v, i) => expect(v).toBeCloseTo(T.t[i]!, 9));
    const rot = fitSimilarity(a, a.map((p) => applySimilarity({ ...T, scale: 1, t: [0, 0, 0] }, p)), { scale: false, translation: false });
    expect(rot.scale).toBe(1);
    rot.R.forEach((v, i) => expect(v).toBeCloseTo(T.R[i]!, 9));
  });
});
