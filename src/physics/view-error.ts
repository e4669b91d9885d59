/**
 * How far a simulated body is from its reference as one camera would judge it. A monocular
 * reference places the body along the camera ray only loosely (on the real capture it slides
 * 20–80 cm toward and away from the camera while the person stands still), so an error along
 * the ray counts `depthWeight` (squared) of one across it; the pose about the pelvis counts in
 * full. With depthWeight 1 or no camera this is the plain 3D error.
 */
import { BODY_17, LANDMARK_INDEX } from '../formats/landmarks.ts';

/** Squared error split: the pelvis's error across and along the ray from `camera` to the reference pelvis. */
export function rootViewError2(sim: ArrayLike<number>, ref: ArrayLike<number>, camera: readonly number[] | undefined, depthWeight: number): number {
  const e = [sim[0]! - ref[0]!, sim[1]! - ref[1]!, sim[2]! - ref[2]!];
  const all = e[0]! ** 2 + e[1]! ** 2 + e[2]! ** 2;
  if (!camera || depthWeight >= 1) return all;
  const u = [ref[0]! - camera[0]!, ref[1]! - camera[1]!, ref[2]! - camera[2]!];
  const n = Math.hypot(u[0]!, u[1]!, u[2]!) || 1;
  const along = (e[0]! * u[0]! + e[1]! * u[1]! + e[2]! * u[2]!) / n;
  return all - (1 - depthWeight) * along * along;
}

const HIPS = [LANDMARK_INDEX.left_hip, LANDMARK_INDEX.right_hip];
const ALL = Array.from({ length: 33 }, (_, j) => j);

/** Indices of the 17 body landmarks the position metrics score (formats/landmarks.ts BODY_17). */
export const BODY_LANDMARKS: readonly number[] = BODY_17.map((n) => LANDMARK_INDEX[n]);

/**
 * Mean squared landmark error (m², over `landmarks`, all 33 by default) of simulated landmarks
 * against reference ones (both 99 values from the given offsets): relative to the hips' centre,
 * plus the hips' centre's view error (`rootViewError2`) times `rootWeight`. Equal to the plain mean
 * squared error up to the cross term of pelvis and pose errors when depthWeight and rootWeight are 1.
 */
export function landmarkViewError2(
  sim: ArrayLike<number>, so: number, ref: ArrayLike<number>, ro: number, camera: readonly number[] | undefined, depthWeight: number,
  landmarks: readonly number[] = ALL, rootWeight = 1,
): number {
  if (rootWeight === 1 && (!camera || depthWeight >= 1)) {
    let e = 0;
    for (const j of landmarks) for (let c = 0; c < 3; c++) { const d = sim[so + j * 3 + c]! - ref[ro + j * 3 + c]!; e += d * d; }
    return e / landmarks.length;
  }
  const hs = [0, 1, 2].map((c) => (sim[so + HIPS[0]! * 3 + c]! + sim[so + HIPS[1]! * 3 + c]!) / 2);
  const hr = [0, 1, 2].map((c) => (ref[ro + HIPS[0]! * 3 + c]! + ref[ro + HIPS[1]! * 3 + c]!) / 2);
  let rel = 0;
  for (const j of landmarks) {
    for (let c = 0; c < 3; c++) { const d = sim[so + j * 3 + c]! - hs[c]! - (ref[ro + j * 3 + c]! - hr[c]!); rel += d * d; }
  }
  return rel / landmarks.length + rootWeight * rootViewError2(hs, hr, camera, depthWeight);
}
