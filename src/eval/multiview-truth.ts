import { LANDMARK_COUNT, LANDMARK_INDEX, LANDMARK_MIRROR as MIRROR } from '../formats/landmarks.ts';
import type { KeypointsFile } from '../formats/keypoints.ts';
import type { Vec3 } from '../geometry/quaternion.ts';
import { cross } from '../geometry/vec3.ts';
import { projectCalibrated, triangulatePoint, weightedDlt, undistortPixel, type TriangulateOptions, type ViewCamera } from '../geometry/triangulate.ts';

/**
 * A 3D pseudo ground truth for each person of a calibrated multi-view capture, from 2D
 * detections: per frame, the detections of the views are associated into people by how
 * well they triangulate (the assignment with the smallest reprojection error wins), people
 * are followed over frames by their 3D position, and each landmark is triangulated with
 * confidence weights and rejection of a view that disagrees with the rest.
 */
export interface TruthOptions {
  /** How many people to build. */
  people?: number;
  /** A candidate detection further than this (px, median over the body) from a person's triangulation is not that person. */
  matchPx?: number;
  /** Cost (px) charged per view left out of an assignment, so a consistent fourth view is preferred. */
  missingViewPx?: number;
  triangulate?: TriangulateOptions;
  /** Frames of the running median a landmark is checked against (odd). */
  medianWindow?: number;
  /** A landmark further than this (m) from its running median is a glitch and left out. */
  maxGlitch?: number;
}

export const TRUTH_DEFAULTS = {
  people: 2,
  /** Good associations reproject within ~5–15 px; at 40 a view 33 px off still joined and pulled the woman's truth by 15 cm. */
  matchPx: 25,
  missingViewPx: 25,
  /** 7 frames at 60 fps: a real limb moves a few cm in that time, a mistriangulation jumps decimetres. */
  medianWindow: 7,
  maxGlitch: 0.1,
  triangulate: {} as TriangulateOptions,
};

/** Landmarks that decide the association and the left/right labels: large, reliably detected body points. */
const ASSOCIATION_LANDMARKS = ['left_shoulder', 'right_shoulder', 'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle'].map((n) => LANDMARK_INDEX[n as keyof typeof LANDMARK_INDEX]);
/** Reprojection cost (px) of swapping one view's sides, so that swaps are made only when they clearly fit better. */
const SWAP_PENALTY_PX = 3;

export interface ViewTracks {
  /** One keypoints file per candidate track (e.g. one per `--person` choice). */
  tracks: KeypointsFile[];
}

/** What each view contributed to one person in one frame. */
export interface FrameAssignment {
  /** Per view: index of the candidate track used, or null when no detection matched. */
  track: Array<number | null>;
  /** Per view: the detection's left and right were swapped (the detector mislabelled the sides). */
  swapped: boolean[];
  /** Per view: median reprojection error (px) of the association landmarks, NaN when unmatched. */
  errorPx: number[];
}

export interface PersonTruth {
  /** Per frame: 33 points in the calibration's world (metres), null where fewer than two views saw the person. */
  frames: Array<Array<Vec3 | null> | null>;
  assignments: FrameAssignment[];
  /** Per frame × landmark × view: reprojection error in px (NaN: not seen), for the quality report. */
  reprojection: number[][][];
  /** Per frame × landmark: views kept after rejection. */
  viewsUsed: number[][][];
}

type Pt = [number, number, number];

/** Builds the per-person truth from the candidate tracks of every view (views in camera order). */
export function buildMultiviewTruth(cams: readonly ViewCamera[], views: readonly ViewTracks[], options: TruthOptions = {}): PersonTruth[] {
  const opts = { ...TRUTH_DEFAULTS, ...options };
  const frameCount = Math.min(...views.flatMap((v) => v.tracks.map((t) => t.frames.length)));
  const people: PersonTruth[] = Array.from({ length: opts.people }, () => ({ frames: [], assignments: [], reprojection: [], viewsUsed: [] }));
  let previous: Array<Vec3 | null> = Array(opts.people).fill(null);
  for (let f = 0; f < frameCount; f++) {
    const candidates = views.map((v) => dedupe(v.tracks.map((t) => t.frames[f]?.keypoints ?? null)));
    const found = associate(cams, candidates, opts);
    const order = matchToPrevious(found.map((a) => a.centre), previous);
    previous = order.map((k, p) => (k == null ? previous[p]! : found[k]!.centre));
    order.forEach((k, p) => {
      const person = people[p]!;
      if (k == null) {
        person.frames.push(null);
        person.assignments.push({ track: views.map(() => null), swapped: views.map(() => false), errorPx: views.map(() => NaN) });
        person.reprojection.push([]);
        person.viewsUsed.push([]);
        return;
      }
      const a = found[k]!;
      const detections = a.track.map((c, v) => (c == null ? null : candidates[v]![c]!.points));
      const { swapped } = a;
      const sightings = detections.map((d, v) => (d && swapped[v] ? MIRROR.map((m) => d[m]!) : d));
      const tri = triangulateBody(cams, sightings, opts.triangulate);
      person.frames.push(tri.points);
      person.assignments.push({ track: a.track.map((c, v) => (c == null ? null : candidates[v]![c]!.track)), swapped, errorPx: a.errorPx });
      person.reprojection.push(tri.errors);
      person.viewsUsed.push(tri.views);
    });
  }
  for (const person of people) {
    orientSides(person, opts.medianWindow);
    dropGlitches(person.frames, opts.medianWindow, opts.maxGlitch);
  }
  return people;
}

/**
 * Names the sides of a triangulated body by its geometry, not by a vote of the views (two views
 * that see a body from behind can outvote two that see its face): the body's left is up × forward,
 * forward being where the nose is from the shoulders' centre, up the person's mean hip-to-shoulder
 * direction over the clip. The sign is a running majority over `window` frames (a noisy nose must
 * not flip a single frame). Frames whose labels disagree are mirrored, with their view flags.
 * Returns the frames relabelled.
 */
export function orientSides(person: PersonTruth, window: number): number {
  const I = LANDMARK_INDEX;
  const mid = (f: Array<Vec3 | null>, a: number, b: number): Vec3 | null => (f[a] && f[b] ? [(f[a]![0] + f[b]![0]) / 2, (f[a]![1] + f[b]![1]) / 2, (f[a]![2] + f[b]![2]) / 2] : null);
  const up: Vec3 = [0, 0, 0];
  for (const f of person.frames) {
    const s = f && mid(f, I.left_shoulder, I.right_shoulder);
    const h = f && mid(f, I.left_hip, I.right_hip);
    if (s && h) for (let k = 0; k < 3; k++) up[k] += s[k]! - h[k]!;
  }
  const signs = person.frames.map((f) => {
    const s = f && mid(f, I.left_shoulder, I.right_shoulder);
    const nose = f?.[I.nose];
    const ls = f?.[I.left_shoulder];
    const rs = f?.[I.right_shoulder];
    if (!s || !nose || !ls || !rs) return 0;
    const forward: Vec3 = [nose[0] - s[0], nose[1] - s[1], nose[2] - s[2]];
    const left = cross(up, forward);
    return Math.sign((ls[0] - rs[0]) * left[0] + (ls[1] - rs[1]) * left[1] + (ls[2] - rs[2]) * left[2]);
  });
  const half = window >> 1;
  let flipped = 0;
  person.frames.forEach((f, i) => {
    const vote = signs.slice(Math.max(0, i - half), i + half + 1).reduce((a, b) => a + b, 0);
    if (!f || vote >= 0) return;
    person.frames[i] = MIRROR.map((m) => f[m]!);
    const a = person.assignments[i]!;
    a.swapped = a.swapped.map((x, v) => (a.track[v] == null ? x : !x));
    if (person.reprojection[i]!.length) person.reprojection[i] = MIRROR.map((m) => person.reprojection[i]![m]!);
    if (person.viewsUsed[i]!.length) person.viewsUsed[i] = MIRROR.map((m) => person.viewsUsed[i]![m]!);
    flipped += 1;
  });
  return flipped;
}

/**
 * With two or three views a wrong sighting cannot always be outvoted; what it leaves is a
 * point that jumps away from its neighbours in time. Such points are removed (scored nowhere).
 */
export function dropGlitches(frames: Array<Array<Vec3 | null> | null>, window: number, maxGlitch: number): number {
  const half = window >> 1;
  const dropped: Array<[number, number]> = [];
  for (let i = 0; i < LANDMARK_COUNT; i++) {
    for (let f = 0; f < frames.length; f++) {
      const p = frames[f]?.[i];
      if (!p) continue;
      const near = frames.slice(Math.max(0, f - half), f + half + 1).flatMap((g) => (g?.[i] ? [g[i]!] : []));
      if (near.length < 3) continue;
      const m = [0, 1, 2].map((k) => median(near.map((q) => q[k]!)));
      if (Math.hypot(p[0] - m[0]!, p[1] - m[1]!, p[2] - m[2]!) > maxGlitch) dropped.push([f, i]);
    }
  }
  for (const [f, i] of dropped) frames[f]![i] = null;
  return dropped.length;
}

interface Candidate { track: number; points: Pt[] }

/** Drops a candidate that follows the same person as an earlier one (two choices can lock onto one body). */
function dedupe(tracks: Array<Pt[] | null>): Candidate[] {
  const out: Candidate[] = [];
  tracks.forEach((points, track) => {
    if (!points) return;
    const same = out.some((c) => median(ASSOCIATION_LANDMARKS.map((i) => Math.hypot(c.points[i]![0] - points[i]![0], c.points[i]![1] - points[i]![1]))) < 15);
    if (!same) out.push({ track, points });
  });
  return out;
}

interface Association { track: Array<number | null>; swapped: boolean[]; errorPx: number[]; centre: Vec3; cost: number }

/**
 * The set of assignments, one per person and no detection used twice, with the smallest total
 * cost (a person not found costs what leaving out every view costs). Chosen jointly, not person by
 * person: the best single body can take a detection of the other person that it fits only a little
 * better, leaving that person a combination off by tens of pixels.
 */
function associate(cams: readonly ViewCamera[], candidates: Candidate[][], opts: typeof TRUTH_DEFAULTS): Association[] {
  const all: Association[] = [];
  for (const choice of choices(candidates.map((c) => c.map((_, i) => i)))) {
    if (choice.filter((c) => c != null).length < 2) continue;
    const a = scoreAssociation(cams, candidates, choice, opts);
    if (a) all.push(a);
  }
  all.sort((x, y) => x.cost - y.cost);
  const absent = opts.missingViewPx * candidates.length;
  let best: Association[] = [];
  let bestCost = absent * opts.people;
  const disjoint = (a: Association, set: Association[]) => set.every((o) => o.track.every((c, v) => c == null || a.track[v] !== c));
  const search = (from: number, set: Association[], cost: number) => {
    const total = cost + absent * (opts.people - set.length);
    if (total < bestCost) { bestCost = total; best = set; }
    if (set.length === opts.people) return;
    for (let i = from; i < all.length; i++) {
      const a = all[i]!;
      // Sorted by cost: once one more person at this cost cannot beat the best, no later one can.
      if (cost + a.cost + absent * (opts.people - set.length - 1) >= bestCost) break;
      if (disjoint(a, set)) search(i + 1, [...set, a], cost + a.cost);
    }
  };
  search(0, [], 0);
  return best;
}

function* choices(options: number[][], v = 0, prefix: Array<number | null> = []): Generator<Array<number | null>> {
  if (v === options.length) { yield prefix; return; }
  for (const c of [null, ...options[v]!]) yield* choices(options, v + 1, [...prefix, c]);
}

/**
 * How well one candidate per view triangulates as one body: the median reprojection error per
 * view of the association landmarks, under the best left/right labelling of each view (a
 * detector that sees a body from behind often swaps the sides).
 */
function scoreAssociation(cams: readonly ViewCamera[], candidates: Candidate[][], choice: Array<number | null>, opts: typeof TRUTH_DEFAULTS): Association | null {
  const views = choice.flatMap((c, v) => (c == null ? [] : [v]));
  const pts = views.map((v) => candidates[v]![choice[v]!]!.points);
  let best: Association | null = null;
  // The first view keeps its labels: swapping every view at once only mirrors the names.
  for (let mask = 0; mask < 1 << (views.length - 1); mask++) {
    const swap = views.map((_, k) => k > 0 && ((mask >> (k - 1)) & 1) === 1);
    const perView = views.map(() => [] as number[]);
    const centre: Vec3 = [0, 0, 0];
    let n = 0;
    for (const i of ASSOCIATION_LANDMARKS) {
      const obs = views.map((v, k) => {
        const p = pts[k]![swap[k] ? MIRROR[i]! : i]!;
        const [x, y] = undistortPixel(cams[v]!, p[0], p[1]);
        return { view: v, x, y, weight: Math.max(0.05, p[2]), p };
      });
      const X = weightedDlt(cams, obs);
      if (!X) continue;
      obs.forEach((o, k) => {
        const q = projectCalibrated(cams[o.view]!, X);
        perView[k]!.push(q ? Math.hypot(q[0] - o.p[0], q[1] - o.p[1]) : 1e4);
      });
      for (let k = 0; k < 3; k++) centre[k] += X[k]!;
      n += 1;
    }
    if (n === 0) continue;
    const errs = perView.map(median);
    if (errs.some((e) => !(e <= opts.matchPx))) continue;
    const cost = errs.reduce((s, e) => s + e, 0) / errs.length + opts.missingViewPx * (choice.length - views.length) + SWAP_PENALTY_PX * swap.filter(Boolean).length;
    if (best && cost >= best.cost) continue;
    // Name the sides as most views do.
    const flipAll = swap.filter(Boolean).length * 2 > swap.length;
    const swapped = choice.map((c, v) => (c == null ? false : swap[views.indexOf(v)]! !== flipAll));
    best = { track: choice, swapped, errorPx: choice.map((c, v) => (c == null ? NaN : errs[views.indexOf(v)]!)), centre: [centre[0] / n, centre[1] / n, centre[2] / n], cost };
  }
  return best;
}

/** Person slot → index into `found`, keeping each person nearest to where it was (first frame: in found order). */
function matchToPrevious(centres: Vec3[], previous: Array<Vec3 | null>): Array<number | null> {
  const slots = previous.length;
  if (previous.every((p) => p == null)) return Array.from({ length: slots }, (_, p) => (p < centres.length ? p : null));
  let best: Array<number | null> = [];
  let bestCost = Infinity;
  for (const perm of permutations(slots, centres.length)) {
    let cost = 0;
    perm.forEach((k, p) => {
      const prev = previous[p];
      if (k != null && prev) cost += Math.hypot(centres[k]![0] - prev[0], centres[k]![1] - prev[1], centres[k]![2] - prev[2]);
      else if (k == null && prev) cost += 0.5;
    });
    if (cost < bestCost) { bestCost = cost; best = perm; }
  }
  return best;
}

/** Every injective map from `slots` slots to items 0..n-1 (or none). */
function permutations(slots: number, n: number): Array<Array<number | null>> {
  const out: Array<Array<number | null>> = [];
  const rec = (prefix: Array<number | null>) => {
    if (prefix.length === slots) { out.push(prefix); return; }
    for (const k of [null, ...Array.from({ length: n }, (_, i) => i)]) if (k == null || !prefix.includes(k)) rec([...prefix, k]);
  };
  rec([]);
  return out;
}

function triangulateBody(cams: readonly ViewCamera[], sightings: Array<Pt[] | null>, options: TriangulateOptions) {
  const points: Array<Vec3 | null> = [];
  const errors: number[][] = [];
  const views: number[][] = [];
  for (let i = 0; i < LANDMARK_COUNT; i++) {
    const r = triangulatePoint(cams, sightings.map((s) => (s ? { u: s[i]![0], v: s[i]![1], weight: s[i]![2] } : null)), options);
    points.push(r ? r.point : null);
    errors.push(r ? r.errors : sightings.map(() => NaN));
    views.push(r ? r.views : []);
  }
  return { points, errors, views };
}

export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
