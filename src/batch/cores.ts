import { availableParallelism } from 'node:os';

/**
 * The default split of a machine's cores: one clip per core, one physics thread each (run on
 * the clip's own thread). Clips are independent, so they keep every core busy (docs/batch.md,
 * `npm run bench:batch`), while a clip's own physics pool speeds up only its physics stage and
 * starts its threads again for every clip.
 */
export function defaultConcurrency(): number {
  return availableParallelism();
}

/** Physics threads per clip when `concurrency` clips share the machine. */
export function physicsThreads(concurrency: number): number {
  return Math.max(1, Math.floor(availableParallelism() / concurrency));
}
