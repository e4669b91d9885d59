import { saveCheckpoint } from '../checkpoint.ts';
import type { LearnedOptimizerDef } from '../learned.ts';

/**
 * Writes the shipped model in the library's checkpoint format (src/optimus/checkpoint.ts),
 * atomically, so `minimize`/`bench` load it without the trainer and a reader or a
 * commit never sees half a file.
 */
export interface ModelProvenance {
  status: 'training' | 'complete';
  [key: string]: unknown;
}

export function writeModelFile(path: string, def: LearnedOptimizerDef, weights: Float32Array, training: unknown, provenance: ModelProvenance): void {
  saveCheckpoint(path, def, weights, training as Record<string, unknown>, provenance);
}
