import { svd3 } from './procrustes.ts';
import type { Vec3 } from './quaternion.ts';

/**
 * The transform b ≈ s·R·a + t (Umeyama 1991) as numbers, for alignments whose parameters
 * matter themselves (a whole clip's scale is the subject's size) or that must be restricted
 * (rotation only, for root-relative errors after one rotation per clip).
 */
export interface Similarity {
  scale: number;
  /** Row-major 3 × 3. */
  R: number[];
  t: Vec3;
}

export interface SimilarityOptions {
  /** Fit a scale (else s = 1). */
  scale?: boolean;
  /** Fit a translation (else t = 0; points are taken as already centred where that matters). */
  translation?: boolean;
}

export function fitSimilarity(a: readonly Vec3[], b: readonly Vec3[], options: SimilarityOptions = {}): Similarity {
  const withScale = options.scale ?? true;
  const withTranslation = options.translation ?? true;
  const n = a.length;
  const ma = withTranslation ? centroid(a) : [0, 0, 0];
  const mb = withTranslation ? centroid(b) : [0, 0, 0];
  const M = new Array(9).fill(0);
  let varA = 0;
  for (let i = 0; i < n; i++) {
    const pa = [a[i]![0] - ma[0]!, a[i]![1] - ma[1]!, a[i]![2] - ma[2]!];
    const pb = [b[i]![0] - mb[0]!, b[i]![1] - mb[1]!, b[i]![2] - mb[2]!];
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) M[3 * r + c] += pb[r]! * pa[c]!;
    varA += pa[0]! ** 2 + pa[1]! ** 2 + pa[2]! ** 2;
  }
  const { U, S, V } = svd3(M);
  const d = Math.sign(det3(U) * det3(V)) || 1;
  const D = [1, 1, d];
  const R = new Array(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) {
    let s = 0;
    for (let k = 0; k < 3; k++) s += U[3 * r + k]! * D[k]! * V[3 * c + k]!;
    R[3 * r + c] = s;
  }
  const scale = withScale && varA > 0 ? (S[0]! + S[1]! + d * S[2]!) / varA : 1;
  const Rma = applyRotation(R, ma as Vec3);
  const t: Vec3 = [mb[0]! - scale * Rma[0], mb[1]! - scale * Rma[1], mb[2]! - scale * Rma[2]];
  return { scale, R, t };
}

export function applySimilarity(T: Similarity, p: Vec3): Vec3 {
  const q = applyRotation(T.R, p);
  return [T.scale * q[0] + T.t[0], T.scale * q[1] + T.t[1], T.scale * q[2] + T.t[2]];
}

export function applyRotation(R: readonly number[], p: Vec3): Vec3 {
  return [
    R[0]! * p[0] + R[1]! * p[1] + R[2]! * p[2],
    R[3]! * p[0] + R[4]! * p[1] + R[5]! * p[2],
    R[6]! * p[0] + R[7]! * p[1] + R[8]! * p[2],
  ];
}

function centroid(ps: readonly Vec3[]): number[] {
  const m = [0, 0, 0];
  for (const p of ps) for (let k = 0; k < 3; k++) m[k]! += p[k]!;
  return m.map((v) => v / Math.max(1, ps.length));
}

function det3(m: number[]): number {
  return m[0]! * (m[4]! * m[8]! - m[5]! * m[7]!) - m[1]! * (m[3]! * m[8]! - m[5]! * m[6]!) + m[2]! * (m[3]! * m[7]! - m[4]! * m[6]!);
}
