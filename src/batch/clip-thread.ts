import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { UserError } from '../errors.ts';
import { evaluateFiles } from '../eval/evaluate.ts';
import { writeJsonAtomic } from '../formats/io.ts';
import { initBackend } from '../optimus/backend.ts';
import { loadRapier } from '../physics/rapier.ts';
import { reconstruct } from '../reconstruct/pipeline.ts';
import { threadCpuSeconds } from './cpu.ts';
import { CLIP_DEFAULTS, clipOut, jobData, reconstructOptions } from './job.ts';
import type { ClipMessage, ClipRequest } from './run-clip.ts';

/**
 * A clip thread (started by run-clip.ts) runs clips one after another: its modules, wasm and
 * compiled code are loaded once and serve every clip it runs. In its own thread, the
 * pipeline's long synchronous stretches never starve the thread that renews the job's lock.
 */
const post = (m: ClipMessage) => parentPort!.postMessage(m);

async function runOne(request: ClipRequest): Promise<void> {
  const started = performance.now();
  const cpu0 = threadCpuSeconds();
  try {
    const job = jobData.parse(request.job);
    const report = await reconstruct(job.input, {
      ...reconstructOptions(job),
      onProgress: (stage, done, total) => post({ type: 'progress', stage, done, total }),
    });
    // Metrics when the input came with its truth (a synth folder): the index shows them.
    if (job.truth) writeJsonAtomic(join(clipOut(job), 'metrics.json'), evaluateFiles(report.outputs.motion!, job.truth), 2);
    const cpu1 = threadCpuSeconds();
    post({ type: 'done', frames: report.frames, seconds: (performance.now() - started) / 1000, cpuSeconds: cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null });
  } catch (err) {
    post({ type: 'error', message: (err as Error)?.message ?? String(err), user: err instanceof UserError });
  }
}

// The wasm of the default backend and of Rapier is compiled once, when the thread starts.
const warm = Promise.all([initBackend(CLIP_DEFAULTS.backend), loadRapier()]).then(() => post({ type: 'ready' }), () => post({ type: 'ready' }));
parentPort!.on('message', (m: ClipRequest) => void warm.then(() => runOne(m)));
