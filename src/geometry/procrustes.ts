import type { Vec3 } from './quaternion.ts';
import { applySimilarity, fitSimilarity } from './similarity.ts';

/**
 * Similarity Procrustes (Umeyama 1991): the scale s, rotation R and translation t
 * minimising Σ‖s·R·a_i + t − b_i‖². Returns `a` aligned onto `b`.
 */
export function procrustesAlign(a: Vec3[], b: Vec3[]): Vec3[] {
  if (a.length === 0) return [];
  const T = fitSimilarity(a, b);
  return a.map((p) => applySimilarity(T, p));
}
