import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withoutTimings } from '../../src/batch/bench.ts';
import { startLocalRedis, type LocalRedis } from '../../src/batch/redis-server.ts';
import { cli, HAVE_REDIS, spawnCli, stopProcess, synthClip, until } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'om-batch-kill-'));
let redis: LocalRedis;
beforeAll(async () => {
  if (HAVE_REDIS) redis = await startLocalRedis();
});
afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const motionText = (path: string) => withoutTimings(readFileSync(path, 'utf8'));

describe.skipIf(!HAVE_REDIS)('a worker killed with SIGKILL mid-job', () => {
  it('another worker finishes the job once, from the last finished stage, with the undisturbed result', async () => {
    const input = synthClip(join(dir, 'in/squat'), 0.5);
    // Two physics windows of one iteration: long enough to kill between them.
    const options = ['--iterations', '1', '--kinematic-iterations', '20', '--exports', 'none', '--no-check-sheet', '--workers', '0', '--quiet'];
    const out = join(dir, 'out');
    const clipDir = join(out, 'keypoints');
    expect((await cli(['batch', input, '--out', out, '--redis', redis.url, ...options])).code).toBe(0);

    const first = spawnCli(['worker', '--redis', redis.url, '--lock-seconds', '2']);
    // The undisturbed local batch runs meanwhile.
    const reference = cli(['batch', input, '--out', join(dir, 'reference'), ...options]);
    try {
      await until('the first physics window', () => existsSync(join(clipDir, '.physics.checkpoint.json')), 90_000);
      await stopProcess(first.proc, 'SIGKILL');
    } finally {
      await stopProcess(first.proc, 'SIGKILL');
    }
    expect(first.log()).not.toMatch(/\bdone keypoints\b/);
    expect(existsSync(join(clipDir, 'motion.json'))).toBe(false);
    // Whatever the killed run left is whole (written by rename) or a temp file.
    for (const f of readdirSync(clipDir).filter((n) => n.endsWith('.json'))) expect(() => JSON.parse(readFileSync(join(clipDir, f), 'utf8'))).not.toThrow();

    const second = spawnCli(['worker', '--redis', redis.url, '--lock-seconds', '2']);
    try {
      const s = JSON.parse((await cli(['status', '--redis', redis.url, '--wait', '--json'], 120_000)).stdout);
      expect(s).toMatchObject({ queued: 0, active: 0, done: 1, failed: 0 });
    } finally {
      await stopProcess(second.proc);
    }
    expect(second.log().match(/\bdone keypoints\b/g)).toHaveLength(1);
    expect((await reference).code).toBe(0);
    expect(motionText(join(clipDir, 'motion.json'))).toBe(motionText(join(dir, 'reference/keypoints/motion.json')));
    expect(readdirSync(clipDir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    // Continued after the finished stage (the stage stamps hold the code's digest: an edit of
    // src/ during the test would redo it).
    const report = JSON.parse(readFileSync(join(clipDir, 'report.json'), 'utf8'));
    expect(report.stages.kinematic.skipped).toBe(true);
  }, 180_000);
});
