import { describe, expect, it } from 'vitest';
import { forwardKinematics } from '../../src/body/fk.ts';
import { legJoints, solveLeg } from '../../src/body/leg-ik.ts';
import type { Pose } from '../../src/body/pose.ts';
import { createSkeleton } from '../../src/body/skeleton.ts';
import { standingMotion } from '../../src/body/procedural.ts';
import type { Vec3 } from '../../src/geometry/quaternion.ts';
import { len, sub } from '../../src/geometry/vec3.ts';
import { simulatedMasses } from '../../src/physics/humanoid.ts';
import { balanceReference, supportGap } from '../../src/reconstruct/physics-balance.ts';

const skel = createSkeleton();
const fps = 30;
const left = legJoints('left').ankle, right = legJoints('right').ankle;

/**
 * 2 s on both feet, then on the left foot with the right one lifted 20 cm — and the body 30 cm
 * behind its stance foot (along z), as a monocular fit can place it: a pose no body holds.
 */
function leaningOnOneFoot(): { motion: Pose[]; contacts: Array<[boolean, boolean]> } {
  const stand = standingMotion(skel, { seconds: 3, fps });
  const motion = stand.map((p, t) => {
    if (t < 45) return p;
    // The body leans back over half a second, then lifts its right foot.
    const u = Math.min(1, (t - 45) / 15), back = 0.3 * u * u * (3 - 2 * u);
    const w = forwardKinematics(skel, p);
    const moved: Pose = { ...p, rootPosition: [p.rootPosition[0], p.rootPosition[1], p.rootPosition[2] - back] };
    let out = solveLeg(skel, moved, 'left', w.positions[left]!, w.rotations[left]!, forwardKinematics(skel, moved));
    const r = w.positions[right]!;
    out = solveLeg(skel, out, 'right', [r[0], r[1] + (t < 60 ? 0 : 0.2), r[2] - back], w.rotations[right]!, forwardKinematics(skel, out));
    return out;
  });
  return { motion, contacts: motion.map((_, t) => [true, t < 60]) };
}

describe('balanced reference', () => {
  it('moves the body over its stance foot, keeps the stance foot in place and the bones their lengths', () => {
    const { motion, contacts } = leaningOnOneFoot();
    const masses = simulatedMasses(skel);
    const gapBefore = supportGap(skel, forwardKinematics(skel, motion[80]!), masses, contacts[80]!, 0.8);
    expect(Math.hypot(...gapBefore)).toBeGreaterThan(0.1);
    const { motion: out } = balanceReference(skel, motion, fps, contacts);
    out.forEach((p, t) => {
      const w = forwardKinematics(skel, p), w0 = forwardKinematics(skel, motion[t]!);
      // Every frame at rest (not the lean itself, whose centre of mass moves at up to 0.9 m/s) within 1 cm of the support (the margin's polygon).
      if (t < 45 || t > 61) expect(Math.hypot(...supportGap(skel, w, masses, contacts[t]!, 0.8))).toBeLessThan(0.01);
      expect(len(sub(w.positions[left]!, w0.positions[left]!))).toBeLessThan(1e-3);
      skel.joints.forEach((j, k) => { if (j.parent >= 0) expect(len(sub(w.positions[k]!, w.positions[j.parent]!))).toBeCloseTo(len(j.offset), 9); });
    });
    // Frames that stand balanced, far from the lean, are left as they were.
    const root = (p: Pose): Vec3 => p.rootPosition;
    expect(len(sub(root(out[0]!), root(motion[0]!)))).toBeLessThan(1e-3);
  });

  it('leaves a motion that stands over its feet unchanged', () => {
    const stand = standingMotion(skel, { seconds: 1, fps });
    const { motion, shifts } = balanceReference(skel, stand, fps, stand.map(() => [true, true]));
    expect(shifts.every((s) => s[0] === 0 && s[1] === 0)).toBe(true);
    expect(motion).toEqual(stand);
  });
});
