import { describe, expect, it } from 'vitest';
import { LANDMARK_INDEX as I, LANDMARK_MIRROR } from '../../src/formats/landmarks.ts';
import type { BodyPerson } from '../../src/ingest/body-detector.ts';
import { bodyPlacement, distrustOthers, IDENTITY_DEFAULTS, IdentityTrack, overlapShare, posePlacement, poseToBody } from '../../src/ingest/identity.ts';
import { chooseSides, type SideFrame } from '../../src/ingest/sides.ts';

type P3 = [number, number, number];

/** A standing stick figure's 17 COCO points around its hip centre (torso length 1), scaled to pixels. */
const FIGURE: Array<[number, number]> = [
  [0, -1.6], [-0.08, -1.68], [0.08, -1.68], [-0.16, -1.62], [0.16, -1.62], // nose, eyes, ears (image left = the person's right)
  [-0.4, -1], [0.4, -1], [-0.5, -0.5], [0.5, -0.5], [-0.55, 0], [0.55, 0], // shoulders, elbows, wrists
  [-0.25, 0], [0.25, 0], [-0.25, 0.9], [0.25, 0.9], [-0.25, 1.8], [0.25, 1.8], // hips, knees, ankles
];
// COCO's left points are the odd ones; a person facing the camera has them on the image's right.
const facing = FIGURE.map(([x, y], c) => [c > 0 && c % 2 === 1 ? Math.abs(x) : -Math.abs(x), y] as [number, number]);

function body(x: number, y: number, torso: number, score = 0.8): BodyPerson {
  return { keypoints: facing.map(([dx, dy]) => [x + dx * torso, y + dy * torso, score] as P3), score };
}

/** The same figure as BlazePose's 33 landmarks (hands and feet at the wrists and ankles). */
function pose(b: BodyPerson): P3[] {
  const k = b.keypoints;
  const out: P3[] = Array.from({ length: 33 }, () => [k[0]![0], k[0]![1], 0.9] as P3);
  const map: Array<[number, number[]]> = [
    [5, [I.left_shoulder]], [6, [I.right_shoulder]], [7, [I.left_elbow]], [8, [I.right_elbow]],
    [9, [I.left_wrist, I.left_pinky, I.left_index, I.left_thumb]], [10, [I.right_wrist, I.right_pinky, I.right_index, I.right_thumb]],
    [11, [I.left_hip]], [12, [I.right_hip]], [13, [I.left_knee]], [14, [I.right_knee]],
    [15, [I.left_ankle, I.left_heel, I.left_foot_index]], [16, [I.right_ankle, I.right_heel, I.right_foot_index]],
  ];
  for (const [c, ms] of map) for (const m of ms) out[m] = [k[c]![0], k[c]![1], 0.9];
  return out;
}

describe('keeping the tracked person among overlapping people (identity.ts)', () => {
  // Two people crossing in the image at 30 fps: the tracked one walks right (nearer the camera, torso
  // 120 px), the other walks left behind them (torso 80 px); their hips coincide near frame 20.
  const frames = 41;
  const tracked = (t: number) => body(300 + 10 * t, 600, 120);
  const other = (t: number) => body(700 - 10 * t, 590, 80);

  it('follows the tracked body through the crossing by its motion and size, whatever the detector\'s order', () => {
    const track = new IdentityTrack();
    track.update(bodyPlacement(tracked(0))!, 0);
    for (let t = 1; t < frames; t++) {
      const people = t % 2 ? [tracked(t), other(t)] : [other(t), tracked(t)];
      const k = track.match(people.map((b) => bodyPlacement(b)), (1000 * t) / 30);
      expect(people[k]).toBeDefined();
      expect(bodyPlacement(people[k]!)!.x).toBeCloseTo(300 + 10 * t, 6);
      track.update(bodyPlacement(people[k]!)!, (1000 * t) / 30);
    }
  });

  it('predicts over a frame the detector missed, and matches nobody far from the prediction', () => {
    const track = new IdentityTrack();
    for (let t = 0; t < 5; t++) track.update(bodyPlacement(tracked(t))!, (1000 * t) / 30);
    // Frames 5 and 6 missed: at frame 7 the prediction is where constant velocity puts the person.
    const pred = track.predict((1000 * 7) / 30)!;
    // (the velocity is smoothed, so after five frames it is within a few px of constant velocity's)
    expect(Math.abs(pred.x - 370)).toBeLessThan(5);
    expect(track.match([bodyPlacement(body(370 + 400, 600, 120))], (1000 * 7) / 30)).toBe(-1);
    // Someone of another size at the predicted place is not the tracked person either.
    expect(track.match([bodyPlacement(body(370, 600, 120 * 2))], (1000 * 7) / 30)).toBe(-1);
    expect(track.predict(5000)).toBeNull();
  });

  it('marks the landmarks that lie on the other person low-visibility, with their hand or foot', () => {
    const own = tracked(18);
    const them = other(18);
    const kp = pose(own);
    // BlazePose put the left wrist and the right ankle on the other person's.
    kp[I.left_wrist] = [them.keypoints[9]![0], them.keypoints[9]![1], 0.9];
    kp[I.right_ankle] = [them.keypoints[16]![0], them.keypoints[16]![1], 0.9];
    const { keypoints, distrusted } = distrustOthers(kp, own, [them]);
    expect(distrusted).toBe(2);
    for (const i of [I.left_wrist, I.left_pinky, I.left_index, I.left_thumb, I.right_ankle, I.right_heel, I.right_foot_index]) {
      expect(keypoints[i]![2]).toBe(IDENTITY_DEFAULTS.distrustedScore);
    }
    for (const i of [I.right_wrist, I.left_ankle, I.left_hip, I.nose]) expect(keypoints[i]![2]).toBe(0.9);
    // Alone, or with the other person far away, nothing is marked.
    expect(distrustOthers(kp, own, []).distrusted).toBe(0);
    expect(distrustOthers(pose(own), own, [them]).distrusted).toBe(0);
  });

  it('measures how far a pose lies from a body (either labelling) and how much another person covers it', () => {
    const own = tracked(10);
    expect(poseToBody(pose(own), own)).toBeCloseTo(0, 9);
    // Mirrored labels are the same body.
    const mirrored = LANDMARK_MIRROR.map((m) => pose(own)[m]!);
    expect(poseToBody(mirrored, own)).toBeCloseTo(0, 9);
    expect(poseToBody(pose(own), other(10))).toBeGreaterThan(1);
    const place = posePlacement(pose(own));
    expect(place.torso).toBeCloseTo(120, 6);
    expect(overlapShare(place, [bodyPlacement(other(0))!])).toBe(0);
    expect(overlapShare(posePlacement(pose(tracked(20))), [bodyPlacement(other(20))!])).toBeGreaterThan(0.3);
  });
});

describe('left and right where another person overlaps (sides.ts)', () => {
  // A clip detected with the right labels everywhere, alone but for frames 20–25, where another person
  // covers half the box and the body detector's votes (its bodies mixing both people) say "relabel".
  const frames: SideFrame[] = Array.from({ length: 40 }, (_, t) => {
    const b = body(300 + 3 * t, 600, 120);
    const world = pose(b).map(([x, y]) => [x / 500, y / 500, 0] as P3);
    const overlapped = t >= 20 && t <= 25;
    return { keypoints: pose(b), world, sideVote: overlapped ? 0.8 : t % 3 === 0 ? -0.3 : null, overlap: overlapped ? 0.5 : 0 };
  });

  it('weak votes under overlap do not flip the sides when weighted by how clear the person is', () => {
    expect(chooseSides(frames, { voteOverlap: null }).slice(20, 26).some(Boolean)).toBe(true);
    expect(chooseSides(frames, { voteOverlap: 0.5 }).some(Boolean)).toBe(false);
    expect(chooseSides(frames).some(Boolean)).toBe(false);
    // Without overlap the same votes are heard.
    const clear = frames.map((f) => ({ ...f, overlap: 0 }));
    expect(chooseSides(clear, { voteOverlap: 0.5 }).slice(20, 26).some(Boolean)).toBe(true);
  });
});
