import { describe, expect, it } from 'vitest';
import { readBvh } from '../../src/body/bvh.ts';
import { buildMultiviewTruth } from '../../src/eval/multiview-truth.ts';
import { refinePrincipalPoints } from '../../src/eval/multiview-refine.ts';
import { LANDMARK_MIRROR as MIRROR } from '../../src/formats/landmarks.ts';
import { synthesize } from '../../src/eval/synth.ts';
import type { KeypointsFile } from '../../src/formats/keypoints.ts';
import type { Vec3 } from '../../src/geometry/quaternion.ts';
import { projectCalibrated, type ViewCamera } from '../../src/geometry/triangulate.ts';
import { Rng } from '../../src/random.ts';
import { PROJECT_ROOT } from '../helpers/shared-data.ts';

/** Four calibrated cameras around the origin (z up), OpenCV convention, with a phone lens. */
function cameraAt(centre: Vec3, target: Vec3): ViewCamera {
  const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
  const norm = (a: Vec3): Vec3 => { const n = Math.hypot(...a); return [a[0] / n, a[1] / n, a[2] / n]; };
  const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  const z = norm(sub(target, centre));
  const x = norm(cross(z, [0, 0, 1]));
  const y = cross(z, x);
  const R = [...x, ...y, ...z];
  const t = [0, 1, 2].map((r) => -(R[3 * r]! * centre[0] + R[3 * r + 1]! * centre[1] + R[3 * r + 2]! * centre[2])) as [number, number, number];
  return { fx: 1680, fy: 1680, cx: 544, cy: 960, distortion: [-0.047, 0.137, 0.0006, 0.0007, 0], R, t };
}
const CAMS = [cameraAt([3.5, -2.5, 1.9], [0, 0, 0.9]), cameraAt([3, 3, 1.7], [0, 0, 0.9]), cameraAt([-3.5, 2.5, 2.1], [0, 0, 0.9]), cameraAt([-4, -1.5, 1.9], [0, 0, 0.9])];

describe('buildMultiviewTruth', () => {
  // Two people from a mocap squat (y-up world → z-up lab), side by side, half a clip apart in time.
  const frames = synthesize(readBvh(`${PROJECT_ROOT}/data/demo-squat.bvh`), { fps: 30 }).truth.frames.map((f) => f.joints3d.map((p) => [p[0], -p[2], p[1]] as Vec3));
  const n = 40;
  const people = [0, 1].map((k) => Array.from({ length: n }, (_, f) => frames[(f + 30 * k) % frames.length]!.map((p) => [p[0] + (k ? 0.9 : -0.6), p[1] + (k ? 0.4 : 0), p[2]] as Vec3)));
  const rng = new Rng(5);
  const detect = (cam: ViewCamera, body: Vec3[], swap: boolean) => {
    const pts = body.map((p) => { const q = projectCalibrated(cam, p)!; return [q[0] + rng.normal(), q[1] + rng.normal(), 0.9] as [number, number, number]; });
    return swap ? MIRROR.map((m) => pts[m]!) : pts;
  };
  const file = (frames: Array<Array<[number, number, number]> | null>) => ({ frames: frames.map((keypoints, index) => ({ index, time: index / 30, keypoints })) }) as unknown as KeypointsFile;
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

  it('refines a principal point that is off from the other views\' agreement', () => {
    // Camera 2's detections sit 15 px right and 6 px down of where its calibration projects the bodies.
    const shifted = CAMS.map((cam, v) => ({
      tracks: [0, 1].map((person) => file(Array.from({ length: n }, (_, f) => detect(cam, people[person]![f]!, false).map(([x, y, c]) => (v === 2 ? [x + 15, y + 6, c] : [x, y, c]) as [number, number, number])))),
    }));
    const { cams, shiftPx } = refinePrincipalPoints(CAMS, shifted);
    // Three rounds close most of it (the biased view takes part in the truth it is measured against).
    expect(Math.abs(shiftPx[2]![0] - 15)).toBeLessThan(1.5);
    expect(Math.abs(shiftPx[2]![1] - 6)).toBeLessThan(1.5);
    for (const v of [0, 1, 3]) expect(Math.hypot(...shiftPx[v]!)).toBeLessThan(1);
    const err = (t: ReturnType<typeof buildMultiviewTruth>) => {
      const p0 = t.find((x) => Math.abs(x.frames[0]![23]![0] - people[0]![0]![23]![0]) < 0.2)!;
      return p0.frames.reduce((s, f, i) => s + Math.hypot(...f![23]!.map((c, k) => c - people[0]![i]![23]![k]!) as [number, number, number]), 0) / n;
    };
    expect(err(buildMultiviewTruth(cams, shifted))).toBeLessThan(0.5 * err(buildMultiviewTruth(CAMS, shifted)));
  });
});
