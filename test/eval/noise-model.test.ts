import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readBvh } from '../../src/body/bvh.ts';
import { LANDMARK_COUNT, LANDMARK_INDEX, LANDMARK_MIRROR, MEDIAPIPE_33 } from '../../src/formats/landmarks.ts';
import type { Vec3 } from '../../src/geometry/quaternion.ts';
import { NOISE_MODELS, readNoiseModel, resolveNoiseModel, type NoiseModel } from '../../src/eval/noise-model.ts';
import { measureNoiseModel, type NoiseSample } from '../../src/eval/noise-model-fit.ts';
import { GROSS_LIMBS } from '../../src/eval/noise-gross.ts';
import { synthesize } from '../../src/eval/synth.ts';
import { Rng } from '../../src/random.ts';
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
    expect(() => resolveNoiseModel('blazepsoe')).toThrow(/not one of blazepose, blazepose-structured, blazepose-placed, blazepose-heavy, placement-only, none/);
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

const clean60 = synthesize(clip, { fps: 60, width: 1280, height: 720, noisePx: 0, worldNoise: 0 }).keypoints;
const truthPx = clean60.frames.map((f) => f.keypoints!.map((k) => [k[0], k[1]] as [number, number]));
const truthWorld = clean60.frames.map((f) => f.world! as Vec3[]);
const LEG = GROSS_LIMBS.left_leg;

/**
 * Detections with a planted structure: a persistent error shared by the left leg's depth
 * (AR(1) 0.95, 6 cm), small independent noise everywhere, and the legs' labels swapped in
 * two runs of 6 frames (in the image and in 3D).
 */
function planted(seed: number): NoiseSample {
  const rng = new Rng(seed);
  let shared = 0;
  const swapped = (f: number) => (f >= 20 && f < 26) || (f >= 70 && f < 76);
  const legs = [...GROSS_LIMBS.left_leg, ...GROSS_LIMBS.right_leg];
  const detectedWorld = truthWorld.map((frame, f) => {
    shared = 0.95 * shared + Math.sqrt(1 - 0.95 ** 2) * rng.normal();
    const w = frame.map((p, i) => p.map((x, k) => x + 0.01 * rng.normal() + (k === 2 && LEG.includes(i) ? 0.06 * shared : 0)));
    return w.map((p, i) => (swapped(f) && legs.includes(i) ? w[LANDMARK_MIRROR[i]!]! : p)) as Vec3[];
  });
  const detectedPx = truthPx.map((frame, f) => {
    const p = frame.map((q) => [q[0] + rng.normal(), q[1] + rng.normal(), 0.9] as const);
    return p.map((q, i) => (swapped(f) && legs.includes(i) ? p[LANDMARK_MIRROR[i]!]! : q));
  });
  return { truthPx, truthCam: truthWorld, detectedPx, detectedWorld };
}

describe('noise model: correlations and gross failures', () => {
  it('finds a planted shared error (its landmarks, its persistence) and planted side swaps (their number and length)', () => {
    const m = measureNoiseModel([planted(1), planted(2)], { detector: 'planted', fps: 60, provenance: {} });
    expect(m.format).toBe('optimus-motion/noise-model@2');
    const s = m.summary!;
    // The left leg's depths correlate (0.97 as planted), the right's do not: the mean over both legs is half.
    expect(s.legDepthCorr).toBeGreaterThan(0.4);
    expect(s.legDepthCorr).toBeLessThan(0.55);
    expect(Math.abs(s.legAcrossCorr!)).toBeLessThan(0.2);
    // The first factor is the leg's depth: loads on those coordinates, persists as planted.
    const f = m.factors!;
    const depth = (i: number) => 2 * 33 + 3 * i + 2;
    const top = f.loadings[0]!;
    for (const i of LEG) expect(Math.abs(top[depth(i)]!)).toBeGreaterThan(0.7);
    expect(Math.abs(top[depth(LANDMARK_INDEX.right_knee)]!)).toBeLessThan(0.3);
    expect(f.rho[0]).toBeGreaterThan(0.85);
    const swaps = m.gross!.swaps.legs.events;
    expect(swaps).toHaveLength(4);
    for (const e of swaps) {
      expect(e.durationS).toBeCloseTo(6 / 60, 5);
      expect(e.in2d).toBe(1);
      expect(e.in3d).toBe(1);
    }
    expect(m.gross!.swaps.arms.events).toHaveLength(0);
  });

  it('a model without structure (format @1) still reads and synthesizes as before', () => {
    const v1 = readNoiseModel(NOISE_MODELS.blazepose!);
    expect(v1.format).toBe('optimus-motion/noise-model@1');
    const a = synthesize(clip, { seed: 4, noiseModel: v1 }).keypoints;
    const b = synthesize(clip, { seed: 4, noiseModel: { ...v1, format: 'optimus-motion/noise-model@2' } }).keypoints;
    expect(b.frames[10]!.world).toEqual(a.frames[10]!.world);
  });

  it('synth with the calibrated model reproduces the real statistics: limbs erring together, gross failures, the 3D pose error', () => {
    const path = NOISE_MODELS['blazepose-structured']!;
    if (!existsSync(path)) return void console.warn('[skip] data/noise/blazepose-full-structured.json not measured yet');
    const model = readNoiseModel(path);
    const real = model.summary!;
    const got = remeasured(model, 30, [1, 2, 3, 4, 5, 6]).summary!;
    expect(Math.abs(got.legDepthCorr! - real.legDepthCorr!)).toBeLessThan(0.12);
    expect(Math.abs(got.armDepthCorr! - real.armDepthCorr!)).toBeLessThan(0.12);
    expect(Math.abs(got.legAcrossCorr! - real.legAcrossCorr!)).toBeLessThan(0.12);
    expect(got.swapsPerS! / real.swapsPerS!).toBeGreaterThan(0.5);
    expect(got.swapsPerS! / real.swapsPerS!).toBeLessThan(2);
    expect(got.misplacedPerS! / real.misplacedPerS!).toBeGreaterThan(0.4);
    expect(got.misplacedPerS! / real.misplacedPerS!).toBeLessThan(2);
    expect(Math.abs(got.worldPaMm! / real.worldPaMm! - 1)).toBeLessThan(0.25);
    // The same checks tell the independent model apart: its limbs do not err together, nothing gross happens.
    const independent = remeasured({ ...model, factors: undefined, gross: undefined }, 30, [1, 2, 3]).summary!;
    expect(independent.legDepthCorr).toBeLessThan(0.2);
    expect(independent.swapsPerS).toBeLessThan(0.5 * real.swapsPerS!);
  });
});
