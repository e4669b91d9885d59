import { LANDMARK_INDEX as I } from '../formats/landmarks.ts';
import type { BodyPerson } from './body-detector.ts';

/**
 * Keeping the tracked person's identity when another person overlaps them in the image. The body
 * detector (MoveNet, bottom-up: it separates overlapping people better than a crop does) finds
 * every body; the tracked person is the body nearest where their own motion puts them (a
 * constant-velocity prediction of the hip centre, at their size), the others are someone else.
 * BlazePose's crop can drift onto the other person and its landmarks can mix both bodies: the
 * pose is checked against the tracked body, re-cropped on it when it drifted, and landmarks that
 * lie on another body rather than on the tracked one are marked low-visibility.
 */
export const IDENTITY_DEFAULTS = {
  /** A body is the tracked person only if its hip centre lies within this many torso lengths of the prediction. */
  matchTorsos: 0.8,
  /** … and its torso is at most this many times larger or smaller than the track's. */
  maxSizeRatio: 1.6,
  /** Weight of the size difference (|ln ratio|) against the position's (torso lengths) when bodies compete. */
  sizeWeight: 0.5,
  /** The pose drifted off the tracked body when its points lie this far from the body's (mean, torso lengths): re-crop on the body. */
  driftTorsos: 0.3,
  /** A landmark lies on another person when it is within this many torso lengths of that person's point of the pair … */
  trustTorsos: 0.25,
  /** … and this many times further from the tracked body's (the body detector's own points err by a fifth of a torso). */
  otherRatio: 2,
  /** Score given to a landmark that cannot be trusted (the reconstruction weighs 2D evidence by it). */
  distrustedScore: 0.05,
  /** Body keypoints scored below this are not used. */
  minScore: 0.2,
  /** Other bodies within this share of the tracked box's size around it count as crowding: the body detector then runs on every frame. */
  crowdMargin: 0.25,
  /** Velocity smoothing (share of the newest estimate) and the longest gap (ms) a prediction is trusted over. */
  velocityBlend: 0.5,
  maxGapMs: 1000,
};
export type IdentityOptions = typeof IDENTITY_DEFAULTS;

type P3 = [number, number, number];
/** Where a person is: hip centre and torso length (px), and the box of their seen body points. */
export interface Placement { x: number; y: number; torso: number; box: [number, number, number, number] }

/** COCO-17 index → MediaPipe-33 index, for the points both detectors have (face: nose only). */
const COCO_TO_MP: Array<[number, number]> = [
  [0, I.nose], [5, I.left_shoulder], [6, I.right_shoulder], [7, I.left_elbow], [8, I.right_elbow], [9, I.left_wrist], [10, I.right_wrist],
  [11, I.left_hip], [12, I.right_hip], [13, I.left_knee], [14, I.right_knee], [15, I.left_ankle], [16, I.right_ankle],
];
/** COCO's mirror pairs (left ↔ right), for comparing either labelling. */
const COCO_MIRROR = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15];
/** MediaPipe landmarks that follow a COCO point's trust: the hand's points follow the wrist, the foot's the ankle, the face the nose. */
const FOLLOWERS: Record<number, number[]> = {
  [I.nose]: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  [I.left_wrist]: [I.left_pinky, I.left_index, I.left_thumb], [I.right_wrist]: [I.right_pinky, I.right_index, I.right_thumb],
  [I.left_ankle]: [I.left_heel, I.left_foot_index], [I.right_ankle]: [I.right_heel, I.right_foot_index],
};

function placement(points: ReadonlyArray<readonly [number, number]>, hips: [number, number], shoulders: [number, number]): Placement | null {
  if (points.length < 4) return null;
  const box: Placement['box'] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of points) {
    box[0] = Math.min(box[0], x); box[1] = Math.min(box[1], y); box[2] = Math.max(box[2], x); box[3] = Math.max(box[3], y);
  }
  const torso = Math.hypot(shoulders[0] - hips[0], shoulders[1] - hips[1]);
  return torso > 1 ? { x: hips[0], y: hips[1], torso, box } : null;
}

/** A body detector's person placed; null without both hips and shoulders. */
export function bodyPlacement(b: BodyPerson, o: IdentityOptions = IDENTITY_DEFAULTS): Placement | null {
  const k = b.keypoints;
  if (![5, 6, 11, 12].every((i) => k[i]![2] >= o.minScore)) return null;
  const mid = (a: number, c: number): [number, number] => [(k[a]![0] + k[c]![0]) / 2, (k[a]![1] + k[c]![1]) / 2];
  return placement(k.filter((p) => p[2] >= o.minScore).map((p) => [p[0], p[1]] as const), mid(11, 12), mid(5, 6));
}

/** A BlazePose pose placed (its body points, whatever their score: BlazePose always places all 33). */
export function posePlacement(kp: readonly P3[]): Placement {
  const mid = (a: number, c: number): [number, number] => [(kp[a]![0] + kp[c]![0]) / 2, (kp[a]![1] + kp[c]![1]) / 2];
  const pts = COCO_TO_MP.map(([, m]) => [kp[m]![0], kp[m]![1]] as const);
  return placement(pts, mid(I.left_hip, I.right_hip), mid(I.left_shoulder, I.right_shoulder))
    ?? { x: mid(I.left_hip, I.right_hip)[0], y: mid(I.left_hip, I.right_hip)[1], torso: 1, box: [0, 0, 0, 0] };
}

/** How far a pose's points lie from a body's (mean over shared points, the better labelling), in the body's torso lengths. */
export function poseToBody(kp: readonly P3[], b: BodyPerson, o: IdentityOptions = IDENTITY_DEFAULTS): number {
  const place = bodyPlacement(b, o);
  if (!place) return Infinity;
  let same = 0;
  let swap = 0;
  let n = 0;
  for (const [c, m] of COCO_TO_MP) {
    const p = b.keypoints[c]!;
    const q = b.keypoints[COCO_MIRROR[c]!]!;
    if (p[2] < o.minScore || q[2] < o.minScore) continue;
    same += Math.hypot(kp[m]![0] - p[0], kp[m]![1] - p[1]);
    swap += Math.hypot(kp[m]![0] - q[0], kp[m]![1] - q[1]);
    n += 1;
  }
  return n < 4 ? Infinity : Math.min(same, swap) / n / place.torso;
}

/** The share of box a covered by box b (0–1). */
function covered(a: Placement['box'], b: Placement['box']): number {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const area = Math.max((a[2] - a[0]) * (a[3] - a[1]), 1);
  return (w * h) / area;
}

/** How much of the tracked person's box the other people cover (the largest share, 0–1). */
export function overlapShare(own: Placement, others: readonly Placement[]): number {
  return others.reduce((m, p) => Math.max(m, covered(own.box, p.box)), 0);
}

/** Whether another person stands within `crowdMargin` of the tracked person's box. */
function crowded(own: Placement, others: readonly Placement[], margin: number): boolean {
  const [x0, y0, x1, y1] = own.box;
  const mx = (x1 - x0) * margin;
  const my = (y1 - y0) * margin;
  return overlapShare({ ...own, box: [x0 - mx, y0 - my, x1 + mx, y1 + my] }, others) > 0;
}

/**
 * The pose with each landmark that lies on another person (on another body's point of the same pair,
 * and `otherRatio` times further from the tracked body's) scored `distrustedScore`, its
 * hand, foot or face points with it. Returns the new keypoints and how many body points were distrusted.
 */
export function distrustOthers(kp: readonly P3[], own: BodyPerson, others: readonly BodyPerson[], o: IdentityOptions = IDENTITY_DEFAULTS): { keypoints: P3[]; distrusted: number } {
  const out = kp.map((p) => [...p] as P3);
  const torso = bodyPlacement(own, o)?.torso ?? posePlacement(kp).torso;
  const near = (b: BodyPerson, c: number, q: P3) => Math.min(...[c, COCO_MIRROR[c]!].map((i) => {
    const p = b.keypoints[i]!;
    return p[2] >= o.minScore ? Math.hypot(q[0] - p[0], q[1] - p[1]) : Infinity;
  }));
  let distrusted = 0;
  for (const [c, m] of COCO_TO_MP) {
    const q = kp[m]!;
    const dOwn = near(own, c, q);
    const dOther = Math.min(Infinity, ...others.map((b) => near(b, c, q)));
    const lost = dOther < o.trustTorsos * torso && dOwn > o.otherRatio * dOther;
    if (!lost) continue;
    distrusted += 1;
    for (const i of [m, ...(FOLLOWERS[m] ?? [])]) out[i]![2] = Math.min(out[i]![2], o.distrustedScore);
  }
  return { keypoints: out, distrusted };
}

/**
 * The tracked person's motion in the image: hip centre, velocity and size, from whichever placement
 * was last trusted (the body detector's where it ran, else the pose's).
 */
export class IdentityTrack {
  private state: { x: number; y: number; vx: number; vy: number; torso: number; tMs: number } | null = null;
  /** Another person stood near the tracked one at the last look: the body detector runs on every frame. */
  crowded = false;

  constructor(readonly options: IdentityOptions = IDENTITY_DEFAULTS) {}

  reset(): void {
    this.state = null;
    this.crowded = false;
  }

  /** Where the person should be at tMs; null when never seen or not for `maxGapMs`. */
  predict(tMs: number): { x: number; y: number; torso: number } | null {
    const s = this.state;
    if (!s || tMs - s.tMs > this.options.maxGapMs) return null;
    const dt = tMs - s.tMs;
    return { x: s.x + s.vx * dt, y: s.y + s.vy * dt, torso: s.torso };
  }

  update(p: Placement, tMs: number): void {
    const s = this.state;
    const dt = s ? tMs - s.tMs : 0;
    if (!s || dt <= 0 || dt > this.options.maxGapMs) {
      this.state = { x: p.x, y: p.y, vx: 0, vy: 0, torso: p.torso, tMs };
      return;
    }
    const a = this.options.velocityBlend;
    this.state = {
      x: p.x, y: p.y, tMs, torso: p.torso,
      vx: (1 - a) * s.vx + (a * (p.x - s.x)) / dt, vy: (1 - a) * s.vy + (a * (p.y - s.y)) / dt,
    };
  }

  /** The index of the body that is the tracked person (nearest the prediction, of a similar size), or -1. */
  match<T extends { x: number; y: number; torso: number }>(people: ReadonlyArray<T | null>, tMs: number): number {
    const pred = this.predict(tMs);
    if (!pred) return -1;
    const o = this.options;
    let best = -1;
    let bestCost = Infinity;
    people.forEach((p, i) => {
      if (!p) return;
      const d = Math.hypot(p.x - pred.x, p.y - pred.y) / pred.torso;
      const ratio = Math.abs(Math.log(p.torso / pred.torso));
      if (d > o.matchTorsos || ratio > Math.log(o.maxSizeRatio)) return;
      const cost = d + o.sizeWeight * ratio;
      if (cost < bestCost) { bestCost = cost; best = i; }
    });
    return best;
  }

  /** Marks whether another person stands near the tracked one (from the body detector's placements). */
  look(own: Placement, others: readonly Placement[]): void {
    this.crowded = crowded(own, others, this.options.crowdMargin);
  }
}
