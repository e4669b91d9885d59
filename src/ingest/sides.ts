import { LANDMARK_INDEX, LANDMARK_MIRROR } from '../formats/landmarks.ts';
import type { BodyPerson } from './body-detector.ts';

/**
 * Left and right over a whole clip. BlazePose can take a body for its mirror image (facing the
 * camera when it faces away, or the other way round when the face is hidden or blurred): it then
 * swaps the sides' labels in 2D and puts the body the other way round in depth, for runs of frames.
 * Each frame is either taken as detected or relabelled (sides exchanged, world depth mirrored about
 * the hips); a 2-state Viterbi over the clip picks the labelling that moves least from frame to
 * frame (image and world landmarks together), with a small cost per relabelled frame so that the
 * labelling the detector gives wins wherever motion does not contradict it. Unlike a frame-to-frame
 * rule, a run that starts wrong is corrected when the rest of the clip disagrees with it.
 * Where the body detector (MoveNet, another network that errs otherwise) ran on the frame, its
 * labels are a vote per frame: on the multi-view capture they were right in 238 of 240 frames of
 * the man where it matched him, including the runs BlazePose swapped.
 */
export const SIDES_DEFAULTS = {
  /** Cost of relabelling one frame, in the transition cost's units (a swap boundary costs ~0.3–1). */
  flipCost: 0.02,
  /** Weight of the image term: mean landmark displacement in torso lengths. */
  imageWeight: 1,
  /** Weight of the world term: mean landmark displacement in units of `worldScale` metres. */
  worldWeight: 1,
  worldScale: 0.5,
  /** Weight of the body detector's vote (its margin in torso lengths, clipped to ±1) per frame it stands for (votes may come every few frames). */
  voteWeight: 1,
  /** A body whose labelled points lie further than this (mean, torso lengths) from the pose's, either way round, is someone else. */
  voteMatch: 0.5,
  /** Body keypoints scored below this do not vote. */
  voteMinScore: 0.2,
  /**
   * Where another person covers the tracked one (the frame's overlap, identity.ts), the body detector's
   * bodies mix too and its vote weighs less: nothing at this overlap share (null: votes weigh alike).
   * bench:real's man in cam03 (covered 12–20 %) 141 → 128 mm, flat over 0.15–0.4, other views ±2 mm.
   */
  voteOverlap: 0.25 as number | null,
  /** Likewise the motion between two frames, whose landmarks may mix both people (null: off; 0.25 measured 127 mm there, cam02 +2 mm). */
  linkOverlap: null as number | null,
};
export type SidesOptions = typeof SIDES_DEFAULTS;

type P3 = [number, number, number];
export interface SideFrame {
  keypoints: P3[] | null;
  world: P3[] | null;
  /** The body detector's vote for relabelling (> 0) or keeping (< 0) this frame's sides; null: no vote. */
  sideVote?: number | null;
  /** The largest share of the person's box another person covers (identity.ts); null: not measured (taken as 0). */
  overlap?: number | null;
}

/** COCO-17 left/right pairs (shoulders, elbows, hips, knees, ankles) and their MediaPipe-33 indices. */
const VOTE_PAIRS: Array<[number, number, number, number]> = [
  [5, 6, LANDMARK_INDEX.left_shoulder, LANDMARK_INDEX.right_shoulder], [7, 8, LANDMARK_INDEX.left_elbow, LANDMARK_INDEX.right_elbow],
  [11, 12, LANDMARK_INDEX.left_hip, LANDMARK_INDEX.right_hip], [13, 14, LANDMARK_INDEX.left_knee, LANDMARK_INDEX.right_knee],
  [15, 16, LANDMARK_INDEX.left_ankle, LANDMARK_INDEX.right_ankle],
];

/**
 * The body detector's vote on a pose's sides: among the bodies it found, the one nearest the pose
 * (either labelling); how much closer its labels lie to the pose's mirrored labels than to the
 * pose's own, in torso lengths per point, clipped to ±1. Null when no body is this person.
 */
export function bodyVote(keypoints: readonly P3[], bodies: readonly BodyPerson[], options: Partial<SidesOptions> = {}): number | null {
  const o = { ...SIDES_DEFAULTS, ...options };
  const torso = torsoPx(keypoints as P3[]);
  let best: { near: number; vote: number } | null = null;
  for (const b of bodies) {
    let same = 0;
    let swap = 0;
    let n = 0;
    for (const [cl, cr, ml, mr] of VOTE_PAIRS) {
      const L = b.keypoints[cl]!;
      const R = b.keypoints[cr]!;
      if (L[2] < o.voteMinScore || R[2] < o.voteMinScore) continue;
      const pl = keypoints[ml]!;
      const pr = keypoints[mr]!;
      same += Math.hypot(L[0] - pl[0], L[1] - pl[1]) + Math.hypot(R[0] - pr[0], R[1] - pr[1]);
      swap += Math.hypot(L[0] - pr[0], L[1] - pr[1]) + Math.hypot(R[0] - pl[0], R[1] - pl[1]);
      n += 2;
    }
    if (n < 4) continue;
    const near = Math.min(same, swap) / n / torso;
    if (near > o.voteMatch || (best && near >= best.near)) continue;
    best = { near, vote: Math.max(-1, Math.min(1, (same - swap) / n / torso)) };
  }
  return best ? best.vote : null;
}

/** Limb and torso landmarks: where a swap moves points (the face's midline barely moves). */
const BODY = ['left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle', 'left_heel', 'right_heel', 'left_foot_index', 'right_foot_index']
  .map((n) => LANDMARK_INDEX[n as keyof typeof LANDMARK_INDEX]);
const I = LANDMARK_INDEX;

/**
 * The frame as the mirror interpretation: sides exchanged, depth mirrored through the world's
 * origin (BlazePose's world is hip-centred). The same isometry on every frame, so mirroring a whole
 * clip does not change how much it moves.
 */
export function mirrorFrame(f: SideFrame): SideFrame {
  const vote = f.sideVote == null ? {} : { sideVote: -f.sideVote };
  const keypoints = f.keypoints && LANDMARK_MIRROR.map((m) => f.keypoints![m]!);
  const world = f.world && LANDMARK_MIRROR.map((m) => [f.world![m]![0], f.world![m]![1], -f.world![m]![2]] as P3);
  return { keypoints, world, ...vote, ...(f.overlap == null ? {} : { overlap: f.overlap }) };
}

function torsoPx(k: P3[]): number {
  const sx = (k[I.left_shoulder]![0] + k[I.right_shoulder]![0] - k[I.left_hip]![0] - k[I.right_hip]![0]) / 2;
  const sy = (k[I.left_shoulder]![1] + k[I.right_shoulder]![1] - k[I.left_hip]![1] - k[I.right_hip]![1]) / 2;
  return Math.max(Math.hypot(sx, sy), 1);
}

/** How far the body's landmarks move from one frame to the next (image in torso lengths, world in `worldScale`). */
export function motionCost(a: SideFrame, b: SideFrame, o: SidesOptions = SIDES_DEFAULTS): number {
  let cost = 0;
  if (a.keypoints && b.keypoints) {
    const s = torsoPx(a.keypoints);
    let d = 0;
    for (const i of BODY) d += Math.hypot(b.keypoints[i]![0] - a.keypoints[i]![0], b.keypoints[i]![1] - a.keypoints[i]![1]);
    cost += (o.imageWeight * d) / s / BODY.length;
  }
  if (a.world && b.world) {
    let d = 0;
    for (const i of BODY) d += Math.hypot(b.world[i]![0] - a.world[i]![0], b.world[i]![1] - a.world[i]![1], b.world[i]![2] - a.world[i]![2]);
    cost += (o.worldWeight * d) / o.worldScale / BODY.length;
  }
  return cost;
}

/**
 * Per frame: relabel (true) or keep. Frames without a person break the chain (no motion cost
 * across a gap). Returns the labelling of least total cost.
 */
export function chooseSides(frames: readonly SideFrame[], options: Partial<SidesOptions> = {}): boolean[] {
  const o = { ...SIDES_DEFAULTS, ...options };
  const T = frames.length;
  const variants = frames.map((f) => (f.keypoints ? [f, mirrorFrame(f)] : null));
  // Each vote stands for the frames between votes.
  const votes = frames.filter((f) => f.keypoints && f.sideVote != null).length;
  const voteWeight = votes ? (o.voteWeight * frames.filter((f) => f.keypoints).length) / votes : 0;
  const acc: Array<[number, number]> = [];
  const back: Array<[0 | 1, 0 | 1]> = [];
  // How much a frame's evidence counts where another person covers this one (1: alone).
  const clear = (t: number, scale: number | null) => (scale == null ? 1 : Math.max(0, 1 - (frames[t]?.overlap ?? 0) / scale));
  for (let t = 0; t < T; t++) {
    const cur = variants[t];
    const prev = t > 0 ? variants[t - 1] : null;
    const before = t > 0 ? acc[t - 1]! : [0, 0];
    const row: [number, number] = [0, 0];
    const from: [0 | 1, 0 | 1] = [0, 0];
    const link = Math.min(clear(t, o.linkOverlap), clear(t - 1, o.linkOverlap));
    for (const s of [0, 1] as const) {
      let best = Infinity;
      for (const p of [0, 1] as const) {
        const c = before[p] + (cur && prev ? link * motionCost(prev[p]!, cur[s]!, o) : 0);
        if (c < best) { best = c; from[s] = p; }
      }
      const vote = (frames[t]!.sideVote ?? 0) * clear(t, o.voteOverlap);
      const unary = cur ? (s === 1 ? o.flipCost + voteWeight * Math.max(0, -vote) : voteWeight * Math.max(0, vote)) : 0;
      row[s] = best + unary;
    }
    acc.push(row);
    back.push(from);
  }
  const path: boolean[] = Array(T).fill(false);
  if (T === 0) return path;
  let s: 0 | 1 = acc[T - 1]![0] <= acc[T - 1]![1] ? 0 : 1;
  for (let t = T - 1; t >= 0; t--) {
    path[t] = s === 1 && frames[t]!.keypoints !== null;
    s = back[t]![s];
  }
  return path;
}

/** The clip with each frame in its chosen labelling, and how many were relabelled. */
export function fixSides(frames: readonly SideFrame[], options: Partial<SidesOptions> = {}): { frames: SideFrame[]; relabelled: number } {
  const flip = chooseSides(frames, options);
  return { frames: frames.map((f, t) => (flip[t] ? mirrorFrame(f) : f)), relabelled: flip.filter(Boolean).length };
}
