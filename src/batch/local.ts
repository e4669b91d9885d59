import { writeIndex } from './batch-index.ts';
import { writeClipStatus } from './clip-status.ts';
import { jobId, makeJob, type ClipOptions, type JobData } from './job.ts';
import type { BatchInput } from './inputs.ts';
import { updateManifest } from './manifest.ts';
import { ClipError, ClipThreadPool } from './run-clip.ts';

/** What a batch reports while it runs (the CLI draws it). */
export type BatchEvent =
  | { type: 'start'; clip: string; index: number; total: number }
  | { type: 'progress'; clip: string; stage: string; done: number; total: number }
  | { type: 'done'; clip: string; seconds: number; finished: number; total: number }
  | { type: 'failed'; clip: string; error: string; finished: number; total: number };

export interface LocalBatchOptions {
  /** Clips reconstructed at the same time. */
  concurrency: number;
  onEvent?: (e: BatchEvent) => void;
}

export interface BatchSummary {
  done: number;
  failed: number;
}

/**
 * Reconstructs every input on this machine, `concurrency` at a time, in as many clip threads.
 * A failing clip is recorded and the others go on; the index is rebuilt after every clip.
 */
export async function runLocalBatch(inputs: BatchInput[], out: string, clip: ClipOptions, options: LocalBatchOptions): Promise<BatchSummary> {
  const jobs = inputs.map((input) => makeJob(input, out, clip));
  const ids = jobs.map(jobId);
  updateManifest(out, jobs.map((j, i) => ({ rel: j.rel, input: j.input, truth: j.truth, jobId: ids[i]! })));
  writeIndex(out);
  const emit = options.onEvent ?? (() => {});
  const threads = new ClipThreadPool();
  const summary: BatchSummary = { done: 0, failed: 0 };
  let next = 0;
  const runNext = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      await runOne(jobs[i]!, ids[i]!, i);
    }
  };
  const runOne = async (job: JobData, id: string, index: number) => {
    emit({ type: 'start', clip: job.rel, index, total: jobs.length });
    try {
      const r = await threads.run(job, (stage, done, total) => emit({ type: 'progress', clip: job.rel, stage, done, total })).result;
      writeClipStatus(out, { jobId: id, status: 'done', error: null, computeSeconds: r.seconds, attempts: 1 });
      summary.done++;
      emit({ type: 'done', clip: job.rel, seconds: r.seconds, finished: summary.done + summary.failed, total: jobs.length });
    } catch (err) {
      const error = err instanceof ClipError ? err.message : String(err);
      recordFailure(job, id, error, 1);
      summary.failed++;
      emit({ type: 'failed', clip: job.rel, error, finished: summary.done + summary.failed, total: jobs.length });
    }
    writeIndex(out);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, jobs.length) }, runNext));
  } finally {
    await threads.close();
  }
  return summary;
}

/** Records the failure when OUT can be written (it may be the problem). */
export function recordFailure(job: JobData, id: string, error: string, attempts: number): void {
  try {
    writeClipStatus(job.out, { jobId: id, status: 'failed', error, computeSeconds: null, attempts });
  } catch {
    // the error itself stays in the failed set / the summary
  }
}
