import { describe, expect, it } from 'vitest';
import { BALANCE_DEFAULTS, feetRelativeTarget, type BalanceTarget } from '../../src/physics/balance.ts';

/** A state of 8 bodies whose left foot (body 3) and right foot (body 6) stand at the given places. */
function state(left: [number, number, number], right: [number, number, number]) {
  const pose = new Float64Array(8 * 7);
  pose.set(left, 3 * 7);
  pose.set(right, 6 * 7);
  return { pose, velocity: new Float64Array(8 * 6) };
}
const chains: [number[], number[]] = [[1, 2, 3], [4, 5, 6]];
const target: BalanceTarget = { com: [0, 0.9, 0], comVel: [0, 0, 0], rootRot: [0, 0, 0, 1] };

describe('balance target relative to the stance feet', () => {
  it('is off by default', () => {
    expect(BALANCE_DEFAULTS.feetRelative).toBe(0);
  });

  it('moves the centre-of-mass target horizontally with the stance feet, weighted by their shares', () => {
    // The body stands 0.2 m behind (−z) its reference's feet on the left foot, 0.1 m on the right.
    const s = state([0.1, 0.05, -0.2], [-0.1, 0.05, -0.1]);
    const refFeet = [0.1, 0.05, 0, -0.1, 0.05, 0];
    const single = feetRelativeTarget(s, chains, [1, 0], refFeet, target, 1);
    expect(single.com[2]).toBeCloseTo(-0.2, 12);
    expect(single.com[1]).toBe(0.9);
    const both = feetRelativeTarget(s, chains, [0.5, 0.5], refFeet, target, 1);
    expect(both.com[2]).toBeCloseTo(-0.15, 12);
    const half = feetRelativeTarget(s, chains, [0.5, 0.5], refFeet, target, 0.5);
    expect(half.com[2]).toBeCloseTo(-0.075, 12);
    expect(feetRelativeTarget(s, chains, [0, 0], refFeet, target, 1)).toBe(target);
  });
});
