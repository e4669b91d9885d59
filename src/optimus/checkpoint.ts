import { z } from 'zod';
import { UserError } from '../errors.ts';
import { readJsonFile, writeJsonAtomic } from '../formats/io.ts';
import type { AdafacMlpConfig } from './baselines/adafac-mlp.ts';
import { LEARNED_KINDS, adafacMlpDef, optimusDef, type LearnedKind, type LearnedOptimizerDef } from './learned.ts';
import type { OptimusConfig } from './optimus.ts';

/**
 * A learned-optimizer checkpoint: one JSON file with the architecture, the flat
 * weights, the training config and provenance, loadable without the trainer.
 * Loading validates the shape (zod) and that the weights fit the architecture, so a
 * truncated or incompatible file is refused with one clear line.
 */
export const CHECKPOINT_FORMAT = 'optimus-motion/checkpoint@1';

const featureConfig = z.object({
  momentumDecays: z.array(z.number().gt(0).lt(1)).min(2),
  rmsDecays: z.array(z.number().gt(0).lt(1)).min(1),
  timescales: z.array(z.number().positive()),
});

const optimusConfigShape = z.object({
  features: featureConfig,
  network: z.object({
    width: z.number().int().positive(),
    heads: z.number().int().positive(),
    layers: z.number().int().positive(),
    hidden: z.number().int().positive(),
  }),
  memory: z.number().int().nonnegative(),
  decay: z.number().gt(0).max(1),
  uScale: z.number().nonnegative(),
  pairs: z.number().int().nonnegative(),
  dScale: z.number().nonnegative(),
  baseStep: z.number().positive(),
  alphaRange: z.number().positive(),
  // Checkpoints written before the diagonal prior existed ran with a scalar H₀.
  diagonalRange: z.number().min(1).default(1),
  // Checkpoints written before 'metric' existed added d_raw to the gradient.
  directionSpace: z.enum(['metric', 'gradient']).default('gradient'),
  lbfgsPairs: z.number().int().nonnegative().optional(),
  // Checkpoints written before the blend existed scaled H₀ by 1/√v alone.
  diagonalBlend: z.number().min(0).max(1).default(0),
  // Checkpoints written before the trust radius existed stepped without one.
  trustRatio: z.number().nonnegative().default(0),
  // Checkpoints written before the cap halved after every refused step.
  maxBackoff: z.number().int().nonnegative().default(0),
  // Checkpoints written before firstStep existed moved α in norm before any curvature was known.
  firstStep: z.enum(['norm', 'rms']).default('norm'),
});
// Checkpoints written before lbfgsPairs existed built L-BFGS from the same `pairs` as SR1.
const optimusConfigSchema = optimusConfigShape.transform((c) => ({ ...c, lbfgsPairs: c.lbfgsPairs ?? c.pairs }));

const adafacMlpConfigSchema = z.object({
  features: featureConfig,
  hidden: z.number().int().positive(),
  layers: z.number().int().positive(),
  baseStep: z.number().positive(),
  magScale: z.number(),
  magRange: z.number().positive(),
  // Checkpoints written before 'adam-rms' existed added d_raw as is.
  directionUnits: z.enum(['adam-rms', 'absolute']).default('absolute'),
});

export const checkpointSchema = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  kind: z.enum(LEARNED_KINDS as [LearnedKind, ...LearnedKind[]]),
  config: z.record(z.string(), z.unknown()),
  weightCount: z.number().int().positive(),
  weights: z.array(z.number()),
  /** How it was trained (task family, PES settings, …): free-form, recorded as given. */
  training: z.record(z.string(), z.unknown()),
  /** What, how long, which seed, when, with which code. */
  provenance: z.object({
    createdAt: z.string(),
    seed: z.number().int().optional(),
    trainedOn: z.string().optional(),
    durationMs: z.number().nonnegative().optional(),
    metaSteps: z.number().int().nonnegative().optional(),
  }).passthrough(),
}).passthrough();

export type Checkpoint = z.infer<typeof checkpointSchema>;
export type Provenance = Checkpoint['provenance'];

export interface LoadedCheckpoint {
  checkpoint: Checkpoint;
  def: LearnedOptimizerDef<OptimusConfig> | LearnedOptimizerDef<AdafacMlpConfig>;
  weights: Float32Array;
}

/** Builds the checkpoint object (not yet written). */
export function makeCheckpoint(
  def: LearnedOptimizerDef<OptimusConfig> | LearnedOptimizerDef<AdafacMlpConfig> | LearnedOptimizerDef,
  weights: Float32Array,
  training: Record<string, unknown>,
  provenance: Partial<Provenance> = {},
): Checkpoint {
  if (weights.length !== def.weightCount) throw new Error(`checkpoint: ${weights.length} weights for an architecture of ${def.weightCount}`);
  return {
    format: CHECKPOINT_FORMAT,
    kind: def.kind as LearnedKind,
    config: def.config as Record<string, unknown>,
    weightCount: def.weightCount,
    weights: Array.from(weights),
    training,
    provenance: { createdAt: new Date().toISOString(), ...provenance },
  };
}

/** Writes a checkpoint atomically (temp file + rename). */
export function saveCheckpoint(
  path: string,
  def: LearnedOptimizerDef<OptimusConfig> | LearnedOptimizerDef<AdafacMlpConfig> | LearnedOptimizerDef,
  weights: Float32Array,
  training: Record<string, unknown>,
  provenance: Partial<Provenance> = {},
): Checkpoint {
  const ckpt = makeCheckpoint(def, weights, training, provenance);
  writeJsonAtomic(path, ckpt);
  return ckpt;
}

/** Validates a parsed checkpoint; `source` names the file in errors. */
export function parseCheckpoint(value: unknown, source: string, expectedKind?: LearnedKind): LoadedCheckpoint {
  const r = checkpointSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : '(root)';
    throw new UserError(`${source}: not a valid optimizer checkpoint (at ${where}: ${issue.message})`);
  }
  const ckpt = r.data;
  if (expectedKind && ckpt.kind !== expectedKind) throw new UserError(`${source}: checkpoint is for "${ckpt.kind}", not "${expectedKind}"`);
  const schema = ckpt.kind === 'optimus' ? optimusConfigSchema : adafacMlpConfigSchema;
  const cfg = schema.safeParse(ckpt.config);
  if (!cfg.success) {
    const issue = cfg.error.issues[0]!;
    throw new UserError(`${source}: incompatible architecture (config.${issue.path.join('.')}: ${issue.message})`);
  }
  let def: LoadedCheckpoint['def'];
  try {
    def = ckpt.kind === 'optimus' ? optimusDef(cfg.data as OptimusConfig) : adafacMlpDef(cfg.data as AdafacMlpConfig);
  } catch (err) {
    throw new UserError(`${source}: incompatible architecture (${(err as Error).message})`);
  }
  if (ckpt.weights.length !== ckpt.weightCount) throw new UserError(`${source}: truncated checkpoint (${ckpt.weights.length} of ${ckpt.weightCount} weights)`);
  if (def.weightCount !== ckpt.weightCount) throw new UserError(`${source}: incompatible architecture (${ckpt.weightCount} weights, this version's ${ckpt.kind} with that config needs ${def.weightCount})`);
  const weights = Float32Array.from(ckpt.weights);
  for (let i = 0; i < weights.length; i++) if (!Number.isFinite(weights[i]!)) throw new UserError(`${source}: weight ${i} is not finite`);
  return { checkpoint: ckpt, def, weights };
}

/** Reads and validates a checkpoint file. */
export function loadCheckpoint(path: string, expectedKind?: LearnedKind): LoadedCheckpoint {
  let value: unknown;
  try {
    value = readJsonFile(path);
  } catch (err) {
    if (err instanceof UserError && /not valid JSON/.test(err.message)) throw new UserError(`${path}: truncated or corrupt checkpoint (not valid JSON)`);
    if (err instanceof UserError && /file not found/.test(err.message)) throw new UserError(`${path}: checkpoint file not found`);
    throw err;
  }
  return parseCheckpoint(value, path, expectedKind);
}
