import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../../errors.ts';
import { readJsonFile, validate, writeJsonAtomic } from '../../formats/io.ts';
import { loadCheckpoint } from '../checkpoint.ts';
import type { LearnedOptimizerDef } from '../learned.ts';
import type { Optimizer, TaskFamily } from '../types.ts';
import { trainConfigSchema, type TrainConfig } from './config.ts';
import { evaluateOptimizer } from './evaluate.ts';
import { writeModelFile, type ModelProvenance } from './model-file.ts';
import { TaskCache } from './pes.ts';
import { LEARNED_OPTIMIZERS, trainableMask, trainingFamilies } from './registry.ts';
import { expandGrid, type TaskGrid } from './task-distribution.ts';
import {
  decodeTrainer, encodeTrainer, trainerInit, trainerStep, trainerValidate,
  type StepReport, type TrainerSetup, type TrainerState,
} from './trainer.ts';

/**
 * A training run with its files: the config in, periodic atomic checkpoints of the
 * full trainer state (for --resume) and of the shipped model (valid at every moment),
 * a time budget, and a final held-out evaluation written into the model's provenance.
 */
export interface TrainRunOptions {
  config: TrainConfig;
  /** Where the config came from (recorded in provenance). */
  configSource: string;
  /** Model file to write (e.g. models/optimus-bench.json). */
  out: string;
  /** Trainer state for --resume; default runs/<out name>.state.json. */
  statePath?: string;
  resume?: boolean;
  /** Overrides config.seed. */
  seed?: number;
  /** Wall-clock budget of this invocation's training loop (the final evaluation comes after). */
  minutes?: number;
  /** Stop after this many outer steps in this invocation (tests, smoke runs). */
  maxStepsThisRun?: number;
  /** Called after every outer step (a test may throw here to simulate a kill). */
  onStep?: (report: StepReport, progress: TrainProgress) => void;
  /** One line of the training log (evaluations, checkpoints, skipped steps). */
  log?: (line: string) => void;
  /** Injected for tests; default: the registry. */
  learnedOptimizers?: Readonly<Record<string, (arch: Record<string, unknown>) => LearnedOptimizerDef>>;
  families?: Readonly<Record<string, TaskFamily>>;
  /** Hand-designed optimizers scored next to the trained one in the held-out evaluation. */
  references?: Readonly<Record<string, () => Optimizer>>;
}

export interface TrainProgress {
  outerStep: number;
  /** Outer steps done by this invocation (after a resume, fewer than outerStep). */
  stepsThisRun: number;
  /** Steps this run is expected to reach (outerSteps, or fewer under the time budget). */
  expectedSteps: number;
  /** Mean meta-loss of the last 20 outer steps. */
  metaLoss: number;
  evalLoss: number | null;
  etaSeconds: number;
  stepsPerSecond: number;
}

export interface HeldOutCell {
  family: string;
  dim: number;
  seeds: number[];
  /** Mean log10 gap of the best value (bench metric) per optimizer. */
  meanLog10Gap: Record<string, number | null>;
  metaLoss: Record<string, number>;
}

export interface TrainRunResult {
  state: TrainerState;
  modelPath: string;
  statePath: string;
  heldOut: HeldOutCell[] | null;
  stoppedBy: 'steps' | 'time' | 'limit';
}

const STATE_FORMAT = 'optimus-motion/train-state@1';

export function defaultStatePath(out: string): string {
  return join('runs', `${basename(out).replace(/\.json$/, '')}.state.json`);
}

/** Reads and validates a training config file (unknown keys, impossible values → UserError naming the file). */
export function readTrainConfig(path: string): TrainConfig {
  const config = validate(trainConfigSchema, readJsonFile(path), path);
  const known = { ...LEARNED_OPTIMIZERS };
  if (!known[config.kind]) throw new UserError(`${path}: unknown kind "${config.kind}" (known: ${Object.keys(known).join(', ')})`);
  return config;
}

/** Checks that every family the config names exists; refuses held-out grids that overlap training. */
export function checkTaskNames(config: TrainConfig, families: Readonly<Record<string, TaskFamily>>, source: string): void {
  const names = [...config.tasks.train.families, ...config.tasks.validation.families, ...config.tasks.heldOut.flatMap((g) => g.families)];
  for (const name of names) {
    if (!families[name]) throw new UserError(`${source}: unknown task family "${name}" (known: ${Object.keys(families).join(', ')})`);
  }
}

export async function runTraining(options: TrainRunOptions): Promise<TrainRunResult> {
  const log = options.log ?? (() => {});
  const statePath = options.statePath ?? defaultStatePath(options.out);
  const families = options.families ?? trainingFamilies();
  const factories = options.learnedOptimizers ?? LEARNED_OPTIMIZERS;
  let config = options.seed === undefined ? options.config : { ...options.config, seed: options.seed };

  let state: TrainerState;
  let startedAt = new Date().toISOString();
  let setup: TrainerSetup;
  if (options.resume) {
    const saved = readSavedState(statePath);
    if (options.seed !== undefined && options.seed !== saved.config.seed) {
      throw new UserError(`--seed ${options.seed} differs from the seed ${saved.config.seed} of the run in ${statePath}`);
    }
    if (JSON.stringify(trainingPart(saved.config)) !== JSON.stringify(trainingPart(config))) {
      throw new UserError(`${statePath}: was trained with a different config than ${options.configSource}; resume with the same config`);
    }
    // The final evaluation (held-out grid, budget, acceptance) follows the config given now.
    config = { ...saved.config, tasks: { ...saved.config.tasks, heldOut: config.tasks.heldOut }, heldOutGradEvals: config.heldOutGradEvals, acceptOnHeldOut: config.acceptOnHeldOut };
    // The architecture the run started with (library defaults may have moved since).
    const architecture = saved.architecture ?? architectureFromModel(options.out, config.kind) ?? config.architecture;
    setup = makeSetup({ ...config, architecture }, factories, families, options.configSource);
    setup = { ...setup, config };
    try {
      state = decodeTrainer(saved.trainer, setup);
    } catch (err) {
      throw new UserError(`${statePath}: corrupt training state (${(err as Error).message}); left untouched — delete it or train without --resume`);
    }
    startedAt = saved.startedAt;
    log(`resumed ${statePath} at outer step ${state.outerStep}`);
  } else {
    setup = makeSetup(config, factories, families, options.configSource);
    state = trainerInit(setup, config.seed, config.initFrom ? initialWeightsFrom(config.initFrom, setup, options.configSource) : undefined);
  }

  const cache = new TaskCache();
  const runStart = Date.now();
  let lastCheckpoint = Date.now();
  const budgetMs = options.minutes === undefined ? Infinity : options.minutes * 60_000;
  let stepsThisRun = 0;
  let stoppedBy: TrainRunResult['stoppedBy'] = 'steps';

  const save = (status: ModelProvenance['status'], extra: Record<string, unknown> = {}, weights?: Float32Array) => {
    writeJsonAtomic(statePath, { format: STATE_FORMAT, kind: setup.def.kind, architecture: setup.def.config, config, configSource: options.configSource, startedAt, trainer: encodeTrainer(state) });
    const shipped = weights ?? state.best?.weights ?? state.weights;
    writeModelFile(options.out, setup.def, shipped, config, { ...provenance(setup, state, config, options.configSource, startedAt, status), ...extra });
    lastCheckpoint = Date.now();
  };

  if (state.evalHistory.length === 0) {
    const rec = trainerValidate(setup, state);
    log(`step ${state.outerStep} validation meta-loss ${fmt(rec.metaLoss)} log10 gap ${fmt(rec.meanLog10Gap)}`);
    save('training');
  }

  while (state.outerStep < config.outerSteps) {
    if (Date.now() - runStart >= budgetMs) { stoppedBy = 'time'; break; }
    if (options.maxStepsThisRun !== undefined && stepsThisRun >= options.maxStepsThisRun) { stoppedBy = 'limit'; break; }
    const t0 = Date.now();
    const report = trainerStep(setup, state, cache);
    stepsThisRun++;
    if (report.skipped) log(`step ${report.outerStep}: NaN meta-loss in ${report.nanPairs} pair(s); update skipped, weights kept, those pairs restart on new tasks`);
    const elapsed = (Date.now() - runStart) / 1000;
    const rate = stepsThisRun / Math.max(elapsed, 1e-3);
    const stepsLeftByTime = Number.isFinite(budgetMs) ? Math.max(0, (budgetMs / 1000 - elapsed) * rate) : Infinity;
    const stepsLeft = Math.min(config.outerSteps - state.outerStep, stepsLeftByTime);
    if (state.outerStep % config.evalEvery === 0) {
      const rec = trainerValidate(setup, state);
      log(`step ${state.outerStep} meta-loss ${fmt(recentMean(state.metaLossHistory))} validation ${fmt(rec.metaLoss)} log10 gap ${fmt(rec.meanLog10Gap)} best ${fmt(state.best?.metaLoss ?? null)}@${state.best?.step ?? '-'} ${rate.toFixed(2)} steps/s ETA ${formatEta(stepsLeft / rate)}`);
    }
    state.wallMs += Date.now() - t0;
    options.onStep?.(report, {
      outerStep: state.outerStep,
      stepsThisRun,
      expectedSteps: state.outerStep + Math.floor(stepsLeft),
      metaLoss: recentMean(state.metaLossHistory),
      evalLoss: state.evalHistory.at(-1)?.metaLoss ?? null,
      etaSeconds: stepsLeft / rate,
      stepsPerSecond: rate,
    });
    if (state.outerStep % config.checkpointEvery === 0 || Date.now() - lastCheckpoint >= config.checkpointSeconds * 1000) save('training');
  }

  // Final: one more validation so the last weights compete, then the held-out evaluation of the shipped weights.
  // A run stopped by maxStepsThisRun only checkpoints, so a later --resume continues exactly.
  const done = state.outerStep >= config.outerSteps || stoppedBy === 'time';
  let heldOut: HeldOutCell[] | null = null;
  if (!done) save('training');
  else {
    if (state.evalHistory.at(-1)?.step !== state.outerStep) trainerValidate(setup, state);
    save('training');
    log('held-out evaluation …');
    const evalStart = Date.now();
    const start = startWeights(setup, options.configSource);
    heldOut = evaluateHeldOut(setup, state, start, options.references ?? {});
    const gain = heldOutGain(heldOut, setup.def.kind, start.label);
    const reject = config.acceptOnHeldOut && !gain.better;
    const record = { heldOutSeconds: Math.round((Date.now() - evalStart) / 1000), heldOutWins: heldOutWins(heldOut, setup.def.kind), heldOutGain: gain, heldOut };
    if (!reject) save('complete', record);
    else {
      const selected = provenance(setup, state, config, options.configSource, startedAt, 'complete').shippedWeights;
      save('complete', { ...record, shippedWeights: { from: `${start.from}: the selected weights did not beat them on the held-out tasks`, step: 0, rejected: selected } }, start.weights);
      log(`the selected weights did not beat the weights training started from on the held-out tasks (mean log10 gap ${fmt(gain.trained)} against ${fmt(gain.untrained)}); shipped those`);
    }
    log(`wrote ${options.out}`);
  }
  return { state, modelPath: options.out, statePath, heldOut, stoppedBy };
}

function makeSetup(config: TrainConfig, factories: Readonly<Record<string, (a: Record<string, unknown>) => LearnedOptimizerDef>>, families: Readonly<Record<string, TaskFamily>>, source: string): TrainerSetup {
  const factory = factories[config.kind];
  if (!factory) throw new UserError(`${source}: unknown kind "${config.kind}" (known: ${Object.keys(factories).join(', ')})`);
  checkTaskNames(config, families, source);
  const def = factory(config.architecture);
  if (!config.trainable) return { def, families, config };
  try {
    return { def, families, config, mask: trainableMask(def, config.trainable) };
  } catch (err) {
    throw new UserError(`${source}: ${(err as Error).message}`);
  }
}

/** Weights of the checkpoint named by `initFrom`; it must hold the same kind and architecture. */
function initialWeightsFrom(path: string, setup: TrainerSetup, source: string): Float32Array {
  const loaded = loadCheckpoint(path);
  if (loaded.def.kind !== setup.def.kind) throw new UserError(`${source}: initFrom ${path} holds a ${loaded.def.kind} checkpoint, not ${setup.def.kind}`);
  if (loaded.weights.length !== setup.def.weightCount) throw new UserError(`${source}: initFrom ${path} has ${loaded.weights.length} weights, the architecture needs ${setup.def.weightCount}`);
  return Float32Array.from(loaded.weights);
}

interface SavedState {
  config: TrainConfig;
  architecture?: Record<string, unknown>;
  startedAt: string;
  trainer: unknown;
}

function readSavedState(path: string): SavedState {
  if (!existsSync(path)) throw new UserError(`${path}: no training state to resume (train once without --resume)`);
  let raw: unknown;
  try {
    raw = readJsonFile(path);
  } catch (err) {
    throw new UserError(`${path}: corrupt training state (${(err as Error).message}); left untouched — delete it or train without --resume`);
  }
  const r = raw as Record<string, unknown>;
  if (!r || r.format !== STATE_FORMAT || typeof r.startedAt !== 'string' || !r.trainer) {
    throw new UserError(`${path}: corrupt training state (not an ${STATE_FORMAT} file); left untouched — delete it or train without --resume`);
  }
  const parsed = trainConfigSchema.safeParse(r.config);
  if (!parsed.success) throw new UserError(`${path}: corrupt training state (its config is invalid); left untouched`);
  const architecture = r.architecture && typeof r.architecture === 'object' ? (r.architecture as Record<string, unknown>) : undefined;
  return { config: parsed.data, startedAt: r.startedAt, trainer: r.trainer, ...(architecture ? { architecture } : {}) };
}

/** States written before the architecture was stored: take it from the model file of the same run. */
function architectureFromModel(path: string, kind: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const m = readJsonFile(path) as { kind?: unknown; config?: unknown };
    return m.kind === kind && m.config && typeof m.config === 'object' ? (m.config as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** What a resumed run must share with the saved one: all but the seed and the settings of the final evaluation. */
function trainingPart(c: TrainConfig): unknown {
  const { seed: _seed, heldOutGradEvals: _budget, acceptOnHeldOut: _accept, tasks, ...rest } = c;
  const { heldOut: _heldOut, ...trainTasks } = tasks;
  return { ...rest, tasks: trainTasks };
}

function provenance(setup: TrainerSetup, state: TrainerState, config: TrainConfig, configSource: string, startedAt: string, status: ModelProvenance['status']): ModelProvenance {
  const losses = state.metaLossHistory;
  return {
    status,
    createdAt: new Date().toISOString(),
    seed: config.seed,
    trainedOn: `${config.tasks.train.families.join(', ')} at dims ${config.tasks.train.dimRange[0]}–${config.tasks.train.dimRange[1]} (random shift, rotation, scale, start)`,
    durationMs: state.wallMs,
    metaSteps: state.outerStep,
    trainer: 'PES (antithetic, persistent, truncated unrolls) + outer Adam',
    configSource,
    startedAt,
    wallSeconds: Math.round(state.wallMs / 1000),
    outerSteps: state.outerStep,
    skippedSteps: state.skippedSteps,
    innerSteps: state.innerSteps,
    tasksFinished: state.tasksFinished,
    initialWeights: config.initFrom ? { from: config.initFrom } : { from: 'initWeights', seed: config.seed },
    shippedWeights: state.best
      ? { from: `best validation ${config.selectBy}`, step: state.best.step, validationMetaLoss: state.best.metaLoss, validationLog10Gap: state.best.meanLog10Gap ?? null }
      : { from: 'latest', step: state.outerStep },
    trainingTasks: config.tasks.train,
    validationTasks: config.tasks.validation,
    heldOutTasks: config.tasks.heldOut,
    metaLossCurve: summarizeCurve(losses, 20),
    validationCurve: state.evalHistory,
    weightCount: setup.def.weightCount,
  };
}

/** The weights training started from, which trained weights must beat to ship: the untrained network, or `initFrom`'s. */
interface StartWeights {
  weights: Float32Array;
  /** Its column in the held-out cells. */
  label: string;
  /** Where they came from (provenance). */
  from: string;
}

function startWeights(setup: TrainerSetup, source: string): StartWeights {
  const { def, config } = setup;
  if (!config.initFrom) return { weights: def.initWeights(config.seed), label: `${def.kind} (untrained)`, from: 'initWeights' };
  return { weights: initialWeightsFrom(config.initFrom, setup, source), label: `${def.kind} (${basename(config.initFrom)})`, from: `initFrom ${config.initFrom}` };
}

/** Held-out evaluation: shipped weights vs the weights training started from vs the references, per (family, dim). */
function evaluateHeldOut(setup: TrainerSetup, state: TrainerState, start: StartWeights, references: Readonly<Record<string, () => Optimizer>>): HeldOutCell[] {
  const shipped = state.best?.weights ?? state.weights;
  const cells: HeldOutCell[] = [];
  const opts = { gradEvals: setup.config.heldOutGradEvals, metaLoss: setup.config.metaLoss };
  for (const grid of setup.config.tasks.heldOut) {
    for (const family of grid.families) {
      for (const dim of grid.dims) {
        const specs = expandGrid({ families: [family], dims: [dim], seeds: grid.seeds } satisfies TaskGrid);
        const cell: HeldOutCell = { family, dim, seeds: grid.seeds, meanLog10Gap: {}, metaLoss: {} };
        const score = (name: string, r: { meanLog10Gap: number | null; metaLoss: number }) => {
          cell.meanLog10Gap[name] = r.meanLog10Gap;
          cell.metaLoss[name] = r.metaLoss;
        };
        score(setup.def.kind, evaluateOptimizer(setup.def.create(shipped), specs, setup.families, opts));
        score(start.label, evaluateOptimizer(setup.def.create(start.weights), specs, setup.families, opts));
        for (const [name, make] of Object.entries(references)) score(name, evaluateOptimizer(make(), specs, setup.families, opts));
        cells.push(cell);
      }
    }
  }
  return cells;
}

/**
 * Shipped against the start weights (untrained, or initFrom's) on the held-out cells, paired per cell: the mean of each
 * one's mean log10 gap, cells better / worse by at least 0.01 (closer is rounding), and the
 * standard error of the per-cell differences. `better`: lower by more than two standard
 * errors and by 0.01, so a gain that 3 seeds per cell cannot tell from noise, or rounding, does not ship.
 */
export function heldOutGain(cells: readonly HeldOutCell[], kind: string, startLabel = `${kind} (untrained)`): { trained: number; untrained: number; cellsBetter: number; cellsWorse: number; standardError: number; better: boolean } {
  const pairs = cells
    .map((c) => [c.meanLog10Gap[kind], c.meanLog10Gap[startLabel]] as const)
    .filter((p): p is readonly [number, number] => p[0] != null && p[1] != null);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  const trained = mean(pairs.map((p) => p[0]));
  const untrained = mean(pairs.map((p) => p[1]));
  const diffs = pairs.map(([t, u]) => t - u);
  const d = mean(diffs);
  const standardError = diffs.length > 1 ? Math.sqrt(diffs.reduce((a, x) => a + (x - d) ** 2, 0) / (diffs.length - 1) / diffs.length) : NaN;
  const cellsBetter = diffs.filter((x) => x < -0.01).length;
  const cellsWorse = diffs.filter((x) => x > 0.01).length;
  return { trained, untrained, cellsBetter, cellsWorse, standardError, better: d < -Math.max(0.01, 2 * standardError) };
}

/** Share of held-out cells where `kind` has a lower mean log10 gap than each other optimizer. */
export function heldOutWins(cells: readonly HeldOutCell[], kind: string): Record<string, number> {
  const out: Record<string, number> = {};
  const others = Object.keys(cells[0]?.meanLog10Gap ?? {}).filter((n) => n !== kind);
  for (const other of others) {
    const comparable = cells.filter((c) => c.meanLog10Gap[kind] != null && c.meanLog10Gap[other] != null);
    const wins = comparable.filter((c) => c.meanLog10Gap[kind]! < c.meanLog10Gap[other]!).length;
    out[other] = comparable.length ? wins / comparable.length : NaN;
  }
  return out;
}

/** The meta-loss curve in `buckets` means (NaN steps left out), for provenance and reports. */
export function summarizeCurve(losses: readonly number[], buckets: number): Array<{ fromStep: number; toStep: number; metaLoss: number | null }> {
  const out: Array<{ fromStep: number; toStep: number; metaLoss: number | null }> = [];
  if (losses.length === 0) return out;
  const size = Math.max(1, Math.ceil(losses.length / buckets));
  for (let i = 0; i < losses.length; i += size) {
    const chunk = losses.slice(i, i + size).filter(Number.isFinite);
    out.push({ fromStep: i + 1, toStep: Math.min(i + size, losses.length), metaLoss: chunk.length ? chunk.reduce((a, b) => a + b, 0) / chunk.length : null });
  }
  return out;
}

function recentMean(xs: readonly number[]): number {
  const tail = xs.slice(-20).filter(Number.isFinite);
  return tail.length ? tail.reduce((a, b) => a + b, 0) / tail.length : NaN;
}

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '-';
  const m = Math.floor(seconds / 60);
  return m > 0 ? `${m}m${String(Math.round(seconds - 60 * m)).padStart(2, '0')}s` : `${seconds.toFixed(0)}s`;
}

function fmt(x: number | null): string {
  return x === null || !Number.isFinite(x) ? '-' : x.toFixed(3);
}

