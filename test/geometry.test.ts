import { describe, expect, it } from 'vitest';
import { guessIntrinsics, lookAt, pixelRay, procrustesAlign, projectPoint, quatFromAxisAngle, quatFromMatrix, quatRotate, quatToMatrix, type Vec3 } from '../src/geometry/index.ts';

describe('geometry', () => {
  it('quaternion rotation matches the matrix form', () => {
    const q = quatFromAxisAngle([0.3, -1, 0.5], 1.1);
    const m = quatToMatrix(q);
    const v: Vec3 = [0.2, 0.7, -1.3];
    const r = quatRotate(q, v);
    for (let i = 0; i < 3; i++) expect(r[i]).toBeCloseTo(m[3 * i]! * v[0] + m[3 * i + 1]! * v[1] + m[3 * i + 2]! * v[2], 12);
    const back = quatFromMatrix(m);
    expect(Math.abs(back[0] * q[0] + back[1] * q[1] + back[2] * q[2] + back[3] * q[3])).toBeCloseTo(1, 10);
  });

  it('a lookAt camera projects its target to the principal point and a point above it upward', () => {
    const K = guessIntrinsics(640, 480, { fovDeg: 60 });
    const cam = lookAt([0, 1.5, 4], [0, 1, 0], K);
    const c = projectPoint(cam, [0, 1, 0])!;
    expect(c[0]).toBeCloseTo(320, 6);
    expect(c[1]).toBeCloseTo(240, 6);
    const up = projectPoint(cam, [0, 1.5, 0])!;
    expect(up[1]).toBeLessThan(240);
    const right = projectPoint(cam, [0.5, 1, 0])!;
    expect(right[0]).toBeGreaterThan(320);
    const ray = pixelRay(cam, up[0], up[1]);
    // The ray through the projection of a point passes through it.
    const d: Vec3 = [0 - 0, 1.5 - 1.5, 0 - 4];
    const t = d[2] / ray[2];
    expect(ray[1] * t).toBeCloseTo(d[1], 6);
  });

  it('procrustes recovers a similarity transform exactly', () => {
    const a: Vec3[] = [[0, 0, 0], [1, 0, 0], [0, 2, 0], [0, 0, 3], [1, 1, 1]];
    const q = quatFromAxisAngle([1, 2, 3], 0.8);
    const b = a.map((p) => { const r = quatRotate(q, p); return [2 * r[0] + 1, 2 * r[1] - 3, 2 * r[2] + 0.5] as Vec3; });
    const aligned = procrustesAlign(a, b);
    aligned.forEach((p, i) => p.forEach((v, k) => expect(v).toBeCloseTo(b[i]![k]!, 8)));
  });
});
