import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withoutTimings } from '../../src/batch/bench.ts';
import { CLIP_DEFAULTS, makeJob, type ClipOptions } from '../../src/batch/job.ts';
import { ClipError, ClipThread } from '../../src/batch/run-clip.ts';
import { badClip, synthClip } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'om-clip-thread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Physics on (one iteration per window): Rapier and the tfjs backend are what a kept thread reuses.
const options: ClipOptions = { ...CLIP_DEFAULTS, iterations: 1, kinematicIterations: 20, exports: [], checkSheet: false, workers: 1 };
const job = (input: string, out: string, rel: string) => makeJob({ input, rel, truth: null }, out, options);
const motion = (out: string, rel: string) => withoutTimings(readFileSync(join(out, rel, 'motion.json'), 'utf8'));

describe('clip threads', () => {
  it('run clip after clip in one thread with the results of a fresh thread; bad input keeps the thread, the limit ends it', async () => {
    const a = synthClip(join(dir, 'in/a'), 0.3, 1);
    const b = synthClip(join(dir, 'in/b'), 0.3, 2);
    const bad = badClip(join(dir, 'in/bad.json'));
    const kept = new ClipThread({ clipsPerThread: 3 });
    const fresh = new ClipThread();
    try {
      const warm = join(dir, 'warm');
      const r1 = kept.run(job(a, warm, 'a'));
      const first = kept.threadId;
      expect((await r1.result).frames).toBeGreaterThan(0);
      const refused = await kept.run(job(bad, warm, 'bad')).result.catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ClipError);
      expect((refused as ClipError).user).toBe(true);
      expect(kept.threadId).toBe(first);
      const r2 = await kept.run(job(b, warm, 'b')).result;
      expect(r2.cpuSeconds).toBeGreaterThan(0);
      // Three clips run (the refused one counts): the thread is ended, the next clip gets a fresh one.
      expect(kept.threadId).toBeNull();

      const cold = join(dir, 'cold');
      await fresh.run(job(b, cold, 'b')).result;
      expect(motion(warm, 'b')).toBe(motion(cold, 'b'));
    } finally {
      await kept.close();
      await fresh.close();
    }
  }, 180_000);

  it('cancels a running clip and runs the next one in a new thread', async () => {
    const a = synthClip(join(dir, 'in/c'), 0.3, 3);
    const t = new ClipThread();
    try {
      const running = t.run(job(a, join(dir, 'cancel'), 'c'));
      const id = t.threadId;
      const outcome = running.result.catch((e: unknown) => e);
      await running.cancel();
      expect(await outcome).toMatchObject({ message: 'cancelled' });
      const again = t.run(job(a, join(dir, 'cancel'), 'c'));
      expect(t.threadId).not.toBe(id);
      expect((await again.result).frames).toBeGreaterThan(0);
    } finally {
      await t.close();
    }
  }, 180_000);
});
