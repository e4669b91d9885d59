import type { Command } from 'commander';
import { connect, probeRedis } from '../../batch/connection.ts';
import { QUEUE_DEFAULTS, queueStatus, waitForJobs, type QueueStatus } from '../../batch/queue.ts';
import { maskUrl, parseRedisUrl } from '../../batch/redis-url.ts';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('clips queued, active, done and failed on a Redis batch queue, with each failed clip\'s input and error')
    .requiredOption('--redis <url>', 'the Redis the clips were queued on')
    .option('--queue <name>', 'queue name on Redis', QUEUE_DEFAULTS.queue)
    .option('--wait', 'return when nothing is queued or active')
    .option('--json', 'print { queued, active, done, failed, jobs: [{ input, state, out, error }] }')
    .action(async (flags: { redis: string; queue: string; wait?: boolean; json?: boolean }) => {
      const url = parseRedisUrl(flags.redis);
      await probeRedis(url);
      const redis = connect(url, (m) => process.stderr.write(`optimus-motion: Redis ${maskUrl(url)}: ${m}\n`));
      try {
        const s = flags.wait
          ? await waitForJobs(redis, flags.queue, undefined, (p) => {
            if (!flags.json && process.stderr.isTTY) process.stderr.write(`\r\x1b[K${counts(p)}`);
          })
          : await queueStatus(redis, flags.queue);
        if (!flags.json && flags.wait && process.stderr.isTTY) process.stderr.write('\n');
        process.stdout.write(flags.json ? JSON.stringify(s, null, 2) + '\n' : text(s));
      } finally {
        redis.disconnect();
      }
    });
}

function counts(s: QueueStatus): string {
  return `queued ${s.queued}, active ${s.active}, done ${s.done}, failed ${s.failed}`;
}

function text(s: QueueStatus): string {
  const lines = [counts(s)];
  for (const j of s.jobs) if (j.state === 'failed') lines.push(`  failed: ${j.input}: ${j.error}`);
  return lines.join('\n') + '\n';
}
