import { EVAL_LANDMARKS } from './metrics.ts';
import { LANDMARK_INDEX, LANDMARK_MIRROR } from '../formats/landmarks.ts';
import type { Vec3 } from '../geometry/quaternion.ts';
import { projectCalibrated, type ViewCamera } from '../geometry/triangulate.ts';
import { median, type PersonTruth, type ViewTracks } from './multiview-truth.ts';

/**
 * How good a pseudo ground truth is by its own evidence, not by the scores it gives: each view is
 * left out in turn, the truth is built from the others, and the left-out view's detections are
 * compared with its projection (a truth that is right predicts a view it never saw; its own
 * reprojection error says little when the method chooses which views to keep).
 */
export const EVIDENCE_DEFAULTS = {
  /** Sightings below this detector confidence are not compared. */
  minConfidence: 0.5,
  /** Only frames the full truth built from at least this many views (with two, the rest is one view). */
  minViews: 3,
};

const SCORED = EVAL_LANDMARKS.map((n) => LANDMARK_INDEX[n]);

function hipOf(t: PersonTruth): Vec3 | null {
  for (const f of t.frames) if (f?.[LANDMARK_INDEX.left_hip]) return f[LANDMARK_INDEX.left_hip]!;
  return null;
}

/** The person of `candidates` whose first hip lies nearest `t`'s. */
function samePerson(t: PersonTruth, candidates: readonly PersonTruth[]): PersonTruth | null {
  const h = hipOf(t);
  let best: PersonTruth | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const g = hipOf(c);
    const d = h && g ? Math.hypot(h[0] - g[0], h[1] - g[1], h[2] - g[2]) : Infinity;
    if (d < bestD) { bestD = d; best = c; }
  }
  return best;
}

/**
 * Per person (in `truths`' order) and view: the median distance (px) between the view's detections
 * associated with the person and the projection of the truth built without that view.
 */
export function heldOutReprojection(cams: readonly ViewCamera[], views: readonly ViewTracks[], truths: readonly PersonTruth[], build: (views: readonly ViewTracks[]) => PersonTruth[], options: Partial<typeof EVIDENCE_DEFAULTS> = {}): number[][] {
  const o = { ...EVIDENCE_DEFAULTS, ...options };
  const without = cams.map((_, v) => build(views.map((x, k) => (k === v ? { tracks: [] } : x))));
  return truths.map((full) => cams.map((cam, v) => {
    const held = samePerson(full, without[v]!);
    const errs: number[] = [];
    full.assignments.forEach((a, f) => {
      const k = a.track[v];
      const pts = held?.frames[f];
      const kp = k == null ? null : views[v]!.tracks[k]!.frames[f]?.keypoints;
      if (!kp || !pts || a.track.filter((x) => x != null).length < o.minViews) return;
      for (const i of SCORED) {
        const q = pts[i] ? projectCalibrated(cam, pts[i]!) : null;
        const d = kp[a.swapped[v] ? LANDMARK_MIRROR[i]! : i]!;
        if (q && d[2] >= o.minConfidence) errs.push(Math.hypot(d[0] - q[0], d[1] - q[1]));
      }
    });
    return median(errs);
  }));
}
