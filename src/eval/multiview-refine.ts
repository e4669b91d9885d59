import { LANDMARK_INDEX, LANDMARK_MIRROR } from '../formats/landmarks.ts';
import { projectCalibrated, type ViewCamera } from '../geometry/triangulate.ts';
import { buildMultiviewTruth, median, type PersonTruth, type TruthOptions, type ViewTracks } from './multiview-truth.ts';

/**
 * Principal points refined from the people themselves: a view whose detections sit a constant number
 * of pixels off where the other views put the body has a principal point (or a small rotation) that
 * is off by that much (on the pose2sim capture cam01 and cam03 sit 20–28 px right of every other
 * pair's triangulation, docs/notebook/real-video.md). Each round builds the truth, takes per view
 * the median offset of its associated body landmarks from the truth's reprojection, and moves that
 * view's principal point by it, less the median over views (a shift common to all views is not
 * disagreement, and most views are taken to be right).
 */
export const REFINE_DEFAULTS = {
  rounds: 3,
  /** Views whose median offset is below this (px) are left alone. */
  minShiftPx: 1,
};

const BODY = ['left_shoulder', 'right_shoulder', 'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle']
  .map((n) => LANDMARK_INDEX[n as keyof typeof LANDMARK_INDEX]);

/** Per view: median (dx, dy) of its associated detections minus the truth's reprojection (px). */
export function viewOffsets(cams: readonly ViewCamera[], views: readonly ViewTracks[], truths: readonly PersonTruth[]): Array<[number, number]> {
  return cams.map((cam, v) => {
    const dx: number[] = [];
    const dy: number[] = [];
    for (const t of truths) {
      t.assignments.forEach((a, f) => {
        const k = a.track[v];
        const points = t.frames[f];
        const kp = k == null ? null : views[v]!.tracks[k]!.frames[f]?.keypoints;
        if (!kp || !points) return;
        for (const i of BODY) {
          const p = points[i];
          const q = p ? projectCalibrated(cam, p) : null;
          const d = kp[a.swapped[v] ? LANDMARK_MIRROR[i]! : i]!;
          if (q) { dx.push(d[0] - q[0]); dy.push(d[1] - q[1]); }
        }
      });
    }
    return [dx.length ? median(dx) : 0, dy.length ? median(dy) : 0];
  });
}

/** The cameras with refined principal points, and the total shift applied per view (px). */
export function refinePrincipalPoints<C extends ViewCamera>(cams: readonly C[], views: readonly ViewTracks[], truth: TruthOptions = {}, options: Partial<typeof REFINE_DEFAULTS> = {}): { cams: C[]; shiftPx: Array<[number, number]> } {
  const o = { ...REFINE_DEFAULTS, ...options };
  let current = cams.map((c) => ({ ...c }));
  const total: Array<[number, number]> = cams.map(() => [0, 0]);
  for (let r = 0; r < o.rounds; r++) {
    const offsets = viewOffsets(current, views, buildMultiviewTruth(current, views, truth));
    const common = [0, 1].map((k) => median(offsets.map((d) => d[k]!)));
    current = current.map((c, v) => {
      const dx = offsets[v]![0] - common[0]!;
      const dy = offsets[v]![1] - common[1]!;
      if (Math.hypot(dx, dy) < o.minShiftPx) return c;
      total[v]![0] += dx;
      total[v]![1] += dy;
      return { ...c, cx: c.cx + dx, cy: c.cy + dy };
    });
  }
  return { cams: current, shiftPx: total };
}
