import { describe, expect, it } from 'vitest';
import { bundleAdjust, perturbCamera } from '../../src/eval/multiview-bundle.ts';
import { heldOutReprojection } from '../../src/eval/multiview-evidence.ts';
import { segmentSpread, smoothTruth } from '../../src/eval/multiview-smooth.ts';
import { buildMultiviewTruth } from '../../src/eval/multiview-truth.ts';
import type { Vec3 } from '../../src/geometry/quaternion.ts';
import { projectCalibrated, type ViewCamera } from '../../src/geometry/triangulate.ts';
import { Rng } from '../../src/random.ts';
import { CAMS, detector, keypointsOf, twoPeople } from './multiview-scene.ts';

const n = 30;
const people = twoPeople(n);
/** Every view sees both people; `actual` are the cameras the detections really come from. */
function capture(actual: readonly ViewCamera[], sigma: number, seed: number) {
  const detect = detector(new Rng(seed), sigma);
  return actual.map((cam) => ({ tracks: [0, 1].map((p) => keypointsOf(people[p]!.map((body) => detect(cam, body, false)))) }));
}
/** Mean pixel distance between two cameras' projections of both people's hips over the clip. */
function projectionGap(a: ViewCamera, b: ViewCamera): number {
  const pts = people.flatMap((body) => body.map((f) => f[23]!));
  return pts.reduce((s, p) => { const u = projectCalibrated(a, p)!; const v = projectCalibrated(b, p)!; return s + Math.hypot(u[0] - v[0], u[1] - v[1]); }, 0) / pts.length;
}
const err = (frames: ReadonlyArray<ReadonlyArray<Vec3 | null> | null>, body: Vec3[][]) => {
  let s = 0;
  let k = 0;
  frames.forEach((f, t) => f?.forEach((p, i) => { if (p) { s += Math.hypot(p[0] - body[t]![i]![0], p[1] - body[t]![i]![1], p[2] - body[t]![i]![2]); k += 1; } }));
  return s / k;
};
const nearest = (truths: ReturnType<typeof buildMultiviewTruth>, body: Vec3[][]) => truths.find((t) => Math.abs(t.frames[0]![23]![0] - body[0]![23]![0]) < 0.2)!;

describe('bundleAdjust', () => {
  // A global turn of all cameras with the points nearly compensates (the people fill a small part of the
  // scene), so a recovered camera is within a few px, and every view reprojects at the detector's noise.
  it('recovers a camera turned by half a degree from the people, moving the others little', () => {
    const actual = CAMS.map((c, v) => (v === 2 ? perturbCamera(c, [0.004, -0.006, 0.003]) : c));
    const views = capture(actual, 1, 3);
    const before = projectionGap(CAMS[2]!, actual[2]!);
    const { cams, change, medianPxAfter, medianPxBefore } = bundleAdjust(CAMS, views, buildMultiviewTruth(CAMS, views));
    expect(before).toBeGreaterThan(10);
    expect(projectionGap(cams[2]!, actual[2]!)).toBeLessThan(0.3 * before);
    for (const v of [0, 1, 3]) expect(change[v]!.rotationDeg).toBeLessThan(0.15);
    expect(medianPxBefore[2]!).toBeGreaterThan(5);
    for (const px of medianPxAfter) expect(px).toBeLessThan(1.3);
  });

  it('recovers a shifted principal point when asked to move principal points only', () => {
    const actual = CAMS.map((c, v) => (v === 1 ? { ...c, cx: c.cx + 15, cy: c.cy + 6 } : c));
    const views = capture(actual, 1, 4);
    const { change, medianPxAfter } = bundleAdjust(CAMS, views, buildMultiviewTruth(CAMS, views), { params: { rotation: false, principalPoint: true } });
    const moved = change.map((c) => c.principalPx);
    // Relative to the others (a shift common to all views is nearly free), within a few px.
    expect(Math.abs(moved[1]![0] - moved[0]![0] - 15)).toBeLessThan(4);
    expect(Math.abs(moved[1]![1] - moved[0]![1] - 6)).toBeLessThan(4);
    for (const px of medianPxAfter) expect(px).toBeLessThan(1.3);
  });
});

describe('smoothTruth', () => {
  it('brings a noisy triangulation closer to the bodies and holds their segment lengths', () => {
    const views = capture(CAMS, 6, 9);
    const truths = buildMultiviewTruth(CAMS, views);
    for (const body of people) {
      const plain = nearest(truths, body);
      const smooth = smoothTruth(CAMS, views, plain);
      expect(err(smooth.frames, body)).toBeLessThan(0.8 * err(plain.frames, body));
      expect(segmentSpread(smooth.frames)).toBeLessThan(0.5 * segmentSpread(plain.frames));
      expect(segmentSpread(body)).toBeLessThan(1e-6);
    }
  });
});

describe('heldOutReprojection', () => {
  // A biased view spoils the truths it takes part in, so the held-out error rises in other views too:
  // the measure compares truths, it does not name the culprit.
  it('is at the detector\'s noise for a consistent capture and rises when one view disagrees', () => {
    const build = (vs: Parameters<typeof buildMultiviewTruth>[1]) => buildMultiviewTruth(CAMS, vs);
    const mean = (xs: number[][]) => xs.flat().reduce((a, b) => a + b, 0) / xs.flat().length;
    const consistent = capture(CAMS, 1, 11);
    const good = heldOutReprojection(CAMS, consistent, build(consistent), build);
    for (const px of good.flat()) expect(px).toBeLessThan(2.5);
    const shifted = capture(CAMS.map((c, v) => (v === 3 ? { ...c, cx: c.cx + 12 } : c)), 1, 11);
    const bad = heldOutReprojection(CAMS, shifted, build(shifted), build);
    expect(mean(bad)).toBeGreaterThan(3 * mean(good));
    for (const person of bad) expect(person[3]!).toBeGreaterThan(9);
  });
});
