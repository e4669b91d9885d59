import type { Objective, Optimizer, OptimizerState } from '../types.ts';
import { applySecant, secantGamma } from '../secant.ts';
import { dot } from '../vector.ts';
import { LINE_SEARCH_DEFAULTS, strongWolfeLineSearch, type LineSearchOptions } from './line-search.ts';

/**
 * BFGS (dense inverse-Hessian approximation, O(N²) memory) and L-BFGS (two-loop
 * recursion over the last m pairs, O(N·m)), both with a strong-Wolfe line search
 * (Nocedal & Wright ch. 6–7). Each line-search evaluation counts in gradEvals.
 */
export interface QuasiNewtonState extends OptimizerState {
  value: number;
  grad: Float64Array;
  /** BFGS: the inverse Hessian approximation H (N×N row-major; empty until the first update). */
  H: Float64Array;
  /** L-BFGS: recent steps s_k and gradient changes y_k (oldest first). */
  S: Float64Array[];
  Y: Float64Array[];
  /** Line searches that ended without the Wolfe conditions (the method then restarts from −g). */
  failedSearches: number;
}

export interface QuasiNewtonOptions {
  lineSearch: Partial<LineSearchOptions>;
  /** L-BFGS memory m. */
  memory: number;
}

export const QUASI_NEWTON_DEFAULTS: QuasiNewtonOptions = { lineSearch: LINE_SEARCH_DEFAULTS, memory: 10 };

/** BFGS needs N² doubles; refuse beyond this so a big problem fails clearly rather than swapping. */
export const BFGS_MAX_DIM = 5000;

function init(objective: Objective, x0: Float64Array): QuasiNewtonState {
  const x = Float64Array.from(x0);
  const { value, grad } = objective.valueAndGrad(x);
  return { x, step: 0, gradEvals: 1, value, grad: Float64Array.from(grad), H: new Float64Array(0), S: [], Y: [], failedSearches: 0 };
}

/** A zero (or non-finite) gradient: no descent direction exists, so the method stops
 * (returns the state unchanged, spending no evaluations). */
function converged(s: QuasiNewtonState): boolean {
  const g2 = dot(s.grad, s.grad);
  return !(g2 > 0) || !Number.isFinite(g2);
}

/** First trial step: 1 for a quasi-Newton direction, 1/‖g‖ for the very first (unscaled) one. */
function initialStep(s: QuasiNewtonState): number {
  if (s.step > 0 && (s.H.length > 0 || s.S.length > 0)) return 1;
  const gn = Math.sqrt(dot(s.grad, s.grad));
  return gn > 0 ? Math.min(1, 1 / gn) : 1;
}

/** A line search along p, then the curvature pair (s, y) if the step was taken. */
function searchAndPair(objective: Objective, s: QuasiNewtonState, p: Float64Array, o: QuasiNewtonOptions) {
  const ls = strongWolfeLineSearch(objective, s.x, s.value, s.grad, p, initialStep(s), o.lineSearch);
  const sk = ls.x.map((xi, i) => xi - s.x[i]!);
  const yk = ls.grad.map((gi, i) => gi - s.grad[i]!);
  const sy = dot(sk, yk);
  // Skip the update unless the curvature condition sᵀy > 0 holds robustly (and 1/sᵀy is
  // finite: at an exact minimum s and y underflow).
  const usable = ls.step > 0 && sy > 1e-12 * Math.sqrt(dot(sk, sk) * dot(yk, yk)) && Number.isFinite(1 / sy) && Number.isFinite(dot(yk, yk));
  return { ls, sk, yk, sy, usable };
}

export function bfgs(options: Partial<QuasiNewtonOptions> = {}): Optimizer<QuasiNewtonState> {
  const o = { ...QUASI_NEWTON_DEFAULTS, ...options };
  return {
    name: 'bfgs',
    init(objective, x0) {
      if (x0.length > BFGS_MAX_DIM) throw new RangeError(`bfgs keeps an N×N matrix; N = ${x0.length} exceeds ${BFGS_MAX_DIM} (use lbfgs)`);
      return init(objective, x0);
    },
    step(objective, s) {
      if (converged(s)) return s;
      const n = s.x.length;
      const H = s.H;
      // p = −H g (H = I before the first update).
      let p = new Float64Array(n);
      if (H.length === 0) for (let i = 0; i < n; i++) p[i] = -s.grad[i]!;
      else
        for (let i = 0; i < n; i++) {
          let v = 0;
          for (let j = 0; j < n; j++) v += H[i * n + j]! * s.grad[j]!;
          p[i] = -v;
        }
      let reset = false;
      if (!(dot(p, s.grad) < 0)) {
        p = s.grad.map((g) => -g);
        reset = true;
      }
      const { ls, sk, yk, sy, usable } = searchAndPair(objective, reset ? { ...s, H: new Float64Array(0) } : s, p, o);
      let Hn = reset ? new Float64Array(0) : H;
      if (usable) {
        if (Hn.length === 0) {
          // Scale the first H by sᵀy / yᵀy (Nocedal & Wright eq. 6.20).
          Hn = new Float64Array(n * n);
          const gamma = sy / dot(yk, yk);
          for (let i = 0; i < n; i++) Hn[i * n + i] = gamma;
        } else {
          Hn = Float64Array.from(Hn);
        }
        // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, expanded to O(N²).
        const rho = 1 / sy;
        const Hy = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          let v = 0;
          for (let j = 0; j < n; j++) v += Hn[i * n + j]! * yk[j]!;
          Hy[i] = v;
        }
        const yHy = dot(yk, Hy);
        const c = rho * rho * yHy + rho;
        if (!Number.isFinite(c)) {
          Hn = new Float64Array(0); // curvature out of floating-point range: restart
        } else {
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < n; j++) {
              Hn[i * n + j]! += -rho * (Hy[i]! * sk[j]! + sk[i]! * Hy[j]!) + c * sk[i]! * sk[j]!;
            }
          }
        }
      } else if (!ls.wolfe) {
        Hn = new Float64Array(0); // restart from steepest descent
      }
      return {
        ...s,
        x: ls.x,
        value: ls.value,
        grad: ls.grad,
        step: s.step + 1,
        gradEvals: s.gradEvals + ls.evals,
        H: Hn,
        failedSearches: s.failedSearches + (ls.wolfe ? 0 : 1),
      };
    },
  };
}

export function lbfgs(options: Partial<QuasiNewtonOptions> = {}): Optimizer<QuasiNewtonState> {
  const o = { ...QUASI_NEWTON_DEFAULTS, ...options };
  return {
    name: 'lbfgs',
    init,
    step(objective, s) {
      if (converged(s)) return s;
      // Two-loop recursion: p = −H g with H_0 = γ I, γ = sᵀy / yᵀy of the newest pair.
      const pairs = s.S.map((sk, i) => ({ s: sk, y: s.Y[i]! }));
      let p = applySecant(pairs, secantGamma(pairs, 1), s.grad).map((v) => -v);
      let S = s.S;
      let Y = s.Y;
      if (!(dot(p, s.grad) < 0)) {
        p = s.grad.map((g) => -g);
        S = [];
        Y = [];
      }
      const { ls, sk, yk, usable } = searchAndPair(objective, { ...s, S, Y }, p, o);
      if (usable) {
        S = [...S, sk].slice(-o.memory);
        Y = [...Y, yk].slice(-o.memory);
      } else if (!ls.wolfe) {
        S = [];
        Y = [];
      }
      return {
        ...s,
        x: ls.x,
        value: ls.value,
        grad: ls.grad,
        step: s.step + 1,
        gradEvals: s.gradEvals + ls.evals,
        S,
        Y,
        failedSearches: s.failedSearches + (ls.wolfe ? 0 : 1),
      };
    },
  };
}
