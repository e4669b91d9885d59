import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedis } from '../../src/batch/redis-server.ts';
import { badClip, cli, FAST, HAVE_REDIS, spawnCli, stopProcess, synthClip } from './helpers.ts';

const PASSWORD = 'batch-test-Secret-42';
const dir = mkdtempSync(join(tmpdir(), 'om-batch-queue-'));
let redis: LocalRedis;

beforeAll(async () => {
  if (HAVE_REDIS) redis = await startLocalRedis({ password: PASSWORD });
});
afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Every file under a folder, as text. */
function allText(root: string): string {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .map((f) => join(root, f)).filter((p) => statSync(p).isFile()).map((p) => readFileSync(p, 'utf8')).join('\n');
}

describe.skipIf(!HAVE_REDIS)('batch on Redis (real redis-server, BullMQ)', () => {
  it('queues each clip once however often it is submitted; a worker finishes them, a failing clip lands in the failed set', async () => {
    const root = join(dir, 'in');
    synthClip(join(root, 'squat'), 0.4);
    synthClip(join(root, 'squat-b'), 0.3, 7);
    badClip(join(root, 'broken.json'));
    const out = join(dir, 'out');
    // A clip whose output folder cannot be made (a file is in the way): an error that is not
    // the input's, so it is retried, then fails for good after the retry limit.
    synthClip(join(root, 'blocked'), 0.3);
    mkdirSync(out);
    writeFileSync(join(out, 'blocked'), 'in the way');
    const args = ['batch', root, '--out', out, '--redis', redis.url, '--attempts', '2', ...FAST.filter((a) => a !== '--quiet')];
    const first = await cli(args);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/queued 4 clip\(s\) on redis:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+ \(queue optimus-motion\); 0 already there/);
    const again = await cli(args);
    expect(again.stdout).toMatch(/queued 0 clip\(s\) .*; 4 already there/);

    const queued = JSON.parse((await cli(['status', '--redis', redis.url, '--json'])).stdout);
    expect(Object.keys(queued)).toEqual(['queued', 'active', 'done', 'failed', 'jobs']);
    expect(queued).toMatchObject({ queued: 4, active: 0, done: 0, failed: 0 });
    expect(Object.keys(queued.jobs[0])).toEqual(['input', 'state', 'out', 'error']);

    let waited = { stdout: '' };
    const worker = spawnCli(['worker', '--redis', redis.url, '--concurrency', '2', '--workers', '0']);
    try {
      waited = await cli(['status', '--redis', redis.url, '--wait', '--json'], 120_000);
      const s = JSON.parse(waited.stdout);
      expect(s).toMatchObject({ queued: 0, active: 0, done: 2, failed: 2 });
      const failed = s.jobs.find((j: { state: string; input: string }) => j.state === 'failed' && j.input.endsWith('broken.json'));
      expect(failed.input).toBe(join(root, 'broken.json'));
      expect(failed.out).toBe(join(out, 'broken'));
      expect(failed.error).toMatch(/broken\.json: invalid/);
      // Submitted once more after the work is done: nothing is queued again.
      expect((await cli(args)).stdout).toMatch(/queued 0 clip\(s\) .*; 4 already there/);
      expect(worker.log().match(/\bstart squat\/keypoints\b/g)).toHaveLength(1);
      expect(worker.log()).toMatch(/will retry blocked\/keypoints: .*(ENOTDIR|EEXIST)/);
      expect(worker.log()).toMatch(/start blocked\/keypoints \(job \S+, attempt 2\)/);
      expect(worker.log().match(/\bstart broken\b/g)).toHaveLength(1); // bad input: no retry
    } finally {
      await stopProcess(worker.proc);
    }

    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    expect(index.clips.map((c: { out: string; status: string }) => `${c.out}:${c.status}`)).toEqual(['blocked/keypoints:failed', 'broken:failed', 'squat-b/keypoints:done', 'squat/keypoints:done']);
    expect(index.clips[0].error).toMatch(/ENOTDIR|EEXIST/);
    expect(index.clips[3].metrics.paMpjpe).toBeGreaterThan(0);
    expect(readFileSync(join(out, 'blocked'), 'utf8')).toBe('in the way');
    // The password is nowhere: not in what the commands printed, nor in any file of the batch.
    expect(worker.log()).not.toContain(PASSWORD);
    expect(first.stdout + first.stderr + again.stdout + waited.stdout).not.toContain(PASSWORD);
    expect(allText(out)).not.toContain(PASSWORD);
  }, 120_000);

  it('fails fast in one line, naming the masked URL, when Redis cannot be reached or refuses the password', async () => {
    const url = `redis://ops:${PASSWORD}@127.0.0.1:1`;
    const input = badClip(join(dir, 'never-read.json'));
    for (const args of [['status', '--redis', url], ['batch', input, '--out', join(dir, 'o'), '--redis', url, ...FAST]]) {
      const r = await cli(args, 30_000);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/^optimus-motion: error: cannot reach Redis at redis:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:1\/?: .+\n$/);
      expect(r.stderr + r.stdout).not.toContain(PASSWORD);
      // Exited on its own, not killed at 30 s; the probe's timeout itself is bounded in connection.test.ts
      // (a wall-clock limit here measured mostly the CLI's start-up, 15-20 s at load 17).
      expect(r.code).not.toBeNull();
    }
    const wrong = await cli(['status', '--redis', redis.url.replace(PASSWORD, 'Wrong-Password-99')], 30_000);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/^optimus-motion: error: cannot use Redis at redis:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+\/?: WRONGPASS .+\n$/);
    expect(wrong.stderr).not.toContain('Wrong-Password-99');
  }, 60_000);
});
