/**
 * Eigen-decomposition of a small symmetric matrix (row-major n × n) by cyclic Jacobi
 * rotations: exact to rounding for the 3 × 3 and 4 × 4 systems of alignment and triangulation.
 * Returns the eigenvalues and the eigenvectors as the columns of a row-major matrix, unsorted.
 */
export function symmetricEigen(S: readonly number[], n: number): { values: number[]; vectors: number[] } {
  const a = [...S];
  const V = Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : 0));
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[n * p + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) {
      const apq = a[n * p + q]!;
      if (Math.abs(apq) < 1e-300) continue;
      const theta = (a[n * q + q]! - a[n * p + p]!) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      rotate(a, n, p, q, c, s, true);
      rotate(a, n, p, q, c, s, false);
      rotate(V, n, p, q, c, s, true);
    }
  }
  return { values: Array.from({ length: n }, (_, i) => a[(n + 1) * i]!), vectors: V };
}

/** Applies the Jacobi rotation (p, q) to the columns (or the rows) of a row-major n × n matrix. */
function rotate(m: number[], n: number, p: number, q: number, c: number, s: number, columns: boolean): void {
  for (let k = 0; k < n; k++) {
    const ip = columns ? n * k + p : n * p + k;
    const iq = columns ? n * k + q : n * q + k;
    const xp = m[ip]!, xq = m[iq]!;
    m[ip] = c * xp - s * xq;
    m[iq] = s * xp + c * xq;
  }
}
