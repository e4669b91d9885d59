import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import { connect, probeRedis } from '../../batch/connection.ts';
import { QUEUE_DEFAULTS, queueStatus, waitForJobs, type QueueStatus } from '../../batch/queue.ts';
import { maskUrl } from '../../batch/redis-url.ts';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('clips queued, active, done and failed on a Redis batch queue, with each failed clip\'s input and error')
    .requiredOption('--redis <url>', 'the Redis the clips were queued on')
    .option('--queue <name>', 'queue name on Redis', QUEUE_DEFAULTS.queue)
    .option('--wait', 'return when nothing is queued or active')
    .option('--json', 'print { queued, active, done, failed, jobs: [{ input, state, out, error }] }')
    .action(async (flags: { redis: string; queue: string; wait?: boolean; json?: boolean }) => {
      const redis = await openRedis(flags.redis);
      try {
        const s = flags.wait
          ? await waitForJobs(redis, flags.queue, undefined, (p) => {
            if (!flags.json && process.stderr.isTTY) process.stderr.write(`\r\x1b[K${queueCounts(p)}`);
          })
          : await queueStatus(redis, flags.queue);
        if (!flags.json && flags.wait && process.stderr.isTTY) process.stderr.write('\n');
        process.stdout.write(flags.json ? JSON.stringify(s, null, 2) + '\n' : text(s));
      } finally {
        redis.disconnect();
      }
    });
}

/**
 * A client of the Redis at `url` for the CLI, once it has answered (probeRedis checks the URL
 * and fails in one line); its errors while running go to stderr, masked.
 */
export async function openRedis(url: string): Promise<Redis> {
  await probeRedis(url);
  return connect(url, (m) => process.stderr.write(`optimus-motion: Redis ${maskUrl(url)}: ${m}\n`));
}

export function queueCounts(s: QueueStatus): string {
  return `queued ${s.queued}, active ${s.active}, done ${s.done}, failed ${s.failed}`;
}

/** One line per failed clip: its input and error. */
export function failureLines(s: QueueStatus): string[] {
  return s.jobs.filter((j) => j.state === 'failed').map((j) => `  failed: ${j.input}: ${j.error}`);
}

function text(s: QueueStatus): string {
  return [queueCounts(s), ...failureLines(s)].join('\n') + '\n';
}
