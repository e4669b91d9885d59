import { describe, expect, it } from 'vitest';
import { landmarkPositions } from '../../src/body/fk.ts';
import { createSkeleton } from '../../src/body/skeleton.ts';
import type { Vec3 } from '../../src/geometry/quaternion.ts';
import { detectStance } from '../../src/reconstruct/kinematic-contact.ts';
import { prepareObservations } from '../../src/reconstruct/observations.ts';
import { buildScene } from '../../src/reconstruct/scene.ts';
import { keypointsFromLandmarks, squatPoses, testCamera } from './fixtures.ts';

describe('stance before the kinematic fit', () => {
  it('finds both feet of a squat down, and not a foot that the 3D guess lifts or that moves in the image', () => {
    const skel = createSkeleton({ height: 1.75 });
    const truth = squatPoses(skel, 12).map((p) => landmarkPositions(skel, p));
    const kp = keypointsFromLandmarks(truth, testCamera());
    const obs = prepareObservations(kp, 'synthetic');
    const scene = buildScene(obs, kp.camera, 'synthetic');
    expect(detectStance(obs, scene).every(([l, r]) => l === 1 && r === 1)).toBe(true);
    // The left foot 20 cm up in the 3D guess: only the right one stands.
    const lifted = { ...scene, initWorld: scene.initWorld.map((f) => f.map((p, j) => ([27, 29, 31].includes(j) ? [p[0], p[1] + 0.2, p[2]] : p) as Vec3)) };
    expect(detectStance(obs, lifted).every(([l, r]) => l === 0 && r === 1)).toBe(true);
    // The right ankle sweeping across the image: not down, though it stays low.
    const moving = { ...obs, points2d: obs.points2d.map((f, t) => f.map((p, j) => (j === 28 ? [p[0] + 40 * t, p[1]] : p) as [number, number])) };
    expect(detectStance(moving, scene).slice(2, 10).every(([l, r]) => l === 1 && r === 0)).toBe(true);
  });
});
