/**
 * `npx tsx scripts/probe-optimus-cost.ts [--clip cmu_22_14_squat.bvh --variant 16 --seconds 2 --workers 2
 *   --optimizers optimus,adam --work DIR]`:
 * issue 22's target "the optimizer's own cost per iteration below 20 % of the rollouts of one gradient
 * estimate", measured in the DEFAULT physics stage (sampling search + its guarded iterations, rollouts
 * batched on the worker pool as `reconstruct` runs them) on a slice of an evaluation clip. Each window's
 * optimizer is wrapped to time its init and steps with the objective's evaluations (the rollouts of a
 * finite-difference gradient) timed apart. Prints per optimizer: iterations, evaluations, rollouts, own ms
 * per iteration, ms per gradient estimate (wall, on the pool) and per rollout, and the ratio.
 */
import { rmSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import type { Objective, Optimizer } from '../src/optimus/types.ts';
import { registryOptimizer, withStageOptimizerHook } from '../src/reconstruct/optimizers.ts';
import type { ComputeSplit } from '../src/reconstruct/physics-result.ts';
import { reconstruct } from '../src/reconstruct/pipeline.ts';
import { writeSlice } from '../src/reconstruct/window-tasks-physics.ts';
import { arg, helpIfAsked } from './args.ts';

helpIfAsked(import.meta.url);

/** What one optimizer spent over every window of the stage. */
interface Tally { iterations: number; evaluations: number; ownMs: number; evalMs: number; rollouts: number }

/** The registry's optimizer with its own time and its objective's time counted apart. */
function timed(inner: Optimizer, t: Tally): Optimizer {
  const wrap = (o: Objective): Objective => ({
    ...o,
    valueAndGrad(x) {
      const e0 = performance.now();
      const r = o.valueAndGrad(x);
      t.evalMs += performance.now() - e0;
      t.evaluations++;
      return r;
    },
  });
  const around = <T>(f: () => T): T => {
    const e = t.evalMs;
    const t0 = performance.now();
    const r = f();
    t.ownMs += performance.now() - t0 - (t.evalMs - e);
    return r;
  };
  return {
    name: inner.name,
    init: (o, x0) => around(() => inner.init(wrap(o), x0)),
    step: (o, s) => { t.iterations++; return around(() => inner.step(wrap(o), s)); },
  };
}

const clip = arg('clip', 'cmu_22_14_squat.bvh');
const variant = Number(arg('variant', '16'));
const seconds = Number(arg('seconds', '2'));
const workers = Number(arg('workers', String(availableParallelism())));
const work = arg('work', '/tmp/probe-optimus-cost');
console.log(`load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${clip} variant ${variant}, ${seconds} s, ${workers} workers`);
for (const name of arg('optimizers', 'optimus,adam').split(',')) {
  rmSync(join(work, name), { recursive: true, force: true });
  const slice = writeSlice({ workDir: join(work, name), seconds }, clip, variant);
  await reconstruct(slice.keypointsPath, { out: slice.dir, physics: false, exports: [], checkSheet: false });
  // motion.json holds the kinematic fit now; the timed run must run the physics stage (and only it).
  rmSync(join(slice.dir, 'motion.json'));
  const t: Tally = { iterations: 0, evaluations: 0, ownMs: 0, evalMs: 0, rollouts: 0 };
  const report = await withStageOptimizerHook((n, opts) => timed(registryOptimizer(n, opts), t), () =>
    reconstruct(slice.keypointsPath, { out: slice.dir, exports: [], checkSheet: false, workers, optimizer: name }));
  if (!report.stages.kinematic?.skipped) throw new Error(`${slice.dir}: the kinematic stage ran again under the timing hook`);
  const compute = report.physics?.compute as ComputeSplit | undefined;
  t.rollouts = compute?.optimizerRollouts ?? NaN;
  // The rollouts beyond the gradient estimates (each window's start and final rollouts) are not in evalMs.
  const perEstimate = t.evalMs / t.evaluations;
  const rolloutsPerEstimate = t.rollouts / t.evaluations;
  const own = t.ownMs / t.iterations;
  console.log(`${name}: ${t.iterations} iterations, ${t.evaluations} gradient estimates, ~${rolloutsPerEstimate.toFixed(1)} rollouts each (optimizer total ${t.rollouts}); ` +
    `own ${own.toFixed(2)} ms/iteration; a gradient estimate ${perEstimate.toFixed(1)} ms wall (${(perEstimate / rolloutsPerEstimate).toFixed(2)} ms per rollout) → own/estimate ${(100 * own / perEstimate).toFixed(2)} %, ` +
    `own = ${(own / (perEstimate / rolloutsPerEstimate)).toFixed(3)} rollouts; search ${compute?.samplingRollouts ?? '-'} rollouts ${compute?.samplingMs ?? '-'} ms; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}
