import { describe, expect, it } from 'vitest';
import { buildMultiviewTruth } from '../../src/eval/multiview-truth.ts';
import { Rng } from '../../src/random.ts';
import { CAMS, detector, keypointsOf as file, twoPeople } from './multiview-scene.ts';

describe('buildMultiviewTruth', () => {
  const n = 40;
  const people = twoPeople(n);
  const detect = detector(new Rng(5));
  // View 1 labels person 0's sides the wrong way round in frames 5–15; view 2's two tracks swap
  // people at frame 20; view 3 misses person 1 in frames 10–19.
  const views = CAMS.map((cam, v) => ({
    tracks: [0, 1].map((track) => file(Array.from({ length: n }, (_, f) => {
      const person = v === 2 && f >= 20 ? 1 - track : track;
      if (v === 3 && person === 1 && f >= 10 && f < 20) return null;
      return detect(cam, people[person]![f]!, v === 1 && person === 0 && f >= 5 && f <= 15);
    }))),
  }));
  const truth = buildMultiviewTruth(CAMS, views);

  it('finds both people in every frame, within a few mm, and follows each across the track swap', () => {
    // Person slots come out in the first frame's order; match them to the bodies by position.
    const order = truth.map((t) => (Math.abs(t.frames[0]![23]![0] - people[0]![0]![23]![0]) < 0.2 ? 0 : 1));
    expect(new Set(order).size).toBe(2);
    truth.forEach((t, k) => {
      let worst = 0;
      let sum = 0;
      let count = 0;
      t.frames.forEach((f, i) => f!.forEach((p, j) => {
        if (!p) return;
        const q = people[order[k]!]![i]![j]!;
        const e = Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
        worst = Math.max(worst, e);
        sum += e;
        count += 1;
      }));
      // 1 px of detector noise at ~4 m: millimetres on average.
      expect(sum / count).toBeLessThan(0.006);
      expect(worst).toBeLessThan(0.05);
      expect(count).toBeGreaterThan(0.95 * n * 33);
      expect(t.frames.every((f) => f !== null)).toBe(true);
    });
    const p0 = truth[order.indexOf(0)]!;
    expect(p0.assignments.map((a) => a.track[2])).toEqual(Array.from({ length: n }, (_, f) => (f >= 20 ? 1 : 0)));
  });

  it('reports the swapped sides and the missing person per view and frame', () => {
    const order = truth.map((t) => (Math.abs(t.frames[0]![23]![0] - people[0]![0]![23]![0]) < 0.2 ? 0 : 1));
    const p0 = truth[order.indexOf(0)]!;
    const p1 = truth[order.indexOf(1)]!;
    expect(p0.assignments.map((a) => a.swapped[1])).toEqual(Array.from({ length: n }, (_, f) => f >= 5 && f <= 15));
    expect(p0.assignments.every((a) => !a.swapped[0] && !a.swapped[2] && !a.swapped[3])).toBe(true);
    expect(p1.assignments.map((a) => a.track[3] === null)).toEqual(Array.from({ length: n }, (_, f) => f >= 10 && f < 20));
  });

  it('names the sides by the body\'s geometry when most views have them the wrong way round', () => {
    // Views 1–3 mislabel person 0's sides in frames 5–15: a vote of the views would pick their labels.
    const swappedViews = CAMS.map((cam, v) => ({
      tracks: [0, 1].map((person) => file(Array.from({ length: n }, (_, f) => detect(cam, people[person]![f]!, v > 0 && person === 0 && f >= 5 && f <= 15)))),
    }));
    const t = buildMultiviewTruth(CAMS, swappedViews);
    const p0 = t.find((x) => Math.abs(x.frames[0]![23]![0] - people[0]![0]![23]![0]) < 0.2)!;
    expect(p0.assignments.map((a) => a.swapped.join())).toEqual(Array.from({ length: n }, (_, f) => (f >= 5 && f <= 15 ? 'false,true,true,true' : 'false,false,false,false')));
    const leftHip = 23;
    for (let f = 0; f < n; f++) {
      const p = p0.frames[f]![leftHip]!;
      const q = people[0]![f]![leftHip]!;
      expect(Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2])).toBeLessThan(0.02);
    }
  });
});
