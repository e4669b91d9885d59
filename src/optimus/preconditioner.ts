/**
 * The network's part of Optimus's preconditioner, Σ_j u_j u_jᵀ, kept as a bounded list of
 * recent rank-one vectors (never an N×N matrix): applying it costs O(N·m). Optimus adds
 * it to the secant estimate (secant.ts); on its own, B = I + Σ_j u_j u_jᵀ.
 */

/** base + Σ_j u_j (u_jᵀ d); with the default base = d this is B·d for B = I + Σ_j u_j u_jᵀ. */
export function applyPreconditioner(memory: readonly Float64Array[], d: Float64Array, base: Float64Array = d): Float64Array {
  const p = Float64Array.from(base);
  const n = d.length;
  for (const u of memory) {
    let dot = 0;
    for (let i = 0; i < n; i++) dot += u[i]! * d[i]!;
    if (dot === 0) continue;
    for (let i = 0; i < n; i++) p[i]! += dot * u[i]!;
  }
  return p;
}

/**
 * Adds u to the memory: older terms are scaled by √decay (so their contribution
 * u uᵀ decays by `decay` per step) and the oldest falls out beyond `capacity`.
 * Pure: returns a new list of new arrays.
 */
export function pushRankOne(memory: readonly Float64Array[], u: Float64Array, capacity: number, decay: number): Float64Array[] {
  const s = Math.sqrt(decay);
  const kept = memory.slice(Math.max(0, memory.length - capacity + 1)).map((v) => v.map((e) => e * s));
  if (capacity > 0) kept.push(Float64Array.from(u));
  return kept;
}

/** The dense B for tests and small-N inspection (N×N, row-major). */
export function densePreconditioner(memory: readonly Float64Array[], n: number): Float64Array {
  const B = new Float64Array(n * n);
  for (let i = 0; i < n; i++) B[i * n + i] = 1;
  for (const u of memory) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) B[i * n + j]! += u[i]! * u[j]!;
  return B;
}
