import type { Optimizer, TaskFamily } from '../types.ts';
import { gapReference, metaLossTerm, type MetaLossOptions } from './meta-loss.ts';
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
  const tasks: TaskScore[] = [];
  const ceiling = Math.log(options.metaLoss.maxRatio + options.metaLoss.epsilon);
  for (const spec of specs) {
    const task = buildTask(spec, families);
    const f0 = task.objective.valueAndGrad(task.x0).value;
    const ref = gapReference(f0, task.objective.minimum);
    let state = optimizer.init(task.objective, Float64Array.from(task.x0));
    let best = f0;
    let sum = 0;
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
      if (value < best) best = value;
      sum += metaLossTerm(value, ref, options.metaLoss);
    }
    // A run cut short by divergence scores the ceiling for its remaining steps.
    const total = Math.max(steps, 1);
    const metaLoss = diverged ? (sum + ceiling * (options.gradEvals - steps + 1)) / (options.gradEvals + 1) : sum / total;
    const min = task.objective.minimum;
    const log10Gap = min === undefined ? null : Math.log10(Math.max(best - min, 0) + 1e-12);
    tasks.push({ ...spec, metaLoss, log10Gap, diverged });
  }
  disposeOptimizer(optimizer);
  const gaps = tasks.map((t) => t.log10Gap).filter((g): g is number => g !== null);
  return {
    metaLoss: mean(tasks.map((t) => t.metaLoss)),
    meanLog10Gap: gaps.length ? mean(gaps) : null,
    tasks,
  };
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}
