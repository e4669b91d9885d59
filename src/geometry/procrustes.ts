import type { Vec3 } from './quaternion.ts';

/**
 * Similarity Procrustes (Umeyama 1991): the scale s, rotation R and translation t
 * minimising Σ‖s·R·a_i + t − b_i‖². Returns `a` aligned onto `b`.
 * The 3×3 SVD is done by Jacobi eigen-decomposition of MᵀM (small and exact enough).
 */
export function procrustesAlign(a: Vec3[], b: Vec3[]): Vec3[] {
  const n = a.length;
  if (n === 0) return [];
  const ma = mean(a);
  const mb = mean(b);
  const A = a.map((p) => sub(p, ma));
  const B = b.map((p) => sub(p, mb));
  // Cross-covariance M = Σ b_i a_iᵀ (row-major).
  const M = new Array(9).fill(0);
  let varA = 0;
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) M[3 * r + c] += B[i]![r]! * A[i]![c]!;
    varA += A[i]![0]! ** 2 + A[i]![1]! ** 2 + A[i]![2]! ** 2;
  }
  const { U, S, V } = svd3(M);
  const d = Math.sign(det3(U) * det3(V)) || 1;
  const D = [1, 1, d];
  // R = U·D·Vᵀ
  const R = new Array(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) {
    let s = 0;
    for (let k = 0; k < 3; k++) s += U[3 * r + k]! * D[k]! * V[3 * c + k]!;
    R[3 * r + c] = s;
  }
  const scale = varA > 0 ? (S[0]! * D[0]! + S[1]! * D[1]! + S[2]! * D[2]!) / varA : 1;
  return A.map((p) => {
    const q: Vec3 = [0, 0, 0];
    for (let r = 0; r < 3; r++) q[r] = scale * (R[3 * r]! * p[0] + R[3 * r + 1]! * p[1] + R[3 * r + 2]! * p[2]) + mb[r]!;
    return q;
  });
}

function mean(ps: Vec3[]): Vec3 {
  const m: Vec3 = [0, 0, 0];
  for (const p of ps) { m[0] += p[0]; m[1] += p[1]; m[2] += p[2]; }
  return [m[0] / ps.length, m[1] / ps.length, m[2] / ps.length];
}

function sub(a: Vec3, b: Vec3): Vec3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
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
  const V = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (const [p, q] of [[0, 1], [0, 2], [1, 2]] as const) {
      const apq = A[3 * p + q]!;
      off += apq * apq;
      if (Math.abs(apq) < 1e-300) continue;
      const theta = (A[3 * q + q]! - A[3 * p + p]!) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      for (let k = 0; k < 3; k++) {
        const akp = A[3 * k + p]!, akq = A[3 * k + q]!;
        A[3 * k + p] = c * akp - s * akq;
        A[3 * k + q] = s * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = A[3 * p + k]!, aqk = A[3 * q + k]!;
        A[3 * p + k] = c * apk - s * aqk;
        A[3 * q + k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = V[3 * k + p]!, vkq = V[3 * k + q]!;
        V[3 * k + p] = c * vkp - s * vkq;
        V[3 * k + q] = s * vkp + c * vkq;
      }
    }
    if (off < 1e-30) break;
  }
  // Sort eigenvalues descending.
  const order = [0, 1, 2].sort((i, j) => A[3 * j + j]! - A[3 * i + i]!);
  const Vs = new Array(9).fill(0);
  const S = [0, 0, 0];
  order.forEach((src, dst) => {
    S[dst] = Math.sqrt(Math.max(0, A[3 * src + src]!));
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
