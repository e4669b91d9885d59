import { resolve } from 'node:path';
import type { Command } from 'commander';
import { writeIndex } from '../../batch/batch-index.ts';
import { defaultConcurrency, physicsThreads } from '../../batch/cores.ts';
import { findInputs } from '../../batch/inputs.ts';
import { longestFirst } from '../../batch/order.ts';
import { CLIP_DEFAULTS, jobId, makeJob, type ClipOptions } from '../../batch/job.ts';
import { runLocalBatch, type BatchEvent } from '../../batch/local.ts';
import { ensureWritableOut } from '../../batch/out-dir.ts';
import { QUEUE_DEFAULTS, submitJobs, waitForJobs } from '../../batch/queue.ts';
import { maskUrl } from '../../batch/redis-url.ts';
import { UserError } from '../../errors.ts';
import type { ExportFormat } from '../../export/index.ts';
import { parseBackend } from '../../optimus/backend.ts';
import { OPTIMIZER_NAMES, parseOptimizerName } from '../../reconstruct/optimizers.ts';
import { exportList, nonNegativeInt, positiveInt } from '../parse.ts';
import { formatSeconds } from '../progress.ts';
import { failureLines, openRedis, queueCounts } from './status.ts';

interface BatchFlags {
  out: string; concurrency: number; redis?: string; wait?: boolean; queue: string; attempts: number; retryFailed?: boolean;
  physics: boolean; optimizer: string; kinematicOptimizer: string; iterations?: number; kinematicIterations?: number;
  workers?: number; height?: number; exports: ExportFormat[]; backend: 'wasm' | 'cpu' | 'tensorflow'; checkSheet: boolean; quiet?: boolean;
}

export function registerBatch(program: Command): void {
  program
    .command('batch')
    .description('reconstruct every video or keypoints .json of folders or files into OUT/<relative path>/: locally with a bounded pool, or queued on Redis for `optimus-motion worker`s anywhere')
    .argument('<inputs...>', 'folders (searched recursively) and files')
    .requiredOption('--out <dir>', 'output folder: one sub-folder per input, plus index.json and index.csv')
    .option('--concurrency <n>', 'clips reconstructed at the same time (local run; default: one per core)', positiveInt('--concurrency'), defaultConcurrency())
    .option('--redis <url>', 'queue the clips on this Redis (redis://[user:pass@]host:port[/db], rediss:// for TLS) instead of running them here')
    .option('--wait', 'with --redis: wait until every clip is done or failed')
    .option('--queue <name>', 'queue name on Redis', QUEUE_DEFAULTS.queue)
    .option('--attempts <n>', 'runs of a clip before it lands in the failed set (bad input fails at once)', positiveInt('--attempts'), QUEUE_DEFAULTS.attempts)
    .option('--retry-failed', 'with --redis: run clips of this batch that failed before again')
    .option('--no-physics', 'stop after the kinematic stage')
    .option('--optimizer <name>', `optimizer of the physics stage: ${OPTIMIZER_NAMES.join(', ')}`, parseOptimizerName, CLIP_DEFAULTS.optimizer)
    .option('--kinematic-optimizer <name>', 'optimizer of the kinematic stage', parseOptimizerName, CLIP_DEFAULTS.kinematicOptimizer)
    .option('--iterations <n>', 'physics iterations per window', positiveInt('--iterations'))
    .option('--kinematic-iterations <n>', 'kinematic iterations per window', positiveInt('--kinematic-iterations'))
    .option('--workers <w>', 'physics threads per clip (default: the cores divided among the concurrent clips)', nonNegativeInt('--workers'))
    .option('--height <m>', 'subject stature in metres, when known', Number)
    .option('--exports <list>', 'export formats per clip: bvh,glb,csv or none', exportList, CLIP_DEFAULTS.exports)
    .option('--backend <name>', 'tfjs backend: wasm, cpu, tensorflow', parseBackend, CLIP_DEFAULTS.backend)
    .option('--no-check-sheet', 'do not render check.jpg per clip')
    .option('--quiet', 'print nothing but errors')
    .action(async (paths: string[], flags: BatchFlags) => {
      if (flags.height !== undefined && !(flags.height > 0.5 && flags.height < 2.5)) throw new UserError(`--height must be between 0.5 and 2.5 metres, got ${flags.height}`);
      if (flags.wait && !flags.redis) throw new UserError('--wait needs --redis (a local batch always waits)');
      const out = resolve(flags.out);
      const inputs = await longestFirst(findInputs(paths, out));
      ensureWritableOut(out);
      const clip: ClipOptions = {
        physics: flags.physics, optimizer: flags.optimizer as ClipOptions['optimizer'], kinematicOptimizer: flags.kinematicOptimizer as ClipOptions['optimizer'],
        iterations: flags.iterations ?? null, kinematicIterations: flags.kinematicIterations ?? null, height: flags.height ?? null,
        exports: flags.exports, backend: flags.backend, checkSheet: flags.checkSheet,
        workers: flags.workers ?? physicsThreads(flags.concurrency),
      };
      const say = (line: string) => { if (!flags.quiet) process.stdout.write(line + '\n'); };
      if (flags.redis) return submit(flags.redis, out, inputs.map((i) => makeJob(i, out, clip)), flags, say);
      say(`${inputs.length} clip(s) into ${out}, ${flags.concurrency} at a time`);
      const s = await runLocalBatch(inputs, out, clip, { concurrency: flags.concurrency, onEvent: localReporter(say, flags.quiet) });
      say(`done ${s.done}, failed ${s.failed}; index: ${resolve(out, 'index.json')}`);
      if (s.failed) throw new UserError(`${s.failed} of ${inputs.length} clip(s) failed (errors in ${resolve(out, 'index.json')})`, 1);
    });
}

async function submit(url: string, out: string, jobs: ReturnType<typeof makeJob>[], flags: BatchFlags, say: (l: string) => void): Promise<void> {
  const redis = await openRedis(url);
  try {
    const r = await submitJobs(redis, out, jobs, { queue: flags.queue, attempts: flags.attempts, retryFailed: flags.retryFailed });
    say(`queued ${r.added} clip(s) on ${maskUrl(url)} (queue ${flags.queue}); ${r.existing} already there${r.retried ? `, ${r.retried} failed clip(s) retried` : ''}`);
    if (!flags.wait) {
      say(`start workers with: optimus-motion worker --redis ${maskUrl(url)}${flags.queue !== QUEUE_DEFAULTS.queue ? ` --queue ${flags.queue}` : ''}`);
      return;
    }
    const ids = new Set(jobs.map(jobId));
    let last = '';
    const final = await waitForJobs(redis, flags.queue, ids, (s) => {
      const line = queueCounts(s);
      if (line !== last && !flags.quiet && process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}`);
      last = line;
    });
    if (!flags.quiet && process.stderr.isTTY) process.stderr.write('\n');
    writeIndex(out);
    for (const l of failureLines(final)) say(l);
    say(`done ${final.done}, failed ${final.failed}; index: ${resolve(out, 'index.json')}`);
    if (final.failed) throw new UserError(`${final.failed} of ${jobs.length} clip(s) failed (errors in ${resolve(out, 'index.json')})`, 1);
  } finally {
    redis.disconnect();
  }
}

/** One line per finished clip; on a TTY also a live line with the running clips' stages. */
function localReporter(say: (l: string) => void, quiet?: boolean): (e: BatchEvent) => void {
  const live = !quiet && process.stderr.isTTY;
  const stages = new Map<string, string>();
  const draw = () => { if (live) process.stderr.write(`\r\x1b[K${[...stages].map(([c, s]) => `${c}: ${s}`).join(' | ')}`); };
  const line = (l: string) => { if (live) process.stderr.write('\r\x1b[K'); say(l); draw(); };
  return (e) => {
    if (e.type === 'start') stages.set(e.clip, 'starting');
    else if (e.type === 'progress') { stages.set(e.clip, `${e.stage} ${e.done}/${e.total}`); draw(); }
    else if (e.type === 'done') { stages.delete(e.clip); line(`[${e.finished}/${e.total}] done ${e.clip} (${formatSeconds(e.seconds)})`); }
    else { stages.delete(e.clip); line(`[${e.finished}/${e.total}] failed ${e.clip}: ${e.error}`); }
  };
}
