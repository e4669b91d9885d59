import { symmetricEigen } from './eigen.ts';
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

/** SVD of a 3×3 matrix M = U·diag(S)·Vᵀ via Jacobi on MᵀM. */
export function svd3(M: number[]): { U: number[]; S: number[]; V: number[] } {
  // MᵀM symmetric
  const A = new Array(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) {
    let s = 0;
    for (let k = 0; k < 3; k++) s += M[3 * k + r]! * M[3 * k + c]!;
    A[3 * r + c] = s;
  }
  const { values, vectors: V } = symmetricEigen(A, 3);
  // Sort eigenvalues descending.
  const order = [0, 1, 2].sort((i, j) => values[j]! - values[i]!);
  const Vs = new Array(9).fill(0);
  const S = [0, 0, 0];
  order.forEach((src, dst) => {
    S[dst] = Math.sqrt(Math.max(0, values[src]!));
    for (let k = 0; k < 3; k++) Vs[3 * k + dst] = V[3 * k + src]!;
  });
  // U columns = M v / σ; complete degenerate columns by cross products.
  const U = new Array(9).fill(0);
  for (let j = 0; j < 3; j++) {
    const u = [0, 0, 0];
    for (let r = 0; r < 3; r++) for (let k = 0; k < 3; k++) u[r]! += M[3 * r + k]! * Vs[3 * k + j]!;
    const n = Math.hypot(u[0]!, u[1]!, u[2]!);
    if (n > 1e-12 * Math.max(1, S[0]!)) for (let r = 0; r < 3; r++) U[3 * r + j] = u[r]! / n;
  }
  for (let j = 0; j < 3; j++) {
    const n = Math.hypot(U[j]!, U[3 + j]!, U[6 + j]!);
    if (n > 0.5) continue;
    const a = [U[(j + 1) % 3]!, U[3 + ((j + 1) % 3)]!, U[6 + ((j + 1) % 3)]!];
    const b = [U[(j + 2) % 3]!, U[3 + ((j + 2) % 3)]!, U[6 + ((j + 2) % 3)]!];
    let c = [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
    if (Math.hypot(c[0]!, c[1]!, c[2]!) < 0.5) c = j === 0 ? [1, 0, 0] : j === 1 ? [0, 1, 0] : [0, 0, 1];
    const cn = Math.hypot(c[0]!, c[1]!, c[2]!);
    for (let r = 0; r < 3; r++) U[3 * r + j] = c[r]! / cn;
  }
  return { U, S, V: Vs };
}
