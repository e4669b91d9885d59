import { describe, expect, it } from 'vitest';
import { LANDMARK_INDEX as L } from '../../src/formats/landmarks.ts';
import type { Vec3 } from '../../src/geometry/quaternion.ts';
import { rejectGross } from '../../src/reconstruct/kinematic-gross.ts';
import type { Observations } from '../../src/reconstruct/observations.ts';
import { stickFigure } from './fixtures.ts';

const intr = { fx: 1000, fy: 1000, cx: 640, cy: 360 };
const T = 60;

/** A squatting stick figure 4 m in front of the camera: exact 2D and 3D, camera axes. */
function clip(): Observations {
  const world: Vec3[][] = [];
  const points2d: [number, number][][] = [];
  for (let t = 0; t < T; t++) {
    const lm = stickFigure(1.7, 0.5 - 0.5 * Math.cos((2 * Math.PI * t) / 40));
    const cam = lm.map((p) => [p[0], p[1] - 1, p[2] - 4] as Vec3);
    world.push(cam);
    points2d.push(cam.map((p) => [intr.cx + (intr.fx * p[0]) / -p[2], intr.cy - (intr.fy * p[1]) / -p[2]] as [number, number]));
  }
  return {
    fps: 30, width: 1280, height: 720, frameCount: T, points2d, world,
    confidence: points2d.map((f) => f.map(() => 0.9)), valid: points2d.map(() => true), filledFrames: [],
  };
}

describe('rejectGross', () => {
  it('relabels a two-frame leg swap in 2D and down-weights a misplaced arm, leaving the clean frames alone', () => {
    const clean = clip();
    const noisy = structuredClone(clean);
    const legs = [[L.left_knee, L.right_knee], [L.left_ankle, L.right_ankle], [L.left_heel, L.right_heel], [L.left_foot_index, L.right_foot_index]];
    for (const t of [20, 21]) for (const [a, b] of legs) [noisy.points2d[t]![a!], noisy.points2d[t]![b!]] = [noisy.points2d[t]![b!]!, noisy.points2d[t]![a!]!];
    for (let t = 40; t < 44; t++) {
      for (const j of [L.left_elbow, L.left_wrist]) {
        noisy.points2d[t]![j]![0] += 120;
        noisy.world![t]![j]![0] += 0.45;
      }
    }
    const { obs, report } = rejectGross(noisy, {}, intr);
    expect(report.swaps2d).toBe(2);
    for (const t of [20, 21]) expect(obs.points2d[t]![L.left_ankle]).toEqual(clean.points2d[t]![L.left_ankle]);
    for (let t = 40; t < 44; t++) {
      expect(obs.confidence[t]![L.left_wrist]!).toBeLessThan(0.3 * 0.9);
      expect(obs.worldWeight![t]![L.left_wrist]!).toBeLessThan(0.3);
    }
    // Away from the failures nearly every landmark keeps most of its weight.
    const kept = obs.confidence.flatMap((f, t) => (t < 15 || t > 50 ? f : [])).filter((c) => c > 0.6 * 0.9).length;
    expect(kept / (T - 51 + 15) / 33).toBeGreaterThan(0.95);
  });

  it('changes nothing of a clean clip but the weights, which stay near 1', () => {
    const clean = clip();
    const { obs, report } = rejectGross(clean, {}, intr);
    expect(report.swaps2d + report.swaps3d).toBe(0);
    expect(obs.points2d).toEqual(clean.points2d);
    const w = obs.worldWeight!.flat();
    expect(w.filter((v) => v > 0.5).length / w.length).toBeGreaterThan(0.95);
  });
});
