/**
 * How far a simulated foot moves while its reference stands planted. The search's landmark cost
 * is relative to the pelvis (the metrics are root-aligned), so a candidate that lifts a planted
 * foot and puts it down a step further on, to catch up with a reference it lags, costs it nothing
 * there; the foot-skating metric counts it. This charges the slide where the reference's foot
 * holds still on the floor, and where the simulated foot itself is down (the metric's contact: a
 * foot landing early and skidding on, ahead of its reference's).
 */
import { LANDMARK_INDEX } from '../formats/landmarks.ts';
import { FOOT_LANDMARKS, footCentreShift } from '../eval/metrics.ts';

/** Each foot's points as the skating metric takes them, so the search charges the slide the metric counts. */
const FEET = [FOOT_LANDMARKS.left, FOOT_LANDMARKS.right].map((names) => names.map((n) => LANDMARK_INDEX[n]));

export interface SlideOptions {
  /** A foot is down when both its points are below this height (m; the metric's 5 cm) at both frames; a reference foot down… */
  plantedHeight: number;
  /** …and its centre moves less than this (m) between them. */
  plantedShift: number;
  /** Horizontal motion (m per frame) of the simulated foot's centre charged only above this. */
  margin: number;
}

export const SLIDE_DEFAULTS: SlideOptions = { plantedHeight: 0.05, plantedShift: 0.01, margin: 0.01 };

/** Horizontal shift (m) of a foot's centre between two frames of packed landmarks (99 values each, y up). */
function centreShift(a: (i: number) => number, b: (i: number) => number, foot: readonly number[]): number {
  return footCentreShift((j, c) => a(j * 3 + c), (j, c) => b(j * 3 + c), foot);
}

/**
 * Squared excess slide (m², summed over the feet) of the simulated feet from frame `prev` to `cur`
 * (landmark accessors by packed index) where the reference's foot is planted over its frames
 * `refPrev` → `refCur`, or the simulated foot is down at both frames.
 */
export function stanceSlide2(
  simPrev: (i: number) => number, simCur: (i: number) => number, ref: ArrayLike<number>, refPrev: number, refCur: number, o: SlideOptions = SLIDE_DEFAULTS,
): number {
  let e = 0;
  for (const foot of FEET) {
    const down = foot.every((j) => simPrev(j * 3 + 1) < o.plantedHeight && simCur(j * 3 + 1) < o.plantedHeight);
    const low = foot.every((j) => ref[refPrev * 99 + j * 3 + 1]! < o.plantedHeight && ref[refCur * 99 + j * 3 + 1]! < o.plantedHeight);
    const planted = low && centreShift((i) => ref[refPrev * 99 + i]!, (i) => ref[refCur * 99 + i]!, foot) < o.plantedShift;
    if (!down && !planted) continue;
    const excess = centreShift(simPrev, simCur, foot) - o.margin;
    if (excess > 0) e += excess * excess;
  }
  return e;
}
