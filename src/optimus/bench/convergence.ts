import { runWithBudget } from '../minimize.ts';
import { getObjective } from '../objectives/registry.ts';
import { objectiveAt } from '../objectives/spec.ts';
import { createOptimizer } from '../optimizers.ts';
import type { Objective, Optimizer } from '../types.ts';
import { median } from './summary.ts';

/**
 * The convex-convergence check of issue 3: on ill-conditioned quadratics, how many
 * gradient evaluations each optimizer needs to reach a gap f − f* ≤ `tolerance`
 * (line-search evaluations count), and the ratio Optimus / L-BFGS per run.
 */
export interface ConvergenceOptions {
  objective: string;
  dims: number[];
  seeds: number;
  optimizers: string[];
  tolerance: number;
  /** Evaluations after which a run counts as not converged. */
  maxEvals: number;
  /** Optimus checkpoint (default: the shipped one). */
  checkpoint?: string;
  log: (line: string) => void;
}

export const CONVERGENCE_DEFAULTS: ConvergenceOptions = {
  objective: 'quadratic',
  dims: [2, 10, 30, 100],
  seeds: 10,
  optimizers: ['optimus', 'lbfgs', 'bfgs', 'adam'],
  tolerance: 1e-6,
  maxEvals: 3000,
  log: () => {},
};

export interface ConvergenceRow {
  dim: number;
  optimizer: string;
  /** Evaluations to reach the tolerance per seed (null: not within maxEvals). */
  evals: (number | null)[];
  median: number | null;
}

/** Evaluations until a value within `tolerance` of f* is seen (null if never within maxEvals). */
export function evalsToTolerance(name: string, objectiveName: string, dim: number, seed: number, tolerance: number, maxEvals: number, checkpoint?: string): number | null {
  const { optimizer } = createOptimizer(name, checkpoint && name === 'optimus' ? { checkpoint } : {});
  return evalsToToleranceOf(optimizer, objectiveName, dim, seed, tolerance, maxEvals);
}

/** The same for a given optimizer instance (e.g. a network with weights in memory). */
export function evalsToToleranceOf(optimizer: Optimizer, objectiveName: string, dim: number, seed: number, tolerance: number, maxEvals: number): number | null {
  const spec = getObjective(objectiveName);
  const inner = objectiveAt(spec, dim);
  const fStar = inner.minimum ?? 0;
  let evals = 0;
  let reached: number | null = null;
  // Counts every evaluation the optimizer asks for, so line searches are charged.
  const watched: Objective = {
    ...inner,
    valueAndGrad(x) {
      const r = inner.valueAndGrad(x);
      evals++;
      if (reached === null && r.value - fStar <= tolerance) reached = evals;
      return r;
    },
  };
  try {
    runWithBudget(optimizer, watched, spec.init(dim, seed), maxEvals, () => {
      if (reached !== null) throw new Reached(); // stop early: the answer is known
    });
  } catch (err) {
    if (!(err instanceof Reached)) throw err;
  }
  return reached;
}

class Reached extends Error {}

/** Runs the grid and logs a Markdown table; returns the rows. */
export function measureConvergence(options: Partial<ConvergenceOptions> = {}): ConvergenceRow[] {
  const o = { ...CONVERGENCE_DEFAULTS, ...options };
  const rows: ConvergenceRow[] = [];
  o.log(`Gradient evaluations to reach f − f* ≤ ${o.tolerance} on ${o.objective} (median over ${o.seeds} seeds; — = not within ${o.maxEvals})`);
  o.log('');
  o.log(`| dim | ${o.optimizers.join(' | ')} | optimus / lbfgs (median of per-seed ratios) |`);
  o.log(`|---:|${o.optimizers.map(() => '---:').join('|')}|---:|`);
  for (const dim of o.dims) {
    const byName = new Map<string, (number | null)[]>();
    for (const name of o.optimizers) {
      const evals: (number | null)[] = [];
      for (let seed = 0; seed < o.seeds; seed++) {
        evals.push(evalsToTolerance(name, o.objective, dim, seed, o.tolerance, o.maxEvals, o.checkpoint));
      }
      byName.set(name, evals);
      const done = evals.filter((e): e is number => e !== null);
      rows.push({ dim, optimizer: name, evals, median: done.length * 2 > evals.length ? median(evals.map((e) => e ?? Infinity)) : null });
    }
    const a = byName.get('optimus');
    const b = byName.get('lbfgs');
    let ratio = '';
    if (a && b) {
      const r = a.map((e, i) => (e !== null && b[i] !== null ? e / b[i]! : e === null ? Infinity : 0));
      const m = median(r);
      ratio = Number.isFinite(m) ? m.toFixed(2) : '—';
    }
    const cells = o.optimizers.map((name) => {
      const r = rows.find((x) => x.dim === dim && x.optimizer === name)!;
      const n = r.evals.filter((e) => e !== null).length;
      return `${r.median === null ? '—' : r.median} (${n}/${r.evals.length})`;
    });
    o.log(`| ${dim} | ${cells.join(' | ')} | ${ratio} |`);
  }
  return rows;
}
