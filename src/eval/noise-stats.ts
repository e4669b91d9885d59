import { BODY_17, LANDMARK_INDEX } from '../formats/landmarks.ts';
import type { Vec3 } from '../geometry/quaternion.ts';
import { applySimilarity, fitSimilarity } from '../geometry/similarity.ts';
import { GROSS_LIMBS, type ErrorSequence, type GrossModel, type LimbRun } from './noise-gross.ts';

/**
 * The few numbers that say whether synthetic detections err like the real ones: how much the
 * points of one limb err together in depth, how often and how long the gross failures last, and
 * what all of it does to a per-frame aligned pose (PA-MPJPE of the 3D landmarks). Measured on the
 * real capture they go into the model's `summary`; measured again on synth's output they must match.
 */
const BODY = BODY_17.map((n) => LANDMARK_INDEX[n]);
const DIMS_2D = 2 * 33;

/** Mean pairwise correlation of one 3D axis among the points of each limb (standardized, gross events left out). */
function withinLimb(std: readonly number[][][], limbs: ReadonlyArray<readonly number[]>, axis: number): number {
  const pairs: number[] = [];
  for (const pts of limbs) for (let a = 0; a < pts.length; a++) for (let b = a + 1; b < pts.length; b++) {
    const da = DIMS_2D + 3 * pts[a]! + axis, db = DIMS_2D + 3 * pts[b]! + axis;
    let sab = 0, saa = 0, sbb = 0;
    for (const seq of std) for (const v of seq) {
      const x = v[da]!, y = v[db]!;
      if (Number.isNaN(x) || Number.isNaN(y)) continue;
      sab += x * y; saa += x * x; sbb += y * y;
    }
    if (saa > 0 && sbb > 0) pairs.push(sab / Math.sqrt(saa * sbb));
  }
  return pairs.length ? pairs.reduce((s, x) => s + x, 0) / pairs.length : 0;
}

/** Mean per-frame PA-MPJPE (mm) of the detector's 3D landmarks (the truth plus its error) over the 17 body points. */
function worldPaMm(per: readonly ErrorSequence[]): number {
  const errs: number[] = [];
  for (const s of per) for (let f = 0; f < s.e3d[0]!.length; f++) {
    const pts = BODY.filter((i) => !Number.isNaN(s.e3d[i]![f]![0]!) && !Number.isNaN(s.t3d[i]![f]![0]!));
    if (pts.length < 8) continue;
    const truth = pts.map((i) => s.t3d[i]![f]! as Vec3);
    const det = pts.map((i, j) => truth[j]!.map((x, k) => x + s.e3d[i]![f]![k]!) as Vec3);
    const sim = fitSimilarity(det, truth);
    errs.push(det.reduce((sum, p, j) => sum + Math.hypot(...applySimilarity(sim, p).map((x, k) => x - truth[j]![k]!)), 0) / pts.length);
  }
  return errs.length ? (1000 * errs.reduce((s, x) => s + x, 0)) / errs.length : NaN;
}

/**
 * How misplaced limbs persist: the share of limb-frames misplaced, the median gap (s) between one limb's runs, and the
 * share of frames with a misplaced limb in which another limb is misplaced too (failures that come back and spread).
 */
function persistence(per: readonly ErrorSequence[], limbRuns: readonly LimbRun[][], fps: number): { onShare: number; gapMedianS: number; multiLimbShare: number } {
  let on = 0, total = 0, any = 0, multi = 0;
  const gaps: number[] = [];
  per.forEach((s, q) => {
    const frames = s.e3d[0]!.length;
    const runs = limbRuns[q]!;
    total += 4 * frames;
    for (const r of runs) on += r.end - r.start;
    for (const limb of Object.keys(GROSS_LIMBS)) {
      const mine = runs.filter((r) => r.limb === limb).sort((a, b) => a.start - b.start);
      for (let k = 1; k < mine.length; k++) gaps.push((mine[k]!.start - mine[k - 1]!.end) / fps);
    }
    for (let f = 0; f < frames; f++) {
      const n = new Set(runs.filter((r) => r.start <= f && f < r.end).map((r) => r.limb)).size;
      if (n > 0) any++;
      if (n > 1) multi++;
    }
  });
  gaps.sort((a, b) => a - b);
  return { onShare: total ? on / total : 0, gapMedianS: gaps.length ? gaps[gaps.length >> 1]! : NaN, multiLimbShare: any ? multi / any : 0 };
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);
const round = (v: number) => Math.round(v * 1e3) / 1e3;

/** The summary statistics of measured errors (real, or synth's remeasured). */
export function errorSummary(per: readonly ErrorSequence[], std: readonly number[][][], gross: GrossModel, limbRuns: readonly LimbRun[][], fps: number): Record<string, number> {
  const legs = [GROSS_LIMBS.left_leg, GROSS_LIMBS.right_leg];
  const arms = [GROSS_LIMBS.left_arm, GROSS_LIMBS.right_arm];
  const p = persistence(per, limbRuns, fps);
  return {
    legDepthCorr: round(withinLimb(std, legs, 2)), armDepthCorr: round(withinLimb(std, arms, 2)),
    legAcrossCorr: round(withinLimb(std, legs, 0)),
    swapsPerS: round(gross.swaps.arms.ratePerS + gross.swaps.legs.ratePerS),
    swapMeanS: round(mean([...gross.swaps.arms.events, ...gross.swaps.legs.events].map((e) => e.durationS))),
    misplacedPerS: round(gross.misplaced.arm.ratePerS + gross.misplaced.leg.ratePerS),
    misplacedMeanS: round(mean([...gross.misplaced.arm.events, ...gross.misplaced.leg.events].map((e) => e.durationS))),
    misplacedShare: round(p.onShare), misplacedGapMedianS: round(p.gapMedianS), misplacedMultiLimbShare: round(p.multiLimbShare),
    worldPaMm: round(worldPaMm(per)),
  };
}
