import { describe, expect, it } from 'vitest';
import { readBvh } from '../../src/body/bvh.ts';
import { synthesize } from '../../src/eval/synth.ts';
import { finishTrack } from '../../src/ingest/ingest.ts';
import { bodyVote, chooseSides, mirrorFrame, type SideFrame } from '../../src/ingest/sides.ts';
import { PROJECT_ROOT } from '../helpers/shared-data.ts';

type P3 = [number, number, number];

describe('left and right over the whole clip', () => {
  // A detector-like track (3 px, 3 cm noise) of the procedural squat, seen from the front.
  const clip = synthesize(readBvh(`${PROJECT_ROOT}/data/demo-squat.bvh`), { fps: 30 }).keypoints.frames
    .map((f): SideFrame => ({ keypoints: f.keypoints as P3[], world: (f.world ?? null) as P3[] | null }));
  const n = clip.length;
  const withRuns = (runs: Array<[number, number]>) => clip.map((f, t) => (runs.some(([a, b]) => t >= a && t <= b) ? mirrorFrame(f) : f));
  const expected = (runs: Array<[number, number]>) => clip.map((_, t) => runs.some(([a, b]) => t >= a && t <= b));

  it('mirroring twice gives the frame back', () => {
    const f = clip[3]!;
    const back = mirrorFrame(mirrorFrame(f));
    back.world!.forEach((p, i) => p.forEach((v, k) => expect(v).toBeCloseTo(f.world![i]![k]!, 9)));
    expect(back.keypoints).toEqual(f.keypoints);
  });

  it('relabels the runs the detector mirrored, and nothing else', () => {
    expect(n).toBeGreaterThan(40);
    const runs: Array<[number, number]> = [[10, 22], [30, 33]];
    expect(chooseSides(withRuns(runs))).toEqual(expected(runs));
    expect(chooseSides(clip).some(Boolean)).toBe(false);
  });

  it('corrects a clip that starts mirrored (a frame-to-frame rule would keep it), across a gap', () => {
    const runs: Array<[number, number]> = [[0, 8]];
    const frames = withRuns(runs);
    // A frame without a person inside the clip breaks the chain but not the decision.
    frames[20] = { keypoints: null, world: null };
    const want = expected(runs);
    want[20] = false;
    expect(chooseSides(frames)).toEqual(want);
  });

  it('ingest\'s clip-wide step relabels before filtering and reports how many frames', () => {
    const runs: Array<[number, number]> = [[12, 20]];
    const raw = withRuns(runs).map((f, t) => ({ index: t, time: t / 30, tMs: (1000 * t) / 30, keypoints: f.keypoints, world: f.world }));
    const on = finishTrack(raw, { sides: true, filter: true });
    const off = finishTrack(raw, { sides: false, filter: true });
    expect(on.relabelled).toBe(9);
    expect(off.relabelled).toBe(0);
    // Frame 16's left shoulder is where the clip's own left shoulder is, not its right one.
    const truth = clip[16]!.keypoints![11]!;
    const dist = (kp: number[][] | null) => Math.hypot(kp![11]![0]! - truth[0], kp![11]![1]! - truth[1]);
    expect(dist(on.frames[16]!.keypoints)).toBeLessThan(dist(off.frames[16]!.keypoints));
  });

  it('the body detector\'s vote says which labelling is right, and decides a run longer than the rest', () => {
    const f = clip[5]!;
    const coco = [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28];
    const body = { keypoints: coco.map((i) => [f.keypoints![i]![0] + 4, f.keypoints![i]![1] - 3, 0.9] as P3), score: 0.9 };
    const elsewhere = { keypoints: body.keypoints.map(([x, y, c]) => [x + 2000, y, c] as P3), score: 0.9 };
    expect(bodyVote(f.keypoints!, [elsewhere, body])!).toBeLessThan(-0.2);
    expect(bodyVote(mirrorFrame(f).keypoints!, [elsewhere, body])!).toBeGreaterThan(0.2);
    expect(bodyVote(f.keypoints!, [elsewhere])).toBeNull();
    // The whole clip mirrored: motion alone cannot tell (no boundary anywhere); the votes can.
    const runs: Array<[number, number]> = [[0, n - 1]];
    const frames = withRuns(runs);
    const voted = frames.map((g, t) => ({ ...g, sideVote: expected(runs)[t] ? 0.5 : -0.5 }));
    expect(chooseSides(frames)).not.toEqual(expected(runs));
    expect(chooseSides(voted)).toEqual(expected(runs));
  });
});
