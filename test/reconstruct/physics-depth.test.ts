import { describe, expect, it } from 'vitest';
import { forwardKinematics } from '../../src/body/fk.ts';
import type { Pose } from '../../src/body/pose.ts';
import { soleState } from '../../src/reconstruct/foot-contact.ts';
import { anchorDepth } from '../../src/reconstruct/physics-depth.ts';
import { syntheticWalk } from './synthetic-walk.ts';

const moved = (p: Pose, dz: number, dx = 0): Pose => ({ ...p, rootPosition: [p.rootPosition[0] + dx, p.rootPosition[1], p.rootPosition[2] + dz] });

describe('the depth anchor', () => {
  // The synthetic walk's first frame held still, as a monocular fit of someone standing.
  const walk = syntheticWalk(1, 30);
  const stand = walk.motion[0]!;
  const camera: [number, number, number] = [0, 1.5, 4];
  const soleZ = (p: Pose) => soleState(walk.skel, forwardKinematics(walk.skel, p), 'left').centre[2];

  it('takes out a standing body sliding along the camera ray', () => {
    // 30 cm toward the camera and back over 1 s at 60 fps, feet and all.
    const drift = Array.from({ length: 61 }, (_, t) => moved(stand, 0.3 * Math.sin((Math.PI * t) / 60)));
    const { motion } = anchorDepth(walk.skel, drift, 60, camera);
    const z = motion.map(soleZ);
    expect(Math.max(...z) - Math.min(...z)).toBeLessThan(0.01);
  });

  it('leaves a slide across the ray and a fast move along it alone', () => {
    const across = Array.from({ length: 31 }, (_, t) => moved(stand, 0, (0.2 * t) / 30));
    // Across the ray only the ray's own turn moves it (a few mm at 4 m).
    expect(Math.max(...anchorDepth(walk.skel, across, 30, camera).shifts.map(Math.abs))).toBeLessThan(0.01);
    // 2.4 m/s toward the camera: a jump or a stride, not a fit's drift.
    const toward = Array.from({ length: 31 }, (_, t) => moved(stand, 0.08 * t));
    expect(Math.max(...anchorDepth(walk.skel, toward, 30, camera).shifts.map(Math.abs))).toBeLessThan(1e-9);
  });
});
