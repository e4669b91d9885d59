import { describe, expect, it } from 'vitest';
import { landmarkPositions } from '../../src/body/fk.ts';
import { squatMotion } from '../../src/body/procedural.ts';
import { createSkeleton } from '../../src/body/skeleton.ts';
import { controlReference } from '../../src/physics/control-reference.ts';
import { CONTROLLER_DEFAULTS } from '../../src/physics/controller.ts';
import { humanoidSnapshot } from '../../src/physics/humanoid.ts';
import { createSyncRolloutPool } from '../../src/physics/pool.ts';
import { sampledAngles, searchControls, SAMPLING_DEFAULTS } from '../../src/physics/sampling.ts';

const skel = createSkeleton();

/** A squat's first 11 frames as the search sees them: snapshot, reference, landmarks. */
async function setup() {
  const poses = squatMotion(skel, { seconds: 0.4, fps: 30, depth: 0.4 }).slice(0, 11);
  const { snapshot, layout } = await humanoidSnapshot(skel, { pose: poses[0]!, next: { pose: poses[1]!, dt: 1 / 30 } });
  const reference = controlReference(layout, poses, 30);
  const landmarks = new Float64Array(poses.length * 99);
  poses.forEach((p, k) => landmarkPositions(skel, p).forEach((l, i) => landmarks.set(l, k * 99 + i * 3)));
  const pool = await createSyncRolloutPool({ workers: 0 });
  return { snapshot, layout, reference, landmarks, pool, S: Math.round(layout.options.rate / 30) };
}

describe('sampling search: controls continuous across segments and windows', () => {
  it('starts from the offsets it is given and merges a short last segment into the one before', async () => {
    const { snapshot, layout, reference, landmarks, pool, S } = await setup();
    const D = reference.angles.length / reference.frames;
    const idx = sampledAngles(layout, SAMPLING_DEFAULTS.joints);
    const start = new Float64Array(D);
    idx.forEach((a, i) => { start[a] = 0.01 * (i + 1); });
    const options = { samples: 4, beam: 1, lookaheadFrames: 2, seed: 3 };
    const merged = await searchControls(pool, layout, snapshot, reference, landmarks, 10, S, CONTROLLER_DEFAULTS, { ...options, tailMerge: true }, false, start);
    const split = await searchControls(pool, layout, snapshot, reference, landmarks, 10, S, CONTROLLER_DEFAULTS, { ...options, tailMerge: false });
    // 3 + 3 + 4 frames: 3 segments of 4 samples; 3 + 3 + 3 + 1: 4 segments.
    expect(merged.rollouts).toBe(12);
    expect(split.rollouts).toBe(16);
    expect(merged.frames).toBe(10);
    // The first frame's offsets are the ones given (no jump at the window's seam), and none without them.
    for (const a of idx) {
      expect(merged.offsets[a]).toBeCloseTo(start[a]!, 12);
      expect(split.offsets[a]).toBe(0);
    }
  }, 60_000);

  it('spends refit rounds only on segments still tracking worse than hardError', async () => {
    const { snapshot, layout, reference, landmarks, pool, S } = await setup();
    const options = { samples: 4, beam: 1, lookaheadFrames: 2, seed: 3, tailMerge: true, hardRounds: 2 };
    // 3 segments of 4 samples; a bar no candidate meets gives each 2 rounds of 4 more, one no candidate misses none.
    const hard = await searchControls(pool, layout, snapshot, reference, landmarks, 10, S, CONTROLLER_DEFAULTS, { ...options, hardError: 1e-9 });
    const easy = await searchControls(pool, layout, snapshot, reference, landmarks, 10, S, CONTROLLER_DEFAULTS, { ...options, hardError: 10 });
    expect(hard.rollouts).toBe(36);
    expect(easy.rollouts).toBe(12);
  }, 60_000);
});
