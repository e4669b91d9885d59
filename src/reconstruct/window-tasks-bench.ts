/**
 * `npm run bench:motion`: the learned optimizers against the hand-designed ones on reconstruction
 * windows of the EVALUATION clips (window-tasks.ts), kinematic and physics windows apart. Every
 * optimizer gets the same budget of gradient evaluations per window (a line search counts each
 * one); the curves are Σ over windows of each window's best loss after e evaluations. Then the
 * stages run with each optimizer on an evaluation slice and are scored against the truth.
 */
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { evaluateFiles } from '../eval/evaluate.ts';
import { BudgetedObjective, runWithBudget } from '../optimus/minimize.ts';
import type { Objective, Task } from '../optimus/types.ts';
import { initBackend } from '../optimus/backend.ts';
import { PHYSICS_OPTIMUS_PRIOR, PHYSICS_STAGE_DEFAULTS } from './physics-options.ts';
import { registryOptimizer, withStageOptimizerHook, type StageOptimizerOptions } from './optimizers.ts';
import { KINEMATIC_DEFAULTS } from './kinematic.ts';
import { reconstruct } from './pipeline.ts';
import { EVALUATION_CLIPS, TRAINING_CLIPS, windowTaskFamilies } from './window-tasks.ts';
import { physicsWindowTasks, writeSlice, type PhysicsWindowTask } from './window-tasks-physics.ts';

/** One optimizer as the bench runs it: a registry name, a checkpoint for learned ones, a label for tables. */
export interface Contender {
  label: string;
  name: string;
  checkpoint?: string;
}

export interface MotionBenchOptions {
  contenders: Contender[];
  workDir: string;
  kinematic: {
    /** Evaluation windows per evaluation clip (seeds 0 … n − 1 of each clip's family). */
    windowsPerClip: number;
    /** Gradient evaluations per window. */
    budget: number;
    /** Adam's learning rates tried on training-clip windows (the best is kept). */
    adamLearningRates: number[];
    tuneWindows: number;
  };
  physics: {
    /** Variants of each evaluation clip (window-tasks.ts ids ≥ 16 are never trained on). */
    variants: number[];
    windowsPerSlice: number;
    seconds: number;
    budget: number;
    adamLearningRates: number[];
    tuneWindows: number;
    tuneBudget: number;
  } | null;
  /** Whole stages on one slice of an evaluation clip, with each optimizer; `physicsIterations` per window on top of the search. */
  stage: { clip: string; variant: number; seconds: number; physicsIterations: number } | null;
  log?: (line: string) => void;
}

export const MOTION_BENCH_DEFAULTS: Omit<MotionBenchOptions, 'workDir' | 'log'> = {
  contenders: [
    { label: 'optimus-motion', name: 'optimus', checkpoint: 'models/optimus-motion.json' },
    { label: 'optimus-bench', name: 'optimus', checkpoint: 'models/optimus-bench.json' },
    { label: 'adam', name: 'adam' },
    { label: 'lbfgs', name: 'lbfgs' },
    { label: 'adafac-mlp', name: 'adafac-mlp', checkpoint: 'models/adafac-mlp-bench.json' },
    // The per-parameter MLP meta-trained on the kinematic windows optimus-motion.json was trained on (issue 22).
    { label: 'adafac-mlp-motion', name: 'adafac-mlp', checkpoint: 'models/adafac-mlp-motion.json' },
  ],
  kinematic: { windowsPerClip: 4, budget: 100, adamLearningRates: [0.2, 0.5, 1, 2, 5], tuneWindows: 6 },
  // Six windows (3 clips × 2 variants) so that no single window decides the sums; 100 evaluations
  // (4 100 rollouts) per window and optimizer: most of the bench's time.
  physics: { variants: [16, 17], windowsPerSlice: 1, seconds: 1, budget: 100, adamLearningRates: [1, 3, 10, 30], tuneWindows: 1, tuneBudget: 20 },
  // The physics stage's own budget (its guarded iterations per window), so the stage rows measure the default stage.
  stage: { clip: 'cmu_22_14_squat.bvh', variant: 16, seconds: 1.5, physicsIterations: PHYSICS_STAGE_DEFAULTS.iterations },
};

/** Where the budgets report: Σ loss after these many evaluations (those within the budget). */
export const REPORT_POINTS = [5, 10, 25, 50, 100];

/** One optimizer on a set of windows. */
export interface CurveRow {
  label: string;
  /** Σ over windows of the best loss after e + 1 evaluations. */
  curve: number[];
  /** Σ over windows of each window's own clock (ms) after e + 1 evaluations. */
  cumMs: number[];
  /** Mean over windows of the iteration evaluation e + 1 belonged to (0: the optimizer's init). */
  steps: number[];
  learningRate?: number;
  /** The optimizer's own time per iteration (ms, outside the objective) and the objective's per evaluation. */
  ownMsPerIteration: number;
  msPerEvaluation: number;
  /** Evaluations / steps / ms / rollouts to reach Adam's final Σ loss (null: never within the budget). */
  toAdam: { evaluations: number; steps: number; ms: number; rollouts: number | null } | null;
  /** Each window's best loss at the budget (the sums can be one window's). */
  finals: number[];
  /** Windows where this optimizer's final loss is at or below Adam's on the same window. */
  windowsAtOrBelowAdam: number | null;
}

export interface WindowsBench {
  kind: 'kinematic' | 'physics';
  windows: number;
  dim: number;
  budget: number;
  /** Rollouts per evaluation (physics: 2 · dim + 1), null for exact gradients. */
  rolloutsPerEvaluation: number | null;
  rows: CurveRow[];
}

export interface StageRow {
  label: string;
  stage: 'kinematic' | 'physics';
  mpjpe: number;
  paMpjpe: number;
  footSkatePct: number;
  residualPctBodyWeight: number | null;
  falls: number | null;
  ms: number;
}

export interface MotionBench {
  kinematic: WindowsBench;
  physics: WindowsBench | null;
  stages: StageRow[];
  /** Optimizer iterations per physics window in the stage rows (null: no stage rows). */
  stageIterations: number | null;
  load: number[];
}

/** How a contender is built for a stage (the physics stage's Optimus prior, the tuned learning rate). */
function contenderOptions(c: Contender, kind: 'kinematic' | 'physics', seed: number, learningRate?: number): StageOptimizerOptions {
  return {
    seed,
    ...(c.checkpoint ? { checkpoint: c.checkpoint } : {}),
    learningRate: learningRate ?? (kind === 'physics' ? 0.3 : KINEMATIC_DEFAULTS.learningRate),
    ...(kind === 'physics' ? { optimusPrior: PHYSICS_OPTIMUS_PRIOR } : {}),
  };
}

/** One window with one optimizer: best value, clock and steps after every evaluation. */
function runWindow(c: Contender, kind: 'kinematic' | 'physics', task: Task, budget: number, seed: number, learningRate?: number) {
  const optimizer = registryOptimizer(c.name, contenderOptions(c, kind, seed, learningRate));
  const t0 = performance.now();
  const ms: number[] = [];
  // The iteration each evaluation belongs to (0: the optimizer's init).
  const stepOf: number[] = [];
  let step = 0;
  const stepping = { ...optimizer, step: (o: Objective, st: Parameters<typeof optimizer.step>[1]) => { step++; return optimizer.step(o, st); } };
  let evalMs = 0;
  const timed: Objective = {
    ...task.objective,
    valueAndGrad: (x) => {
      const e0 = performance.now();
      const r = task.objective.valueAndGrad(x);
      evalMs += performance.now() - e0;
      ms.push(performance.now() - t0);
      stepOf.push(step);
      return r;
    },
  };
  const r = runWithBudget(stepping, timed, Float64Array.from(task.x0), budget);
  const curve = pad((r.counted as BudgetedObjective).curve, budget);
  const own = { ms: performance.now() - t0 - evalMs, steps: step, evalMs, evaluations: ms.length };
  return { curve, ms: pad(ms, budget), steps: pad(stepOf, budget), own };
}

function pad(xs: number[], n: number): number[] {
  const out = xs.slice(0, n);
  while (out.length < n) out.push(out.at(-1) ?? NaN);
  return out;
}

/** A contender on every window, curves summed. */
function runWindows(c: Contender, kind: 'kinematic' | 'physics', tasks: readonly Task[], budget: number, learningRate?: number): CurveRow {
  const runs = tasks.map((t, i) => runWindow(c, kind, t, budget, i, learningRate));
  const sum = (f: (r: (typeof runs)[number]) => number[]) => Array.from({ length: budget }, (_, e) => runs.reduce((a, r) => a + f(r)[e]!, 0));
  const steps = sum((r) => r.steps).map((s) => s / runs.length);
  const total = (f: (o: (typeof runs)[number]['own']) => number) => runs.reduce((a, r) => a + f(r.own), 0);
  const cost = { ownMsPerIteration: total((o) => o.ms) / Math.max(1, total((o) => o.steps)), msPerEvaluation: total((o) => o.evalMs) / Math.max(1, total((o) => o.evaluations)) };
  const finals = runs.map((r) => r.curve[budget - 1]!);
  return { label: c.label, curve: sum((r) => r.curve), cumMs: sum((r) => r.ms), steps, toAdam: null, finals, windowsAtOrBelowAdam: null, ...cost, ...(learningRate ? { learningRate } : {}) };
}

/** Adam's learning rate with the lowest final Σ loss on training-clip windows. */
function tuneAdam(kind: 'kinematic' | 'physics', tasks: readonly Task[], budget: number, rates: number[], log: (l: string) => void): number {
  const adam = { label: 'adam', name: 'adam' };
  const tried = rates.map((lr) => ({ lr, loss: runWindows(adam, kind, tasks, budget, lr).curve.at(-1)! }));
  log(`${kind}: adam learning rates on training-clip windows: ${tried.map((t) => `${t.lr} → ${t.loss.toExponential(3)}`).join(', ')}`);
  return tried.reduce((a, b) => (b.loss < a.loss ? b : a)).lr;
}

/** Every contender on the windows; Adam with its tuned rate; then where each reaches Adam's final loss. */
function benchWindows(kind: 'kinematic' | 'physics', contenders: Contender[], tasks: readonly Task[], budget: number, adamRate: number, rolloutsPerEvaluation: number | null, log: (l: string) => void): WindowsBench {
  const rows = contenders.map((c) => {
    const row = runWindows(c, kind, tasks, budget, c.name === 'adam' ? adamRate : undefined);
    log(`${kind}: ${c.label}: Σ loss ${REPORT_POINTS.filter((p) => p <= budget).map((p) => row.curve[p - 1]!.toExponential(3)).join(' / ')} after ${REPORT_POINTS.filter((p) => p <= budget).join('/')} evaluations, ${(row.cumMs.at(-1)! / 1000).toFixed(1)} s`);
    return row;
  });
  const adam = rows.find((r) => r.label === 'adam');
  const target = adam?.curve.at(-1);
  for (const r of rows) {
    r.windowsAtOrBelowAdam = adam ? r.finals.filter((v, i) => v <= adam.finals[i]!).length : null;
    const e = target === undefined ? -1 : r.curve.findIndex((v) => v <= target);
    r.toAdam = e < 0 ? null : { evaluations: e + 1, steps: r.steps[e]!, ms: r.cumMs[e]!, rollouts: rolloutsPerEvaluation === null ? null : (e + 1) * rolloutsPerEvaluation * tasks.length };
  }
  return { kind, windows: tasks.length, dim: tasks[0]?.objective.dim ?? 0, budget, rolloutsPerEvaluation, rows };
}

/** Kinematic windows: evaluation clips' families, seeds 0 … n − 1; Adam tuned on the training clips. */
function kinematicBench(o: MotionBenchOptions, log: (l: string) => void): WindowsBench {
  const families = windowTaskFamilies();
  const k = o.kinematic;
  const tasks = EVALUATION_CLIPS.flatMap((clip) => Array.from({ length: k.windowsPerClip }, (_, s) => families[`kinematic-eval-${clipTagOf(clip)}`]!.sample(s)));
  const tune = Array.from({ length: k.tuneWindows }, (_, s) => families['kinematic-window']!.sample(1000 + s));
  const lr = tuneAdam('kinematic', tune, k.budget, k.adamLearningRates, log);
  return benchWindows('kinematic', o.contenders, tasks, k.budget, lr, null, log);
}

function clipTagOf(clip: string): string {
  return /^cmu_(\d+_\d+)_/.exec(clip)![1]!;
}

/** Physics windows of the evaluation clips; Adam tuned on physics windows of training clips. */
async function physicsBench(o: MotionBenchOptions, log: (l: string) => void): Promise<WindowsBench | null> {
  const p = o.physics;
  if (!p) return null;
  const build = (clips: readonly string[], variants: number[], windows: number) => physicsWindowTasks({ clips, variants, seconds: p.seconds, windowsPerSlice: windows, workDir: join(o.workDir, 'physics-windows'), log });
  const tune = (await build(TRAINING_CLIPS.slice(2, 3), [40], p.tuneWindows)).slice(0, p.tuneWindows);
  const lr = tuneAdam('physics', tune, p.tuneBudget, p.adamLearningRates, log);
  const tasks: PhysicsWindowTask[] = await build(EVALUATION_CLIPS, p.variants, p.windowsPerSlice);
  return benchWindows('physics', o.contenders, tasks, p.budget, lr, tasks[0]?.rolloutsPerEvaluation ?? null, log);
}

/** The kinematic stage, then the physics stage (search + `physicsIterations` per window), with each contender, scored against the truth. */
async function stageBench(o: MotionBenchOptions, rates: { kinematic: number; physics: number }, log: (l: string) => void): Promise<StageRow[]> {
  const s = o.stage;
  if (!s) return [];
  const rows: StageRow[] = [];
  for (const c of o.contenders) {
    const workDir = join(o.workDir, 'stage', c.label);
    rmSync(workDir, { recursive: true, force: true });
    const slice = writeSlice({ workDir, seconds: s.seconds }, s.clip, s.variant);
    // Every stage optimizer is this contender, built as the bench builds it (Adam at its tuned rate).
    const hook = (kind: 'kinematic' | 'physics') => (_name: string, opts: StageOptimizerOptions) =>
      registryOptimizer(c.name, contenderOptions(c, kind, opts.seed, c.name === 'adam' ? rates[kind] : undefined));
    const common = { out: slice.dir, exports: [], checkSheet: false, workers: 0, kinematicOptimizer: 'optimus' };
    const t0 = performance.now();
    await withStageOptimizerHook(hook('kinematic'), () => reconstruct(slice.keypointsPath, { ...common, physics: false }));
    const kinMs = performance.now() - t0;
    const kin = evaluateFiles(join(slice.dir, 'motion.json'), slice.truthPath);
    rows.push({ label: c.label, stage: 'kinematic', mpjpe: kin.mpjpe, paMpjpe: kin.paMpjpe, footSkatePct: kin.footSkatePct, residualPctBodyWeight: null, falls: null, ms: kinMs });
    const t1 = performance.now();
    const report = await withStageOptimizerHook(hook('physics'), () => reconstruct(slice.keypointsPath, { ...common, iterations: s.physicsIterations }));
    if (!report.stages.kinematic?.skipped) throw new Error(`${slice.dir}: the kinematic stage ran again`);
    const phys = evaluateFiles(join(slice.dir, 'motion.json'), slice.truthPath);
    rows.push({ label: c.label, stage: 'physics', mpjpe: phys.mpjpe, paMpjpe: phys.paMpjpe, footSkatePct: phys.footSkatePct, residualPctBodyWeight: report.physics?.residual.meanPctBodyWeight ?? null, falls: report.physics?.falls ?? null, ms: performance.now() - t1 });
    log(`stages with ${c.label}: kinematic MPJPE ${kin.mpjpe.toFixed(1)} / PA ${kin.paMpjpe.toFixed(1)} mm, physics MPJPE ${phys.mpjpe.toFixed(1)} / PA ${phys.paMpjpe.toFixed(1)} mm, falls ${report.physics?.falls ?? '-'}`);
  }
  return rows;
}

export async function benchMotion(options: MotionBenchOptions): Promise<MotionBench> {
  const log = options.log ?? (() => {});
  await initBackend('wasm');
  const kinematic = kinematicBench(options, log);
  const physics = await physicsBench(options, log);
  const rate = (b: WindowsBench | null, fallback: number) => b?.rows.find((r) => r.label === 'adam')?.learningRate ?? fallback;
  const stages = await stageBench(options, { kinematic: rate(kinematic, KINEMATIC_DEFAULTS.learningRate), physics: rate(physics, 0.3) }, log);
  return { kinematic, physics, stages, stageIterations: options.stage?.physicsIterations ?? null, load: loadavg() };
}
