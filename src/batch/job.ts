import { join } from 'node:path';
import { z } from 'zod';
import { EXPORT_FORMATS } from '../export/index.ts';
import { OPTIMIZER_NAMES } from '../reconstruct/optimizers.ts';
import type { ReconstructOptions } from '../reconstruct/pipeline.ts';
import { digest, fingerprintPath } from '../reconstruct/stage-stamp.ts';
import type { BatchInput } from './inputs.ts';

/**
 * One clip's work as it travels through Redis: plain data, validated where it is read (a
 * worker may run another build of the code than the submitter).
 */
export const JOB_FORMAT = 'optimus-motion/batch-job@1';

/** The reconstruct options a batch passes on to every clip (all serializable). */
export const clipOptions = z.object({
  physics: z.boolean(),
  optimizer: z.enum(OPTIMIZER_NAMES),
  kinematicOptimizer: z.enum(OPTIMIZER_NAMES),
  /** Physics iterations per window; null: the stage's default. */
  iterations: z.number().int().positive().nullable(),
  kinematicIterations: z.number().int().positive().nullable(),
  height: z.number().positive().nullable(),
  exports: z.array(z.enum(Object.keys(EXPORT_FORMATS) as [keyof typeof EXPORT_FORMATS])),
  backend: z.enum(['wasm', 'cpu', 'tensorflow']),
  checkSheet: z.boolean(),
  /** Physics worker threads per clip: speed only, never the result (not part of the job id). */
  workers: z.number().int().nonnegative(),
});
export type ClipOptions = z.infer<typeof clipOptions>;

export const CLIP_DEFAULTS: ClipOptions = {
  physics: true, optimizer: 'optimus', kinematicOptimizer: 'lbfgs', iterations: null, kinematicIterations: null,
  height: null, exports: ['bvh', 'glb', 'csv'], backend: 'wasm', checkSheet: true, workers: 1,
};

export const jobData = z.object({
  format: z.literal(JOB_FORMAT),
  input: z.string(),
  rel: z.string(),
  /** The batch's OUT (absolute); the clip writes OUT/rel. */
  out: z.string(),
  truth: z.string().nullable(),
  options: clipOptions,
});
export type JobData = z.infer<typeof jobData>;

export function makeJob(input: BatchInput, out: string, options: ClipOptions): JobData {
  return { format: JOB_FORMAT, input: input.input, rel: input.rel, out, truth: input.truth, options };
}

/**
 * The job id: the input's bytes, where it goes and the options that change the result. The
 * same batch submitted twice maps onto the same jobs, which BullMQ adds only once.
 */
export function jobId(job: JobData): string {
  const { workers: _speedOnly, ...resultOptions } = job.options;
  return `om-${digest(JOB_FORMAT, fingerprintPath(job.input), job.out, job.rel, JSON.stringify(resultOptions))}`;
}

/** The pipeline's options for one clip. */
export function reconstructOptions(job: JobData): ReconstructOptions {
  const o = job.options;
  return {
    out: clipOut(job),
    physics: o.physics,
    optimizer: o.optimizer,
    kinematicOptimizer: o.kinematicOptimizer,
    ...(o.iterations !== null ? { iterations: o.iterations } : {}),
    ...(o.kinematicIterations !== null ? { kinematic: { iterations: o.kinematicIterations } } : {}),
    ...(o.height !== null ? { subjectHeight: o.height } : {}),
    exports: o.exports,
    backend: o.backend,
    checkSheet: o.checkSheet,
    // One physics thread beside the clip's own would leave the clip thread waiting while it
    // pays its own start-up: the clip thread rolls out itself (the same results).
    workers: o.workers === 1 ? 0 : o.workers,
    // A retried job continues from the checkpoints its last attempt left.
    resume: true,
  };
}

export function clipOut(job: Pick<JobData, 'out' | 'rel'>): string {
  return join(job.out, job.rel);
}
