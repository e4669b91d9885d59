import { adafacMlpLayout, type AdafacMlpConfig } from '../baselines/adafac-mlp.ts';
import { adafacMlpDef, optimusDef, type LearnedOptimizerDef } from '../learned.ts';
import { networkLayout } from '../network.ts';
import { optimusNetworkConfig, type OptimusConfig } from '../optimus.ts';
import type { WeightLayout } from '../weights.ts';
import { BUILTIN_OBJECTIVE_NAMES, taskFamily } from '../objectives/index.ts';
import { adam } from '../baselines/first-order.ts';
import { lbfgs } from '../baselines/quasi-newton.ts';
import type { Optimizer, TaskFamily } from '../types.ts';
import { learnedSgdDef } from './learned-sgd.ts';
import { toyQuadraticFamily } from './toy-families.ts';

/**
 * What the trainer can train and on what: learned-optimizer kinds and task families
 * by the names a training config uses.
 */
export type LearnedOptimizerFactory = (architecture: Record<string, unknown>) => LearnedOptimizerDef;

export const LEARNED_OPTIMIZERS: Readonly<Record<string, LearnedOptimizerFactory>> = {
  optimus: (arch) => optimusDef(arch) as unknown as LearnedOptimizerDef,
  'adafac-mlp': (arch) => adafacMlpDef(arch) as unknown as LearnedOptimizerDef,
  'learned-sgd': (arch) => learnedSgdDef(arch) as unknown as LearnedOptimizerDef,
};

/**
 * One task family per built-in objective (named after it: 'rosenbrock', 'quadratic', …):
 * random shift, rotation, value scale and start point from the library's task families,
 * plus the trainer's own 'toy-quadratic'.
 */
export function trainingFamilies(): Record<string, TaskFamily> {
  const out: Record<string, TaskFamily> = { 'toy-quadratic': toyQuadraticFamily() };
  for (const name of BUILTIN_OBJECTIVE_NAMES) out[name] = taskFamily({ objectives: [name], name });
  return out;
}

/**
 * Hand-designed optimizers scored next to the trained one on the held-out tasks: Adam at
 * the learned optimizers' base step (what the untrained networks start from) and L-BFGS.
 * Untuned here; `bench` is where Adam's learning rate is tuned per family.
 */
export function referenceOptimizers(): Record<string, () => Optimizer> {
  return {
    'adam(lr=0.03)': () => adam({ learningRate: 0.03 }) as unknown as Optimizer,
    lbfgs: () => lbfgs() as unknown as Optimizer,
  };
}

/** The named weight layout of a learned optimizer (null for kinds without one, e.g. the toy). */
export function weightLayoutOf(def: LearnedOptimizerDef): WeightLayout | null {
  if (def.kind === 'optimus') return networkLayout(optimusNetworkConfig(def.config as unknown as OptimusConfig));
  if (def.kind === 'adafac-mlp') return adafacMlpLayout(def.config as unknown as AdafacMlpConfig);
  return null;
}

/**
 * The output layer of each kind (zero-initialised: where the untrained network is exactly
 * its hand-designed optimizer). `trainable: ["@output"]` names it for every kind, so two
 * configs that train the output layers of Optimus and the MLP stay identical but for `kind`.
 */
export const OUTPUT_LAYER: Readonly<Record<string, readonly string[]>> = {
  optimus: ['head.'],
  'adafac-mlp': ['out.'],
};

/**
 * 1 for each weight whose name starts with one of `prefixes` ('@output': the output layer). Throws (with the known
 * names) when a prefix matches nothing, so a typo never silently freezes everything.
 */
export function trainableMask(def: LearnedOptimizerDef, prefixes: readonly string[]): Uint8Array {
  const layout = weightLayoutOf(def);
  if (!layout) throw new Error(`${def.kind} has no named weights, so "trainable" cannot select any`);
  const mask = new Uint8Array(def.weightCount);
  const expanded = prefixes.flatMap((p) => (p === '@output' ? (OUTPUT_LAYER[def.kind] ?? [p]) : [p]));
  for (const p of expanded) {
    const hit = layout.entries.filter((e) => e.name.startsWith(p));
    if (hit.length === 0) throw new Error(`trainable prefix "${p}" matches no ${def.kind} weight (names: ${layout.entries.map((e) => e.name).join(', ')})`);
    for (const e of hit) mask.fill(1, e.offset, e.offset + e.size);
  }
  return mask;
}
