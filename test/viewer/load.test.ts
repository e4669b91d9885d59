import { describe, expect, it } from 'vitest';
import { parseResultFile } from '../../viewer/src/load.ts';
import { mpjpePerFrame, reprojectionErrorPerFrame } from '../../viewer/src/metrics.ts';
import { projectPoint } from '../../src/geometry/camera.ts';
import type { Vec3 } from '../../src/geometry/quaternion.ts';
import type { MotionFile } from '../../src/formats/motion.ts';
import { humanoidResult } from '../export/fixtures.ts';

// The viewer's loading and per-frame metrics are plain functions: checked here without a browser.
describe('viewer loading messages', () => {
  const { motion } = humanoidResult({ seconds: 0.2 });
  const text = JSON.stringify(motion);

  it('accepts a valid motion.json', () => {
    expect(parseResultFile<MotionFile>('motion.json', text, 'motion').value?.frames).toHaveLength(motion.frames.length);
  });

  it('names truncation, another format version, another file kind and schema errors', () => {
    expect(parseResultFile('motion.json', text.slice(0, 100), 'motion').error).toMatch(/^motion\.json is not valid JSON — it looks truncated \(100 bytes;/);
    expect(parseResultFile('motion.json', text.replace('motion@1', 'motion@7'), 'motion').error)
      .toBe('motion.json has format version "optimus-motion/motion@7"; this viewer reads "optimus-motion/motion@1". Re-create it with this version of optimus-motion.');
    expect(parseResultFile('motion.json', '{"format":"optimus-motion/keypoints@1"}', 'motion').error).toMatch(/is a keypoints file/);
    expect(parseResultFile('motion.json', '[1,2]', 'motion').error).toMatch(/not an optimus-motion file/);
    const bad = JSON.parse(text);
    bad.frames[1].rotations[2] = [0, 0, 'x', 1];
    expect(parseResultFile('motion.json', JSON.stringify(bad), 'motion').error).toMatch(/^motion\.json is invalid at frames\.1\.rotations\.2\.2:/);
  });
});

describe('viewer per-frame metrics', () => {
  const r = humanoidResult({ seconds: 0.3 });

  it('MPJPE is 0 for the truth itself and for a translated copy (root-aligned), and the mean offset otherwise', () => {
    const asMotion = { ...r.motion, frames: r.motion.frames.map((f, i) => ({ ...f, joints3d: r.truth.frames[i]!.joints3d })) };
    expect(Math.max(...mpjpePerFrame(asMotion, r.truth))).toBeLessThan(1e-9);
    const moved = { ...asMotion, frames: asMotion.frames.map((f) => ({ ...f, joints3d: f.joints3d.map((p) => [p[0] + 1, p[1], p[2] - 2] as Vec3) })) };
    expect(Math.max(...mpjpePerFrame(moved, r.truth))).toBeLessThan(1e-6);
    // Shift one landmark (the nose) by 33 mm: the mean over 33 landmarks is 1 mm.
    const nose = { ...asMotion, frames: asMotion.frames.map((f) => ({ ...f, joints3d: f.joints3d.map((p, k) => (k === 0 ? [p[0] + 0.033, p[1], p[2]] : p) as Vec3) })) };
    for (const v of mpjpePerFrame(nose, r.truth)) expect(v).toBeCloseTo(1, 6);
  });

  it('reprojection error is 0 for exact keypoints and ignores low scores', () => {
    const exact = {
      ...r.keypoints,
      frames: r.motion.frames.map((f, i) => ({
        index: i, time: i / 30,
        keypoints: f.joints3d.map((p, k) => {
          const px = projectPoint(r.motion.camera as never, p as Vec3)!;
          return (k === 5 ? [px[0] + 500, px[1], 0.1] : [px[0], px[1], 1]) as [number, number, number];
        }),
      })),
    };
    for (const v of reprojectionErrorPerFrame(r.motion, exact)) expect(v).toBeLessThan(1e-9);
    exact.frames[0]!.keypoints[3] = [exact.frames[0]!.keypoints[3]![0] + 32, exact.frames[0]!.keypoints[3]![1], 1];
    expect(reprojectionErrorPerFrame(r.motion, exact)[0]).toBeCloseTo(1, 9);
  });
});
