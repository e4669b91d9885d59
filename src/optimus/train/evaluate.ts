import type { Optimizer, TaskFamily } from '../types.ts';
import { gapReference, isScored, metaLossTerm, scoredValue, type MetaLossOptions } from './meta-loss.ts';
import { valueAt, disposeOptimizer } from './pes.ts';
import { buildTask, type TaskSpec } from './task-distribution.ts';

/**
 * Runs an optimizer on fixed tasks with a budget of gradient evaluations and scores
 * it two ways: the training meta-loss (mean normalised log gap over the run) and the
 * bench's mean log10 gap of the best value (DESIGN §4.2).
 */
export interface EvaluateOptions {
  /** Budget of gradient evaluations per task. */
  gradEvals: number;
  metaLoss: MetaLossOptions;
}

export interface TaskScore {
  family: string;
  dim: number;
  seed: number;
  metaLoss: number;
  /** log10(best − f* + 1e-12); null when f* is unknown. */
  log10Gap: number | null;
  diverged: boolean;
}

export interface EvaluationResult {
  /** Mean meta-loss over tasks (diverged runs count at the clipped ceiling). */
  metaLoss: number;
  meanLog10Gap: number | null;
  tasks: TaskScore[];
}

export function evaluateOptimizer(optimizer: Optimizer, specs: readonly TaskSpec[], families: Readonly<Record<string, TaskFamily>>, options: EvaluateOptions): EvaluationResult {
  const tasks = specs.map((spec) => scoreTask(optimizer, spec, families, options));
  disposeOptimizer(optimizer);
  const gaps = tasks.map((t) => t.log10Gap).filter((g): g is number => g !== null);
  return {
    metaLoss: mean(tasks.map((t) => t.metaLoss)),
    meanLog10Gap: gaps.length ? mean(gaps) : null,
    tasks,
  };
}

/** One task, run to the budget; the meta-loss is scored as in training, with the budget as the horizon. */
function scoreTask(optimizer: Optimizer, spec: TaskSpec, families: Readonly<Record<string, TaskFamily>>, options: EvaluateOptions): TaskScore {
  const task = buildTask(spec, families);
  const f0 = task.objective.valueAndGrad(task.x0).value;
  const ref = gapReference(f0, task.objective.minimum);
  const horizon = options.gradEvals;
  let state = optimizer.init(task.objective, Float64Array.from(task.x0));
  let best = f0;
  let sum = 0;
  let scored = 0;
  let steps = 0;
  let diverged = false;
  while (state.gradEvals < options.gradEvals && steps < options.gradEvals) {
    state = optimizer.step(task.objective, state);
    steps++;
    const value = valueAt(task.objective, state);
    if (!Number.isFinite(value)) {
      diverged = true;
      break;
    }
    const term = metaLossTerm(scoredValue(value, best, options.metaLoss), ref, options.metaLoss);
    if (value < best) best = value;
    if (!isScored(steps, horizon, options.metaLoss)) continue;
    sum += term;
    scored++;
  }
  // A run cut short by divergence scores the ceiling for its remaining scored steps.
  const ceiling = Math.log(options.metaLoss.maxRatio + options.metaLoss.epsilon);
  let metaLoss: number;
  if (diverged) {
    let rest = 0;
    for (let t = steps; t <= horizon; t++) if (isScored(t, horizon, options.metaLoss)) rest++;
    metaLoss = (sum + ceiling * rest) / Math.max(1, scored + rest);
  } else metaLoss = sum / Math.max(scored, 1);
  const min = task.objective.minimum;
  const log10Gap = min === undefined ? null : Math.log10(Math.max(best - min, 0) + 1e-12);
  return { ...spec, metaLoss, log10Gap, diverged };
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}
