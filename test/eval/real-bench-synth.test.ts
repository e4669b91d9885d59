import { describe, expect, it } from 'vitest';
import { perfectNoiseModel } from '../../src/eval/noise-model.ts';
import type { PersonTruth } from '../../src/eval/multiview-truth.ts';
import type { CalibratedCamera } from '../../src/formats/calibration.ts';
import type { KeypointsFile } from '../../src/formats/keypoints.ts';
import { projectCalibrated } from '../../src/geometry/triangulate.ts';
import { synthFromTruth } from '../../src/reconstruct/real-bench-synth.ts';
import { CAMS, twoPeople } from './multiview-scene.ts';

describe('bench:real synthetic runs', () => {
  it('a landmark the truth lacks is interpolated for the input, not the whole frame dropped', () => {
    const n = 10;
    const body = twoPeople(n)[0]!;
    const frames = body.map((f) => [...f] as PersonTruth['frames'][number]);
    frames[4]![13] = null;
    frames[5] = null;
    const truth = { frames, assignments: [], reprojection: [], viewsUsed: [] } as unknown as PersonTruth;
    const cam = { ...CAMS[0]!, name: 'cam01' } as unknown as CalibratedCamera;
    const real = {
      source: { fps: 30, width: 1088, height: 1920 }, detector: { name: 'real' },
      frames: body.map((_, k) => ({ index: k, time: k / 30, keypoints: body[k]!.map(() => [0, 0, 1]), world: null })),
    } as unknown as KeypointsFile;
    const out = synthFromTruth(truth, real, cam, perfectNoiseModel(), 0);
    expect(out.frames.map((f) => f.keypoints !== null)).toEqual(body.map((_, k) => k !== 5));
    // Frame 4's missing elbow lies halfway between frames 3 and 5 of the truth (frame 5 has no truth: 3 and 6, a third of the way).
    const expected = body[3]![13]!.map((v, c) => v + (body[6]![13]![c]! - v) / 3) as [number, number, number];
    const q = projectCalibrated(cam, expected)!;
    const got = out.frames[4]!.keypoints![13]!;
    expect(Math.hypot(got[0] - q[0], got[1] - q[1])).toBeLessThan(1e-6);
  });
});
