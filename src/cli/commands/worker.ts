import type { Command } from 'commander';
import { parseRedisUrl, maskUrl } from '../../batch/redis-url.ts';
import { physicsThreads } from '../../batch/cores.ts';
import { startWorker, WORKER_DEFAULTS, type WorkerEvent } from '../../batch/worker.ts';
import { nonNegativeInt, positiveInt } from '../parse.ts';
import { formatSeconds } from '../progress.ts';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('reconstruct clips queued by `optimus-motion batch --redis` until stopped (Ctrl-C or SIGTERM: running clips go back to the queue)')
    .requiredOption('--redis <url>', 'the Redis the clips were queued on (redis://[user:pass@]host:port[/db], rediss:// for TLS)')
    .option('--concurrency <n>', 'clips run at the same time (default: one per core)', positiveInt('--concurrency'), WORKER_DEFAULTS.concurrency)
    .option('--workers <w>', 'physics threads per clip (default: the cores divided among the concurrent clips)', nonNegativeInt('--workers'))
    .option('--queue <name>', 'queue name on Redis', WORKER_DEFAULTS.queue)
    .option('--lock-seconds <s>', 'a clip whose worker is silent this long is handed to another worker', positiveInt('--lock-seconds'), WORKER_DEFAULTS.lockMs / 1000)
    .option('--quiet', 'print nothing but errors')
    .action(async (flags: { redis: string; concurrency: number; workers?: number; queue: string; lockSeconds: number; quiet?: boolean }) => {
      const url = parseRedisUrl(flags.redis);
      const worker = await startWorker(url, {
        queue: flags.queue, concurrency: flags.concurrency, physicsWorkers: flags.workers ?? physicsThreads(flags.concurrency), lockMs: flags.lockSeconds * 1000,
      }, logger(maskUrl(url), flags.queue, flags.quiet));
      await new Promise<void>((resolveStop) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void worker.close().then(resolveStop);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      // With Redis gone, BullMQ's connections keep trying to reconnect and would hold the
      // process open: a stopped worker has nothing left to do.
      process.exit(process.exitCode ?? 0);
    });
}

/** One line per event worth a log (no per-window progress: workers run unattended). */
function logger(url: string, queue: string, quiet?: boolean): (e: WorkerEvent) => void {
  const log = (line: string) => { if (!quiet) process.stdout.write(`[worker ${new Date().toISOString().slice(11, 19)}] ${line}\n`); };
  let lastRedisError = 0;
  return (e) => {
    if (e.type === 'ready') log(`waiting for clips on ${url} (queue ${queue})`);
    else if (e.type === 'start') log(`start ${e.clip} (job ${e.jobId}, attempt ${e.attempt})`);
    else if (e.type === 'done') log(`done ${e.clip} in ${formatSeconds(e.seconds)}${e.cpuSeconds !== null ? ` (clip thread CPU ${formatSeconds(e.cpuSeconds)})` : ''}`);
    else if (e.type === 'failed') log(`${e.final ? 'failed' : 'will retry'} ${e.clip}: ${e.error}`);
    else if (e.type === 'warning') process.stderr.write(`[worker] ${e.message}\n`);
    else if (e.type === 'redis-error' && Date.now() - lastRedisError > 5000) {
      // While Redis is away the client retries every moment; one line every few seconds says so.
      lastRedisError = Date.now();
      process.stderr.write(`[worker] Redis ${url}: ${e.message} (retrying)\n`);
    }
  };
}
