import { describe, expect, it } from 'vitest';
import { LANDMARK_COUNT } from '../../src/formats/landmarks.ts';
import { GROSS_LIMBS, GrossProcess, measureGross, type ErrorSequence } from '../../src/eval/noise-gross.ts';
import { Rng } from '../../src/random.ts';

const FRAMES = 120;
const zeros = (d: number) => Array.from({ length: LANDMARK_COUNT }, () => Array.from({ length: FRAMES }, () => new Array<number>(d).fill(0)));
const marginals = {
  bias2d: Array.from({ length: LANDMARK_COUNT }, () => [0, 0]), sigma2d: Array.from({ length: LANDMARK_COUNT }, () => [0.01, 0.01]),
  bias3d: Array.from({ length: LANDMARK_COUNT }, () => [0, 0, 0]), sigma3d: Array.from({ length: LANDMARK_COUNT }, () => [0.01, 0.01, 0.01]),
};

/** The left arm off in frames 30–40 and 44–50 (0.3 torso, 20 cm), the right leg in 36–46, the right arm alone in 90–94. */
function clustered(): ErrorSequence {
  const e2d = zeros(2), e3d = zeros(3);
  const plant = (limb: keyof typeof GROSS_LIMBS, from: number, to: number, size: number) => {
    for (let f = from; f < to; f++) for (const i of GROSS_LIMBS[limb]) { e2d[i]![f] = [0.3 * size, 0]; e3d[i]![f] = [0, 0, 0.2 * size]; }
  };
  plant('left_arm', 30, 40, 1); plant('left_arm', 44, 50, 2); plant('right_leg', 36, 46, 1); plant('right_arm', 90, 94, 1);
  return { e2d, e3d, t2d: zeros(2), t3d: zeros(3) };
}

describe('noise model: misplaced limbs as episodes', () => {
  it('groups runs of any limb that are close into one episode, each run at its own start, and leaves a distant run alone', () => {
    const { model, limbRuns } = measureGross([clustered()], marginals, 60);
    expect(limbRuns[0]!.map((r) => [r.limb, r.start, r.end])).toEqual(expect.arrayContaining([['left_arm', 30, 40], ['left_arm', 44, 50], ['right_leg', 36, 46], ['right_arm', 90, 94]]));
    const episodes = model.episodes!.events;
    expect(episodes).toHaveLength(2);
    expect(episodes[0]!.durationS).toBeCloseTo(20 / 60, 5);
    expect(episodes[0]!.runs.map((r) => [r.limb, Math.round(r.startS * 60)])).toEqual([['left_arm', 0], ['left_arm', 14], ['right_leg', 6]]);
    expect(episodes[1]!.runs.map((r) => r.limb)).toEqual(['right_arm']);
    // The rate counts the sighted time outside episodes: 120 − 24 frames.
    expect(model.episodes!.ratePerS).toBeCloseTo(2 / (96 / 60), 3);
    // Without episodes the same runs stay per-limb events.
    expect(measureGross([clustered()], marginals, 60, { episodeGapS: 0 }).model.episodes).toBeUndefined();
  });

  it('replays an episode whole at another frame rate: the limbs in the frames they failed in, with their offsets', () => {
    const { model } = measureGross([clustered()], marginals, 60);
    const one = { ...model, episodes: { ...model.episodes!, ratePerS: 1000, events: [model.episodes!.events[0]!] } };
    const zero = { ratePerS: 0, events: [] };
    const gross = { ...one, swaps: { arms: zero, legs: zero } };
    const process = new GrossProcess(gross, 60, 30, { bias2d: marginals.bias2d, bias3d: marginals.bias3d }, new Rng(3));
    const off: Array<{ arm: number; leg: number }> = [];
    for (let f = 0; f < 10; f++) {
      const clean = { px: Array.from({ length: LANDMARK_COUNT }, () => [0, 0] as [number, number]), world: Array.from({ length: LANDMARK_COUNT }, () => [0, 0, 0]), torso: 100 };
      const noisy = { px: clean.px.map((p) => [...p] as [number, number]), world: clean.world.map((p) => [...p]), torso: 100 };
      process.step(noisy, clean);
      off.push({ arm: noisy.px[GROSS_LIMBS.left_arm[0]!]![0], leg: noisy.world[GROSS_LIMBS.right_leg[0]!]![2]! });
    }
    // 30 fps: the episode's 20 frames at 60 fps are 10; it may start inside (a clip begins at a random moment), so find its first frame.
    const armFrames = off.map((o, f) => (o.arm > 0 ? f : -1)).filter((f) => f >= 0);
    const legFrames = off.map((o, f) => (o.leg > 0 ? f : -1)).filter((f) => f >= 0);
    expect(armFrames.length).toBeGreaterThan(0);
    expect(legFrames.length).toBeGreaterThan(0);
    // The second arm run is twice as far off as the first; the leg fails between the arm's two runs' starts.
    expect(Math.max(...off.map((o) => o.arm))).toBeCloseTo(60, 5);
    expect(Math.min(...legFrames)).toBeLessThan(Math.max(...armFrames));
  });
});
