import type { Vec3 } from '../geometry/quaternion.ts';
import { cross, mid, sub } from '../geometry/vec3.ts';
import { LANDMARK_INDEX, type LandmarkName } from '../formats/landmarks.ts';
import { footSkatePct, type LandmarkFrame, METRIC_DEFAULTS } from './metrics.ts';

/**
 * Is a retargeted truth a body someone can stand in? Pure checks on the 33 landmarks of a
 * truth (world metres, y up, ground y = 0) that a landmark placed in the wrong local frame
 * fails (a foot upside down, a face turned backwards), run by synth and by the tests on every
 * shared clip:
 * - stance: where the source stands on a flat foot (ankle and toe joints at their lowest, slow;
 *   without the source, or where it hardly ever does: heel and toe within `contactHeight` of the floor
 *   as the metrics' contact, ankle slow), the heel and toe landmarks of the supporting (lower) foot
 *   are within `soleHeight` of the floor (median over those frames), and every standing foot's
 *   are below its ankle; a clip where no foot ever stands fails;
 * - face: the face (ears → nose) points the way the chest does: within `faceMedianDeg` on the
 *   median frame and never more than `faceMaxDeg` apart;
 * - skating: feet of the truth slide as a whole (heel and toe both move more than the metric's
 *   skating distance while in contact) where the source's feet do not, in at most `maxSkatePct`
 *   of the frames; pivots on the ball or heel, which the metric's foot-centre rule also counts, are
 *   turns, and a dancer's own glides are the motion (the tests hold walking and jumping clips to
 *   the metric itself);
 * - bones: distances between landmarks on one rigid segment vary by at most `boneTolerance`.
 */

export interface RetargetCheckOptions {
  /** Foot points within this height (m) can be standing (the contact height of the metrics). */
  contactHeight: number;
  /** …and the ankle moves slower than this horizontally, m/s. */
  stanceSpeed: number;
  /** A source foot stands flat where its ankle and toe joints are within this height (m) of their lowest, and slow. */
  flatAnkle: number;
  /** Median height (m) of the heel and toe landmarks over stance frames. */
  soleHeight: number;
  faceMedianDeg: number;
  faceMaxDeg: number;
  maxSkatePct: number;
  /** m. */
  boneTolerance: number;
}

export const RETARGET_CHECK_DEFAULTS: RetargetCheckOptions = {
  contactHeight: METRIC_DEFAULTS.contactHeight,
  stanceSpeed: 0.25,
  flatAnkle: 0.008,
  soleHeight: 0.03,
  // A head turns up to ~80° on the shoulders: beyond 90° the face is on the wrong side.
  faceMedianDeg: 45,
  faceMaxDeg: 90,
  maxSkatePct: 2,
  boneTolerance: 0.001,
};

export type RetargetCheckName = 'stance' | 'face' | 'skating' | 'bones';

export interface RetargetCheck {
  name: RetargetCheckName;
  ok: boolean;
  /** One line: what was measured against what limit. */
  detail: string;
}

/** Landmark pairs on one rigid segment of the project skeleton. */
const RIGID_PAIRS: Array<[LandmarkName, LandmarkName]> = [
  ['left_hip', 'right_hip'], ['left_shoulder', 'right_shoulder'], ['left_ear', 'right_ear'], ['nose', 'left_eye'],
  ['left_hip', 'left_knee'], ['left_knee', 'left_ankle'], ['left_ankle', 'left_heel'], ['left_heel', 'left_foot_index'],
  ['right_hip', 'right_knee'], ['right_knee', 'right_ankle'], ['right_ankle', 'right_heel'], ['right_heel', 'right_foot_index'],
  ['left_shoulder', 'left_elbow'], ['left_elbow', 'left_wrist'], ['left_wrist', 'left_index'],
  ['right_shoulder', 'right_elbow'], ['right_elbow', 'right_wrist'], ['right_wrist', 'right_index'],
];

const L = LANDMARK_INDEX;
/** Fewer frames where the source stands on a flat foot than this: judge stance by the truth's contacts. */
const MIN_FLAT_FRAMES = 10;
const angleDeg = (a: Vec3, b: Vec3): number => {
  const c = (a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / ((Math.hypot(...a) * Math.hypot(...b)) || 1);
  return (Math.acos(Math.max(-1, Math.min(1, c))) * 180) / Math.PI;
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1]! : NaN;
};

/**
 * Per frame and foot: does the source foot stand flat (ankle and toe joints within `flatAnkle` of
 * their lowest heights in the clip, and slow)? A heel rising or a dancer on the balls of the feet
 * raises the ankle: not flat.
 */
function sourceFlat(sourceFeet: readonly SourceFeetFrame[], fps: number, o: RetargetCheckOptions): boolean[][] {
  const lowest = (ys: number[]): number => [...ys].sort((x, y) => x - y)[Math.floor(0.05 * (ys.length - 1))]!;
  return [0, 1].map((s) => {
    const ankles = sourceFeet.map((f) => f[s]!.ankle);
    const toes = sourceFeet.map((f) => f[s]!.toe);
    const lowAnkle = lowest(ankles.map((p) => p[1]));
    const toeYs = toes.flatMap((p) => (p ? [p[1]] : []));
    const lowToe = toeYs.length ? lowest(toeYs) : NaN;
    return ankles.map((p, k) => {
      const a = ankles[Math.max(0, k - 1)]!, b = ankles[Math.min(ankles.length - 1, k + 1)]!;
      const span = Math.min(ankles.length - 1, k + 1) - Math.max(0, k - 1);
      const speed = span > 0 ? Math.hypot(b[0] - a[0], b[2] - a[2]) * fps / span : 0;
      const toe = toes[k];
      return p[1] - lowAnkle < o.flatAnkle && (!toe || toe[1] - lowToe < o.flatAnkle) && speed <= o.stanceSpeed;
    });
  });
}

function stanceCheck(frames: readonly LandmarkFrame[], fps: number, o: RetargetCheckOptions, sourceFeet?: readonly SourceFeetFrame[]): RetargetCheck {
  const heel: number[] = [], toe: number[] = [];
  let above = 0, stance = 0;
  const feet = (['left', 'right'] as const).map((side) => ({ a: L[`${side}_ankle`], h: L[`${side}_heel`], t: L[`${side}_foot_index`] }));
  let flat = sourceFeet && sourceFeet.length === frames.length ? sourceFlat(sourceFeet, fps, o) : null;
  // A window where the source hardly stands flat (a dancer on the balls of the feet, a short
  // window of crouches): the truth's own contacts.
  if (flat && flat[0]!.filter((on, k) => on || flat![1]![k]).length < MIN_FLAT_FRAMES) flat = null;
  frames.forEach((f, k) => {
    const prev = frames[Math.max(0, k - 1)]!, next = frames[Math.min(frames.length - 1, k + 1)]!;
    const span = Math.min(frames.length - 1, k + 1) - Math.max(0, k - 1);
    const standing = feet.filter(({ a, h, t }, s) => {
      if (flat) return flat[s]![k]!;
      const speed = span > 0 ? Math.hypot(next[a]![0] - prev[a]![0], next[a]![2] - prev[a]![2]) * fps / span : 0;
      return Math.max(f[h]![1], f[t]![1]) <= o.contactHeight && speed <= o.stanceSpeed;
    });
    if (!standing.length) return;
    for (const { a, h, t } of standing) if (f[h]![1] >= f[a]![1] || f[t]![1] >= f[a]![1]) above++;
    // Heights of the supporting foot (the lower one): the other may rest lighter, a little above the floor.
    const low = standing.reduce((x, y) => (Math.max(f[y.h]![1], f[y.t]![1]) < Math.max(f[x.h]![1], f[x.t]![1]) ? y : x));
    stance++;
    heel.push(f[low.h]![1]);
    toe.push(f[low.t]![1]);
  });
  const mh = median(heel), mt = median(toe);
  const ok = stance > 0 && mh <= o.soleHeight && mt <= o.soleHeight && above === 0;
  const mm = (v: number): string => (Number.isFinite(v) ? `${(1000 * v).toFixed(0)} mm` : '—');
  return {
    name: 'stance', ok,
    detail: stance === 0 ? 'no stance frame (no foot ever stands on the floor)'
      : `in ${stance} frames where ${flat ? 'the source stands on a flat foot' : 'a foot stands'}: supporting foot's median heel ${mm(mh)}, toe ${mm(mt)} above the floor (limit ${mm(o.soleHeight)}); ` +
        `${above} foot-frames with the heel or toe not below the ankle (limit 0)`,
  };
}

function faceCheck(frames: readonly LandmarkFrame[], o: RetargetCheckOptions): RetargetCheck {
  const angles = frames.map((f) => {
    const face = sub(f[L.nose]!, mid(f[L.left_ear]!, f[L.right_ear]!));
    const up = sub(mid(f[L.left_shoulder]!, f[L.right_shoulder]!), mid(f[L.left_hip]!, f[L.right_hip]!));
    // Left × up = forward (the subject's left is +x when it faces +z, y up).
    const chest = cross(sub(f[L.left_shoulder]!, f[L.right_shoulder]!), up);
    return angleDeg(face, chest);
  });
  const med = median(angles), max = Math.max(...angles);
  return {
    name: 'face', ok: med <= o.faceMedianDeg && max <= o.faceMaxDeg,
    detail: `face vs chest direction: median ${med.toFixed(0)}° (limit ${o.faceMedianDeg}°), max ${max.toFixed(0)}° (limit ${o.faceMaxDeg}°)`,
  };
}

/**
 * Share (%) of frame transitions in which a foot in contact (as in the metric) slides as a whole:
 * heel AND toe each move more than the skating distance. A turn on the ball or heel (one point
 * still) counts as skating in the metric's foot-centre rule, but it is a pivot, not a slide.
 */
export function wholeFootSlidePct(frames: readonly LandmarkFrame[], sourceFeet?: readonly SourceFeetFrame[], contactHeight = METRIC_DEFAULTS.contactHeight, distance = METRIC_DEFAULTS.skateDistance): number {
  if (frames.length < 2) return 0;
  const moved = (a: Vec3, b: Vec3): boolean => Math.hypot(b[0] - a[0], b[2] - a[2]) > distance;
  let sliding = 0;
  for (let k = 1; k < frames.length; k++) {
    const a = frames[k - 1]!, b = frames[k]!;
    const slides = (['left', 'right'] as const).some((side, s) => {
      const pts = [L[`${side}_heel`], L[`${side}_foot_index`]];
      if (!pts.every((i) => a[i]![1] < contactHeight && b[i]![1] < contactHeight)) return false;
      if (!pts.every((i) => moved(a[i]!, b[i]!))) return false;
      // A slide the source foot makes too (ankle and toe joints both moving, if less: its joints
      // are not where our heel and toe points are) is the motion's own.
      const sa = sourceFeet?.[k - 1]?.[s], sb = sourceFeet?.[k]?.[s];
      const movedSome = (p: Vec3, q: Vec3): boolean => Math.hypot(q[0] - p[0], q[2] - p[2]) > distance / 2;
      return !(sa && sb && movedSome(sa.ankle, sb.ankle) && (!sa.toe || !sb.toe || movedSome(sa.toe, sb.toe)));
    });
    if (slides) sliding++;
  }
  return (100 * sliding) / (frames.length - 1);
}

function skatingCheck(frames: readonly LandmarkFrame[], metricPct: number, o: RetargetCheckOptions, sourceFeet?: readonly SourceFeetFrame[]): RetargetCheck {
  const slide = wholeFootSlidePct(frames, sourceFeet, o.contactHeight);
  return {
    name: 'skating', ok: slide <= o.maxSkatePct,
    detail: `feet sliding as a whole${sourceFeet ? ' where the source feet do not' : ''} in ${slide.toFixed(1)} % of frames (limit ${o.maxSkatePct} %); ` +
      `foot skating metric of the truth ${metricPct.toFixed(1)} % (pivots and the source's own slides included)`,
  };
}

function boneCheck(frames: readonly LandmarkFrame[], o: RetargetCheckOptions): RetargetCheck {
  let worst = 0, which = '';
  for (const [a, b] of RIGID_PAIRS) {
    const d = frames.map((f) => Math.hypot(...sub(f[L[a]]!, f[L[b]]!)));
    const spread = Math.max(...d) - Math.min(...d);
    if (spread > worst) { worst = spread; which = `${a}–${b}`; }
  }
  return {
    name: 'bones', ok: worst <= o.boneTolerance,
    detail: `largest change of a rigid distance ${(1000 * worst).toFixed(2)} mm${which ? ` (${which})` : ''} (limit ${(1000 * o.boneTolerance).toFixed(0)} mm)`,
  };
}

/** One frame of the source clip's feet, [left, right] (RetargetResult.sourceFeet; metres, y up). */
export type SourceFeetFrame = readonly [{ ankle: Vec3; toe: Vec3 | null }, { ankle: Vec3; toe: Vec3 | null }];

/**
 * Runs every check on a truth's landmark frames (fps: their frame rate). With `sourceFeet` (the
 * source's ankle and toe joints at the same frames) slides the source makes itself are not counted.
 */
export function checkRetarget(frames: readonly LandmarkFrame[], fps: number, options: Partial<RetargetCheckOptions> = {}, sourceFeet?: readonly SourceFeetFrame[]): RetargetCheck[] {
  const o = { ...RETARGET_CHECK_DEFAULTS, ...options };
  const skate = footSkatePct(frames, { contactHeight: o.contactHeight });
  return [
    stanceCheck(frames, fps, o, sourceFeet),
    faceCheck(frames, o),
    skatingCheck(frames, skate, o, sourceFeet),
    boneCheck(frames, o),
  ];
}

/** One warning line per failed check, naming the clip. */
export function retargetWarnings(clip: string, checks: readonly RetargetCheck[]): string[] {
  return checks.filter((c) => !c.ok).map((c) => `warning: ${clip}: retarget check "${c.name}" failed: ${c.detail}`);
}
