import { beforeAll, describe, expect, it } from 'vitest';
import { landmarkPositions } from '../../src/body/fk.ts';
import { createSkeleton } from '../../src/body/skeleton.ts';
import { worldToCamera } from '../../src/geometry/camera.ts';
import type { Vec3 } from '../../src/geometry/quaternion.ts';
import { initBackend } from '../../src/optimus/backend.ts';
import { runKinematic } from '../../src/reconstruct/kinematic.ts';
import { prepareObservations } from '../../src/reconstruct/observations.ts';
import { buildScene } from '../../src/reconstruct/scene.ts';
import { makeWindows } from '../../src/reconstruct/windows.ts';
import { keypointsFromLandmarks, squatPoses, testCamera } from './fixtures.ts';

/** Root-aligned MPJPE (mm) of two landmark sequences, each expressed in its own camera frame. */
function mpjpeMm(a: Vec3[][], b: Vec3[][]): number {
  let s = 0, n = 0;
  a.forEach((f, t) => {
    const g = b[t]!;
    const ra = f[23]!.map((v, i) => (v + f[24]![i]!) / 2);
    const rb = g[23]!.map((v, i) => (v + g[24]![i]!) / 2);
    f.forEach((p, j) => { s += Math.hypot(...p.map((v, i) => v - ra[i]! - (g[j]![i]! - rb[i]!))); n++; });
  });
  return (1000 * s) / n;
}

describe('windows', () => {
  it('cover the clip with overlaps, and a clip shorter than a window is one shorter window', () => {
    expect(makeWindows(5, 8, 2)).toEqual([{ index: 0, start: 0, end: 5 }]);
    const w = makeWindows(20, 8, 2);
    expect(w[0]).toEqual({ index: 0, start: 0, end: 8 });
    expect(w[1]!.start).toBe(6);
    expect(w[w.length - 1]!.end).toBe(20);
    for (let i = 1; i < w.length; i++) expect(w[i]!.start).toBe(w[i - 1]!.end - 2);
  });
});

describe('kinematic stage', () => {
  beforeAll(async () => { await initBackend('wasm'); });

  it('recovers a synthetic motion (no noise) to ≤ 20 mm MPJPE on a short clip', () => {
    const skel = createSkeleton({ height: 1.75 });
    const poses = squatPoses(skel, 8);
    const truth = poses.map((p) => landmarkPositions(skel, p));
    const camera = testCamera();
    const kp = keypointsFromLandmarks(truth, camera);
    const obs = prepareObservations(kp, 'synthetic');
    const scene = buildScene(obs, kp.camera, 'synthetic');
    expect(Math.abs(scene.skel.height - skel.height)).toBeLessThan(0.02);
    // Start away from the answer: the 3D guess is perturbed, so the 2D term must do the work.
    scene.initWorld = scene.initWorld.map((f, t) => f.map((p, j) => [p[0] + 0.03 * Math.sin(j + t), p[1] + 0.03 * Math.cos(2 * j), p[2] + 0.03 * Math.sin(3 * j)] as Vec3));
    const r = runKinematic(obs, scene, { optimizer: 'lbfgs', initIterations: 10, iterations: 90 });
    const err = mpjpeMm(r.landmarks.map((f) => f.map((p) => worldToCamera(scene.camera, p))), truth.map((f) => f.map((p) => worldToCamera(camera, p))));
    expect(err).toBeLessThan(20);
    expect(r.lossCurve[r.lossCurve.length - 1]).toBeLessThan(r.lossCurve[0]!);
    expect(r.poses).toHaveLength(8);
  }, 120_000);
});
