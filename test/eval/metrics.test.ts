import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../../src/geometry/quaternion.ts';
import { quatFromAxisAngle, quatRotate } from '../../src/geometry/quaternion.ts';
import { LANDMARK_INDEX } from '../../src/formats/landmarks.ts';
import {
  accelError, computeMetrics, EVAL_LANDMARKS, floatMm, footSkatePct, groundDistanceMm, mpjpe, mpjpeG, paMpjpe, penetrationMm, perLandmarkErrors,
} from '../../src/eval/metrics.ts';
import { evaluate, evaluateFiles, readLandmarkSequence } from '../../src/eval/evaluate.ts';
import { UserError } from '../../src/errors.ts';
import { Rng } from '../../src/random.ts';

/** A fake body: 33 landmarks spread over a 1.7 m figure, feet (heels, toes) on the ground. */
function body(seed: number, shift: Vec3 = [0, 0, 0]): Vec3[] {
  const rng = new Rng(seed);
  const lm: Vec3[] = Array.from({ length: 33 }, () => [rng.uniform(-0.3, 0.3), rng.uniform(0.3, 1.7), rng.uniform(-0.15, 0.15)] as Vec3);
  lm[LANDMARK_INDEX.left_hip] = [0.1, 0.9, 0];
  lm[LANDMARK_INDEX.right_hip] = [-0.1, 0.9, 0];
  for (const n of ['left_heel', 'right_heel', 'left_foot_index', 'right_foot_index'] as const) lm[LANDMARK_INDEX[n]] = [rng.uniform(-0.2, 0.2), 0.01, rng.uniform(-0.1, 0.2)];
  return lm.map((p) => [p[0] + shift[0], p[1] + shift[1], p[2] + shift[2]] as Vec3);
}

const clip = (n: number, f: (k: number) => Vec3[]): Vec3[][] => Array.from({ length: n }, (_, k) => f(k));

describe('metrics', () => {
  const truth = clip(10, (k) => body(k));

  it('a known global offset is the MPJPE-G, and 0 for MPJPE, PA-MPJPE and acceleration error', () => {
    const pred = truth.map((f) => f.map((p) => [p[0] + 0.03, p[1] + 0.04, p[2]] as Vec3)); // 50 mm
    expect(mpjpeG(pred, truth)).toBeCloseTo(50, 9);
    expect(mpjpe(pred, truth)).toBeCloseTo(0, 9);
    expect(paMpjpe(pred, truth)).toBeCloseTo(0, 6);
    expect(accelError(pred, truth)).toBeCloseTo(0, 9);
  });

  it('a rotated and scaled copy has PA-MPJPE 0 but not MPJPE', () => {
    const q = quatFromAxisAngle([0, 1, 0], 0.4);
    const pred = truth.map((f) => f.map((p) => quatRotate(q, [p[0] * 1.1, p[1] * 1.1, p[2] * 1.1])));
    expect(paMpjpe(pred, truth)).toBeCloseTo(0, 6);
    expect(mpjpe(pred, truth)).toBeGreaterThan(10);
  });

  it('MPJPE subtracts the pelvis (hip midpoint) and averages over the 17 body landmarks', () => {
    const pred = truth.map((f) => {
      const g = f.map((p) => [...p] as Vec3);
      g[LANDMARK_INDEX.nose] = [g[0]![0] + 0.017, g[0]![1], g[0]![2]]; // 17 mm on 1 of 17 landmarks
      return g;
    });
    expect(EVAL_LANDMARKS.length).toBe(17);
    expect(mpjpe(pred, truth)).toBeCloseTo(1, 9);
    // Moving a face landmark that is not scored changes nothing.
    const face = truth.map((f) => f.map((p, i) => (i === LANDMARK_INDEX.left_eye ? [p[0] + 1, p[1], p[2]] as Vec3 : p)));
    expect(mpjpe(face, truth)).toBe(0);
  });

  it('acceleration error of a one-frame spike', () => {
    const still = clip(5, () => body(1));
    const spike = still.map((f, k) => f.map((p, i) => (k === 2 && i === LANDMARK_INDEX.nose ? [p[0] + 0.001, p[1], p[2]] as Vec3 : p)));
    // Second differences at frames 1, 2, 3 on the nose: 1, 2, 1 mm; mean over 3 frames × 17 landmarks.
    expect(accelError(spike, still)).toBeCloseTo(4 / (3 * 17), 9);
  });

  it('a foot sliding on the ground counts as skating; a lifted or slow foot does not', () => {
    const slide = (dx: number, y: number): Vec3[][] => clip(11, (k) => {
      const f = body(3);
      f[LANDMARK_INDEX.left_heel] = [dx * k, y, 0];
      f[LANDMARK_INDEX.left_foot_index] = [dx * k, y, 0.2];
      return f;
    });
    expect(footSkatePct(slide(0.03, 0.01))).toBeCloseTo(100, 9); // 3 cm per frame at 1 cm height
    expect(footSkatePct(slide(0.01, 0.01))).toBe(0); // 1 cm per frame: below the 2 cm threshold
    expect(footSkatePct(slide(0.03, 0.2))).toBe(0); // in the air
    const half = slide(0.03, 0.01).map((f, k) => (k >= 6 ? f.map((p, i) => (i === LANDMARK_INDEX.left_heel || i === LANDMARK_INDEX.left_foot_index ? [0.15, 0.01, i === LANDMARK_INDEX.left_heel ? 0 : 0.2] as Vec3 : p)) : f));
    expect(footSkatePct(half)).toBeCloseTo(50, 9); // transitions 0→1 … 4→5 slide, then the foot stands at x = 0.15
  });

  it('penetration is the mean depth of the foot points below the ground; ground distance compares contact heights', () => {
    const sunk = truth.map((f) => f.map((p, i) => ([29, 30, 31, 32].includes(i) ? [p[0], -0.01, p[2]] as Vec3 : p)));
    expect(penetrationMm(sunk)).toBeCloseTo(10, 9);
    expect(penetrationMm(truth)).toBe(0);
    expect(groundDistanceMm(sunk, truth)).toBeCloseTo(20, 9); // truth soles at +1 cm, prediction at −1 cm
    const floating = truth.map((f) => f.map((p) => [p[0], p[1] + 0.05, p[2]] as Vec3));
    expect(groundDistanceMm(floating, truth)).toBeCloseTo(50, 9);
  });

  it('float is the height of the lowest foot point above the ground over the contact frames, hovering only', () => {
    // Truth soles at +1 cm: every frame is a contact frame.
    expect(floatMm(truth, truth)).toBeCloseTo(10, 9);
    const hovering = truth.map((f) => f.map((p) => [p[0], p[1] + 0.05, p[2]] as Vec3));
    expect(floatMm(hovering, truth)).toBeCloseTo(60, 9);
    expect(computeMetrics(hovering, truth).floatMm).toBeCloseTo(60, 9);
    // Sinking is penetration, not negative float.
    const sunk = truth.map((f) => f.map((p) => [p[0], p[1] - 0.03, p[2]] as Vec3));
    expect(floatMm(sunk, truth)).toBe(0);
    // Only frames where the truth has a foot down count: lift the truth's feet in half the frames.
    const jumping = truth.map((f, t) => (t % 2 ? f.map((p) => [p[0], p[1] + 0.3, p[2]] as Vec3) : f));
    expect(floatMm(hovering, jumping)).toBeCloseTo(60, 9);
    expect(floatMm(jumping, truth)).toBeCloseTo((10 + 310) / 2, 9);
    // Without a truth, the prediction's own contact frames: the hovering one has none under 5 cm.
    expect(floatMm(truth)).toBeCloseTo(10, 9);
    expect(floatMm(hovering)).toBe(0);
  });

  it('eval(truth, truth) = 0 for every error metric', () => {
    const m = computeMetrics(truth, truth);
    expect(m.mpjpe).toBe(0);
    expect(m.mpjpeG).toBe(0);
    expect(m.paMpjpe).toBeCloseTo(0, 9);
    expect(m.accelError).toBe(0);
    expect(m.groundDistanceMm).toBe(0);
    expect(m.penetrationMm).toBe(0);
    expect(m.frames).toBe(10);
  });
});

describe('evaluate (files)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eval-'));
  const frames = clip(4, (k) => body(k));
  const camera = { fx: 1000, fy: 1000, cx: 640, cy: 360, rotation: [0, 0, 0, 1], position: [0, 1, 4] };
  const skeleton = { joints: [{ name: 'pelvis', parent: null, offset: [0, 0, 0], dof: 6 }] };
  const truthPath = join(dir, 'truth.json');
  writeFileSync(truthPath, JSON.stringify({ format: 'optimus-motion/truth@1', fps: 30, source: 'x.bvh', skeleton, camera, frames: frames.map((j) => ({ joints3d: j })) }));
  const motion = (fps: number, n: number, shift: number) => ({
    format: 'optimus-motion/motion@1', fps, skeleton, camera, ground: { normal: [0, 1, 0], height: 0 },
    frames: frames.slice(0, n).map((j) => ({
      root: { position: [0, 0.9, 0], rotation: [0, 0, 0, 1] }, rotations: [[0, 0, 0, 1]],
      joints3d: j.map((p) => [p[0] + shift, p[1], p[2]]), contacts: { leftFoot: true, rightFoot: true },
    })),
  });

  it('accepts a motion.json or a truth.json as the prediction', () => {
    const motionPath = join(dir, 'motion.json');
    writeFileSync(motionPath, JSON.stringify(motion(30, 4, 0.02)));
    expect(readLandmarkSequence(motionPath).kind).toBe('motion');
    const m = evaluateFiles(motionPath, truthPath);
    expect(m.mpjpeG).toBeCloseTo(20, 9);
    expect(m.mpjpe).toBeCloseTo(0, 9);
    const self = evaluateFiles(truthPath, truthPath);
    expect(self.mpjpe + self.mpjpeG + self.accelError + self.groundDistanceMm + self.penetrationMm).toBe(0);
  });

  it('copies the physics residual from the report.json beside a motion.json with a physics stage, and only then', () => {
    const residual = { meanN: 12.5, meanNm: 3, meanPctBodyWeight: 1.7, maxPctBodyWeight: 9, framesAbove10Pct: 0 };
    const accounting = { massKg: 75, residual, contactSupportPct: 98, restarts: 0, falls: 0, simulatedFrames: 3 };
    const run = join(dir, 'run');
    mkdirSync(run, { recursive: true });
    const stages = { physics: { loss: 1, iterations: 1, ms: 1, lossCurve: [1], accounting } };
    const motionPath = join(run, 'motion.json');
    writeFileSync(motionPath, JSON.stringify({ ...motion(30, 4, 0), stages }));
    // No report yet: no residual.
    expect(evaluateFiles(motionPath, truthPath).residual).toBeUndefined();
    writeFileSync(join(run, 'report.json'), JSON.stringify({ outputs: { motion: motionPath, kinematic: join(run, 'kinematic.json') }, physics: accounting }));
    expect(evaluateFiles(motionPath, truthPath).residual).toEqual(residual);
    // The kinematic motion beside the same report has no physics stage: nothing copied.
    const kinPath = join(run, 'kinematic.json');
    writeFileSync(kinPath, JSON.stringify({ ...motion(30, 4, 0), stages: { kinematic: { loss: 1, iterations: 1, ms: 1, lossCurve: [1] } } }));
    expect(evaluateFiles(kinPath, truthPath).residual).toBeUndefined();
    // A copy of the motion under another name: the report speaks of the other file.
    const copy = join(run, 'copy.json');
    writeFileSync(copy, JSON.stringify({ ...motion(30, 4, 0), stages }));
    expect(evaluateFiles(copy, truthPath).residual).toBeUndefined();
    expect(evaluateFiles(motionPath, truthPath).floatMm).toBeCloseTo(10, 9);
  });

  it('refuses different frame counts or fps, saying which', () => {
    const a = join(dir, 'short.json');
    writeFileSync(a, JSON.stringify(motion(30, 3, 0)));
    expect(() => evaluateFiles(a, truthPath)).toThrow(UserError);
    expect(() => evaluateFiles(a, truthPath)).toThrow(/frame counts differ: .*short\.json has 3 frames, .*truth\.json has 4/);
    const b = join(dir, 'fast.json');
    writeFileSync(b, JSON.stringify(motion(60, 4, 0)));
    expect(() => evaluateFiles(b, truthPath)).toThrow(/fps differ: .*fast\.json is at 60 fps, .*truth\.json at 30 fps/);
    const c = join(dir, 'other.json');
    writeFileSync(c, JSON.stringify({ format: 'something' }));
    expect(() => evaluateFiles(c, truthPath)).toThrow(/other\.json: not a motion\.json or truth\.json/);
    expect(() => evaluate({ source: 'p', kind: 'truth', fps: 30, frames }, { source: 't', kind: 'truth', fps: 30, frames })).not.toThrow();
  });
});

describe('perLandmarkErrors', () => {
  it('locates an error on the landmark that has it, and averages to MPJPE and PA-MPJPE', () => {
    const truth = [Array.from({ length: 33 }, (_, j) => [Math.sin(j), 1 + Math.cos(2 * j), 0.3 * Math.sin(3 * j)] as [number, number, number])];
    const pred = [truth[0]!.map((p, j) => (j === LANDMARK_INDEX.left_wrist ? [p[0] + 0.1, p[1], p[2]] : p) as [number, number, number])];
    const rows = perLandmarkErrors(pred, truth);
    const wrist = rows.find((r) => r.landmark === 'left_wrist')!;
    expect(wrist.mpjpe).toBeCloseTo(100, 6);
    for (const r of rows) if (r.landmark !== 'left_wrist') expect(r.mpjpe).toBeCloseTo(0, 6);
    const mean = (k: 'mpjpe' | 'paMpjpe') => rows.reduce((s, r) => s + r[k], 0) / rows.length;
    expect(mean('mpjpe')).toBeCloseTo(mpjpe(pred, truth), 6);
    expect(mean('paMpjpe')).toBeCloseTo(paMpjpe(pred, truth), 6);
    expect(wrist.paMpjpe).toBeGreaterThan(50);
  });
});
