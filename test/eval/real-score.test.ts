import { describe, expect, it } from 'vitest';
import { readBvh } from '../../src/body/bvh.ts';
import { meanFootHeightMm, scoreSequence, stanceFrames } from '../../src/eval/real-score.ts';
import { synthesize } from '../../src/eval/synth.ts';
import type { Vec3 } from '../../src/geometry/quaternion.ts';
import { applySimilarity } from '../../src/geometry/similarity.ts';
import { PROJECT_ROOT } from '../helpers/shared-data.ts';

const truth = synthesize(readBvh(`${PROJECT_ROOT}/data/demo-squat.bvh`), { fps: 30 }).truth.frames.map((f) => f.joints3d as Vec3[]);
const rotZ = (a: number) => [Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a), 0, 0, 0, 1];

describe('scoreSequence (alignments that say what they forgive)', () => {
  it('one similarity for the clip: every error is zero and the scale is the size ratio', () => {
    const pred = truth.map((f) => f.map((p) => applySimilarity({ scale: 1 / 1.1, R: rotZ(0.8), t: [1, 2, 3] }, p)));
    const s = scoreSequence(pred, truth);
    expect(s.paMpjpe).toBeLessThan(1e-6);
    expect(s.waMpjpe!).toBeLessThan(1e-6);
    expect(s.waScale!).toBeCloseTo(1.1, 9);
    expect(s.poseScale).toBeCloseTo(1.1, 9);
    // Root-relative after one rotation keeps the size: a 10 % smaller body is off by centimetres.
    expect(s.rootRotMpjpe).toBeGreaterThan(10);
    expect(scoreSequence(truth.map((f) => f.map((p) => applySimilarity({ scale: 1, R: rotZ(0.8), t: [1, 2, 3] }, p))), truth).rootRotMpjpe).toBeLessThan(1e-6);
  });

  it('a rotation that changes over the clip is forgiven per frame (PA) but not by one rotation or WA', () => {
    const pred = truth.map((f, t) => f.map((p) => applySimilarity({ scale: 1, R: rotZ(0.02 * t), t: [0, 0, 0] }, p)));
    const s = scoreSequence(pred, truth);
    expect(s.paMpjpe).toBeLessThan(1e-6);
    expect(s.rootRotMpjpe).toBeGreaterThan(20);
    expect(s.waMpjpe!).toBeGreaterThan(20);
    expect(scoreSequence(pred, truth, { rootCentred: true }).waMpjpe).toBeNull();
  });

  it('missing truth frames and landmarks are left out, not counted as zero', () => {
    const holes = truth.map((f, t) => (t % 3 === 0 ? null : f.map((p, i) => (i === 27 ? null : p))));
    const pred = truth.map((f) => f.map((p) => [p[0] + 0.01, p[1], p[2]] as Vec3));
    expect(scoreSequence(pred, holes).frames).toBe(truth.length - Math.ceil(truth.length / 3));
  });

  it('stance frames and foot height: the lowest foot point above the ground', () => {
    const up: Vec3 = [0, 1, 0];
    const stance = stanceFrames(truth, up);
    expect(stance.length).toBeGreaterThan(truth.length / 2);
    const lifted = truth.map((f) => f.map((p) => [p[0], p[1] + 0.05, p[2]] as Vec3));
    expect(meanFootHeightMm(lifted, stance, up) - meanFootHeightMm(truth, stance, up)).toBeCloseTo(50, 6);
  });
});
