import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { UserError } from '../errors.ts';
import { evaluateFiles } from '../eval/evaluate.ts';
import { writeJsonAtomic } from '../formats/io.ts';
import { reconstruct } from '../reconstruct/pipeline.ts';
import { clipOut, jobData, reconstructOptions } from './job.ts';
import type { ClipMessage } from './run-clip.ts';

/**
 * One clip, in its own thread (started by run-clip.ts): the pipeline's long synchronous
 * stretches then never starve the thread that renews the job's lock in Redis.
 */
const post = (m: ClipMessage) => parentPort!.postMessage(m);
try {
  const job = jobData.parse((workerData as { job: unknown }).job);
  const started = performance.now();
  const report = await reconstruct(job.input, {
    ...reconstructOptions(job),
    onProgress: (stage, done, total) => post({ type: 'progress', stage, done, total }),
  });
  // Metrics when the input came with its truth (a synth folder): the index shows them.
  if (job.truth) writeJsonAtomic(join(clipOut(job), 'metrics.json'), evaluateFiles(report.outputs.motion!, job.truth), 2);
  post({ type: 'done', frames: report.frames, seconds: (performance.now() - started) / 1000 });
} catch (err) {
  post({ type: 'error', message: (err as Error)?.message ?? String(err), user: err instanceof UserError });
}
