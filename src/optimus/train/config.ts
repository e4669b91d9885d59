import { z } from 'zod';
import { TRAIN_SEED_BASE } from './task-distribution.ts';

/**
 * The training config file (data/train/*.json). Strict: unknown keys and impossible
 * values are refused before any training starts. Every field but `kind` and `tasks`
 * has a default (TRAIN_CONFIG_DEFAULTS documents them).
 */
const posInt = z.number().int().positive();
const evalSeed = z.number().int().nonnegative().lt(TRAIN_SEED_BASE, `evaluation seeds must be below ${TRAIN_SEED_BASE} (training seeds are drawn above it)`);

const taskGrid = z.object({
  families: z.array(z.string().min(1)).min(1),
  dims: z.array(posInt).min(1),
  seeds: z.array(evalSeed).min(1),
}).strict();

export const trainConfigSchema = z.object({
  /** Which learned optimizer: 'optimus', 'adafac-mlp' or 'learned-sgd' (the trainer's own toy). */
  kind: z.string().min(1),
  /** Architecture options passed to the learned optimizer's definition. */
  architecture: z.record(z.string(), z.unknown()).default({}),
  seed: z.number().int().nonnegative().default(0),
  /** Maximum outer steps (a --minutes budget may stop sooner). */
  outerSteps: posInt.default(100_000),
  /** Number of antithetic pairs (each pair = two particles sharing one task). */
  population: posInt.default(8),
  /** Std of the weight perturbations. */
  sigma: z.number().positive().default(0.01),
  estimator: z.enum(['pes', 'tes']).default('pes'),
  truncation: z.object({
    unrollSteps: posInt,
    minHorizon: posInt,
    maxHorizon: posInt,
  }).strict().refine((t) => t.maxHorizon >= t.minHorizon, 'maxHorizon must be ≥ minHorizon')
    .refine((t) => t.minHorizon >= t.unrollSteps, 'minHorizon must be ≥ unrollSteps')
    .default({ unrollSteps: 10, minHorizon: 50, maxHorizon: 200 }),
  metaLoss: z.object({
    epsilon: z.number().positive(),
    maxRatio: z.number().gt(1),
    /** Score each step's value ('current') or the best so far ('best', the bench's value). */
    value: z.enum(['current', 'best']).optional(),
    /** Share of each task's horizon whose steps score nothing (0: all count; 0.5: the second half). */
    countFrom: z.number().min(0).lt(1).optional(),
  }).strict().default({ epsilon: 1e-8, maxRatio: 1e3 }),
  outerAdam: z.object({
    learningRate: z.number().positive(),
    beta1: z.number().min(0).lt(1),
    beta2: z.number().min(0).lt(1),
    epsilon: z.number().positive(),
  }).strict().default({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }),
  /** Global-norm clip of the PES estimate before Adam. */
  clipNorm: z.number().positive().default(10),
  tasks: z.object({
    train: z.object({
      families: z.array(z.string().min(1)).min(1),
      dimRange: z.tuple([posInt, posInt]).refine(([lo, hi]) => hi >= lo, 'dimRange must be [min, max] with max ≥ min'),
    }).strict(),
    /** Tasks scored every `evalEvery` steps (progress line, best-weights selection). */
    validation: taskGrid,
    /** Tasks kept out of training, scored once at the end into the checkpoint's provenance. */
    heldOut: z.array(taskGrid).min(1),
  }).strict(),
  evalEvery: posInt.default(50),
  /**
   * Which validation score picks the shipped weights: the training meta-loss, or the
   * bench's metric (mean log10 gap of the best value after `evalGradEvals` evaluations).
   * The first round selected by meta-loss, which favoured weights that were worse on the
   * bench; 'log10Gap' selects by what the bench measures.
   */
  selectBy: z.enum(['metaLoss', 'log10Gap']).default('metaLoss'),
  /**
   * Start from the weights of this checkpoint (same kind and architecture) instead of a
   * fresh initialisation, e.g. to continue a finished run with another schedule.
   */
  initFrom: z.string().min(1).optional(),
  /**
   * Train only the weights whose names start with one of these prefixes (e.g. the output
   * heads, ["head."], or "@output" for the output layer of either kind); the others stay at their initial values. ES noise grows with the
   * number of perturbed weights, so a few dozen weights learn far faster than thousands.
   * Default: all weights.
   */
  trainable: z.array(z.string().min(1)).min(1).optional(),
  /**
   * Ship the trained weights only if they beat the untrained network on the held-out tasks
   * (mean log10 gap over the cells lower by more than two paired standard errors and 0.01); otherwise
   * ship the untrained weights and record the rejected ones' scores.
   */
  acceptOnHeldOut: z.boolean().default(false),
  /** Gradient-evaluation budget per validation task. */
  evalGradEvals: posInt.default(100),
  /** Gradient-evaluation budget per held-out task (the bench's budget). */
  heldOutGradEvals: posInt.default(200),
  checkpointEvery: posInt.default(25),
  /** Also checkpoint when this many seconds passed since the last one. */
  checkpointSeconds: z.number().positive().default(60),
}).strict();

export type TrainConfig = z.infer<typeof trainConfigSchema>;
export type TrainConfigInput = z.input<typeof trainConfigSchema>;
