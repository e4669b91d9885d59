import { describe, expect, it } from 'vitest';
import { readBvh } from '../../src/body/bvh.ts';
import { forwardKinematics, landmarksFromWorld } from '../../src/body/fk.ts';
import { retargetBvh } from '../../src/body/retarget.ts';
import { BODY_17, LANDMARK_INDEX, MEDIAPIPE_33 } from '../../src/formats/landmarks.ts';
import type { Vec3 } from '../../src/geometry/quaternion.ts';
import { applySimilarity, fitSimilarity } from '../../src/geometry/similarity.ts';
import { drawPlacement, measurePlacement, placeLandmarks, placementOf, recoveryOf, worldRotations, type Placement } from '../../src/eval/landmark-placement.ts';
import { resolveNoiseModel } from '../../src/eval/noise-model.ts';
import { synthesize } from '../../src/eval/synth.ts';
import { Rng } from '../../src/random.ts';
import { projectPoint } from '../../src/geometry/camera.ts';
import { PROJECT_ROOT } from '../helpers/shared-data.ts';

const clip = readBvh(`${PROJECT_ROOT}/data/demo-squat.bvh`);
const BODY = BODY_17.map((n) => LANDMARK_INDEX[n]);

/** A made-up person: offsets of 2–6 cm that differ by landmark and axis. */
function person(name: string, sign: number): { name: string; joints: Placement['joints']; offsets: Vec3[]; frames: number } {
  const joints = resolveNoiseModel('blazepose-placed')!.placement!.joints;
  return { name, joints, frames: 100, offsets: MEDIAPIPE_33.map((_, i) => [0.02 * sign * ((i % 3) - 1), 0.03 + 0.001 * (i % 7), -0.04 * sign * (i % 2)] as Vec3) };
}

/** Mean PA error (m) over frames of the 17 body landmarks. */
function pa(model: Vec3[][], truth: Vec3[][]): number {
  let e = 0;
  let n = 0;
  model.forEach((m, f) => {
    const p = BODY.map((i) => m[i]!);
    const t = BODY.map((i) => truth[f]![i]!);
    const sim = fitSimilarity(p, t);
    p.forEach((q, b) => { e += Math.hypot(...applySimilarity(sim, q).map((v, k) => v - t[b]![k]!)); n += 1; });
  });
  return e / n;
}

describe('landmark placement', () => {
  it('measures planted offsets well enough that the skeleton plus them reaches the placed truth', () => {
    const { skeleton, poses } = retargetBvh(clip, { fps: 30, seconds: 3 });
    const worlds = poses.map((p) => forwardKinematics(skeleton, p));
    const skeletal = worlds.map((w) => landmarksFromWorld(skeleton, w));
    const planted = placementOf([person('a', 1)], 'test');
    const truth = skeletal.map((l, k) => placeLandmarks(l, worlds[k]!, planted, planted.people[0]!.offsets));
    const model = skeletal.map((landmarks, k) => ({ landmarks, rotations: worldRotations(poses[k]!.rootRotation, poses[k]!.rotations) }));
    const measured = measurePlacement([{ model, truth }])!;
    expect(measured.frames).toBe(skeletal.length);
    expect(measured.joints).toEqual(planted.joints);
    const fitted = placementOf([{ name: 'm', ...measured }], 'test');
    const reached = skeletal.map((l, k) => placeLandmarks(l, worlds[k]!, fitted, measured.offsets));
    const before = pa(skeletal, truth);
    expect(before).toBeGreaterThan(0.015);
    expect(pa(reached, truth)).toBeLessThan(0.3 * before);
  });

  it('draws subjects from the measured people: their mean, spread |a − b|/√2, one person exactly, seeded', () => {
    const a = person('a', 1);
    const b = person('b', -1);
    const two = placementOf([a, b], 'test');
    const rng = new Rng(7);
    const draws = Array.from({ length: 4000 }, () => drawPlacement(two, rng));
    const i = 3;
    for (let k = 0; k < 3; k++) {
      const xs = draws.map((d) => d[i]![k]!);
      const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
      expect(mean).toBeCloseTo((a.offsets[i]![k]! + b.offsets[i]![k]!) / 2, 2);
      expect(sd).toBeCloseTo(Math.abs(a.offsets[i]![k]! - b.offsets[i]![k]!) / Math.SQRT2, 2);
    }
    expect(drawPlacement(placementOf([a], 'test'), new Rng(1)).map((v) => v.map((x) => x + 0))).toEqual(a.offsets.map((v) => v.map((x) => x + 0)));
    expect(drawPlacement(two, new Rng(3))).toEqual(drawPlacement(two, new Rng(3)));
    // A measurement that recovers half of an offset: subjects get twice the measured one, and the share is found again.
    const half = drawPlacement({ ...placementOf([a], 'test'), recovery: 0.5 }, new Rng(1));
    expect(half[i]![1]).toBeCloseTo(2 * a.offsets[i]![1]!, 10);
    expect(recoveryOf([{ planted: half, recovered: a.offsets }])).toBeCloseTo(0.5, 10);
  });

  it('synth moves the truth and the detector by the subject\'s offsets only with a placed model; the named structured model keeps its earlier meaning', () => {
    const placed = resolveNoiseModel('blazepose-placed')!;
    const structured = resolveNoiseModel('blazepose-structured')!;
    expect(placed.placement?.people.map((p) => p.name)).toEqual(['man', 'woman']);
    expect(structured.placement).toBeUndefined();
    expect(structured.format).toBe('optimus-motion/noise-model@2');
    const opts = { seconds: 1, fps: 30, seed: 2 };
    const plain = synthesize(clip, { ...opts, noiseModel: structured });
    const moved = synthesize(clip, { ...opts, noiseModel: placed });
    const shift = moved.truth.frames.flatMap((f, k) => BODY.map((i) => Math.hypot(...f.joints3d[i]!.map((v, c) => v - plain.truth.frames[k]!.joints3d[i]![c]!))));
    expect(Math.max(...shift)).toBeGreaterThan(0.01);
    expect(Math.max(...shift)).toBeLessThan(0.15);
    // The detector's noise draws are the same: the observations move with the truth's projection (the torso's size in px aside).
    const gaps = BODY.map((i) => {
      const d = (s: typeof plain) => s.keypoints.frames[5]!.keypoints![i]!;
      const p = (s: typeof plain) => projectPoint(s.camera, s.truth.frames[5]!.joints3d[i]!)!;
      const [dk, dp] = [[d(moved), d(plain)], [p(moved), p(plain)]].map(([x, y]) => [x![0] - y![0], x![1] - y![1]]);
      return Math.hypot(dk![0]! - dp![0]!, dk![1]! - dp![1]!);
    });
    expect(Math.max(...gaps)).toBeLessThan(8);
    expect(gaps.reduce((a, b) => a + b, 0) / gaps.length).toBeLessThan(3);
    expect(synthesize(clip, { ...opts, noiseModel: placed }).truth.frames[3]!.joints3d).toEqual(moved.truth.frames[3]!.joints3d);
    // Another clip name is another subject.
    const other = synthesize({ ...clip, source: 'other.bvh' }, { ...opts, noiseModel: placed });
    expect(other.truth.frames[3]!.joints3d).not.toEqual(moved.truth.frames[3]!.joints3d);
  });
});
