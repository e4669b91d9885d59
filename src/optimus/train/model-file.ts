import { writeJsonAtomic } from '../../formats/io.ts';
import type { LearnedOptimizerDef } from '../learned.ts';
import { encodeTypedArray } from './state-codec.ts';

/**
 * Writes the shipped model: architecture, weights, training config and provenance in
 * one JSON file, atomically (a reader or a commit never sees half a file).
 */
export interface ModelProvenance {
  status: 'training' | 'complete';
  [key: string]: unknown;
}

export function writeModelFile(path: string, def: LearnedOptimizerDef, weights: Float32Array, training: unknown, provenance: ModelProvenance): void {
  writeJsonAtomic(path, {
    format: 'optimus-motion/learned-optimizer@1',
    kind: def.kind,
    config: def.config,
    weightCount: def.weightCount,
    weights: encodeTypedArray(weights),
    training,
    provenance,
  }, 1);
}
