import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readBvh } from '../../src/body/bvh.ts';
import { LANDMARK_COUNT, MEDIAPIPE_33 } from '../../src/formats/landmarks.ts';
import type { Vec3 } from '../../src/geometry/quaternion.ts';
import { NOISE_MODELS, measureNoiseModel, readNoiseModel, resolveNoiseModel, type NoiseModel, type NoiseSample } from '../../src/eval/noise-model.ts';
import { synthesize } from '../../src/eval/synth.ts';
import { PROJECT_ROOT } from '../helpers/shared-data.ts';

const clip = readBvh(`${PROJECT_ROOT}/data/demo-squat.bvh`);

/** A model whose landmarks differ (so a mix-up of landmarks or axes shows). */
function madeUpModel(): NoiseModel {
  return {
    format: 'optimus-motion/noise-model@1', detector: 'made-up', fps: 60, worldScale: 1.1, provenance: {},
    landmarks: MEDIAPIPE_33.map((name, i) => ({
      name, samples: 100,
      bias2d: [0.01 * ((i % 3) - 1), -0.02], sigma2d: [0.02 + 0.001 * i, 0.03], rho2d: 0.6 + 0.01 * (i % 30),
      bias3d: [0, 0.01, 0.03 * ((i % 2) * 2 - 1)], sigma3d: [0.02, 0.025, 0.04 + 0.002 * (i % 10)], rho3d: 0.9,
    })),
  };
}

/** Synthesizes with the model over several seeds and measures the noise against the clean synthesis. */
function remeasured(model: NoiseModel, fps: number, seeds: number[]): NoiseModel {
  const base = { fps, width: 1280, height: 720 };
  const clean = synthesize(clip, { ...base, noisePx: 0, worldNoise: 0 }).keypoints;
  const samples: NoiseSample[] = seeds.map((seed) => {
    const noisy = synthesize(clip, { ...base, seed, noiseModel: model }).keypoints;
    return {
      truthPx: clean.frames.map((f) => f.keypoints!.map((k) => [k[0], k[1]] as [number, number])),
      truthCam: clean.frames.map((f) => f.world! as Vec3[]),
      detectedPx: noisy.frames.map((f) => f.keypoints),
      detectedWorld: noisy.frames.map((f) => f.world!),
    };
  });
  return measureNoiseModel(samples, { detector: 'remeasured', fps, provenance: {} });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function expectReproduced(model: NoiseModel, got: NoiseModel, fps: number, biasSpreads = 0.8): void {
  expect(got.worldScale).toBeCloseTo(model.worldScale, 1);
  const ratio = (pick: (l: NoiseModel['landmarks'][number]) => number[]) =>
    median(model.landmarks.flatMap((l, i) => pick(l).map((v, k) => pick(got.landmarks[i]!)[k]! / v)));
  expect(Math.abs(ratio((l) => l.sigma2d) - 1)).toBeLessThan(0.1);
  expect(Math.abs(ratio((l) => l.sigma3d) - 1)).toBeLessThan(0.1);
  // Spreads follow the landmark they belong to (not only on average).
  for (let i = 0; i < LANDMARK_COUNT; i++) {
    const m = model.landmarks[i]!;
    const g = got.landmarks[i]!;
    for (let k = 0; k < 2; k++) expect(Math.abs(g.bias2d[k]! - m.bias2d[k]!)).toBeLessThan(0.8 * m.sigma2d[k]! + 1e-3);
    for (let k = 0; k < 3; k++) expect(Math.abs(g.bias3d[k]! - m.bias3d[k]!)).toBeLessThan(biasSpreads * m.sigma3d[k]! + 1e-3);
    // Persistence per second is kept when the frame rate differs from the measured one.
    expect(g.rho3d).toBeCloseTo(m.rho3d ** (model.fps / fps), 1);
  }
  const rhoErr = median(model.landmarks.map((m, i) => Math.abs(got.landmarks[i]!.rho2d - m.rho2d ** (model.fps / fps))));
  expect(rhoErr).toBeLessThan(0.08);
}

describe('noise model', () => {
  it('synth with a model reproduces its statistics: bias, spread, persistence (at another frame rate too)', () => {
    const model = madeUpModel();
    expectReproduced(model, remeasured(model, 60, [1, 2, 3, 4, 5, 6]), 60);
    expectReproduced(model, remeasured(model, 30, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 30);
  });

  it('without a model synth is unchanged (no model means the Gaussian detector of before)', () => {
    const a = synthesize(clip, { seed: 3, noisePx: 2 }).keypoints;
    expect(a.detector).toMatchObject({ noisePx: 2, worldNoise: 0.03 });
    expect(resolveNoiseModel('none')).toBeNull();
    expect(() => resolveNoiseModel('blazepsoe')).toThrow(/not one of blazepose, blazepose-heavy, none/);
  });

  it('the stored BlazePose model (measured by bench:real) is valid and reproduced by synth', () => {
    if (!existsSync(NOISE_MODELS.blazepose!)) return void console.warn('[skip] data/noise/blazepose-full.json not measured yet');
    const model = readNoiseModel(NOISE_MODELS.blazepose!);
    expect(model.provenance).toHaveProperty('command');
    expect(readNoiseModel(NOISE_MODELS['blazepose-heavy']!).detector).toBe('blazepose-heavy');
    // Its depth spreads (up to 0.18 m) shrink the per-sequence similarity's scale when it is measured again (0.87 for 0.91),
    // which shows as vertical biases of the head and feet ~1.1 spreads off: a limit of the measurement, checked at 1.3 spreads.
    expectReproduced(model, remeasured(model, 30, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 30, 1.3);
  });
});
