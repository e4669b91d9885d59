import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { tempDir } from './fixtures.ts';

/** Runs the CLI in-process, capturing what it prints and its exit code. */
async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out += String(s); return true; });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err += String(s); return true; });
  process.exitCode = 0;
  try {
    await main(['node', 'optimus-motion', 'ingest', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, out, err };
}

describe('optimus-motion ingest (CLI)', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());
  afterEach(() => vi.restoreAllMocks());

  it('imports OpenPose keypoints and prints the summary', async () => {
    const p = join(tmp.dir, 'frame_keypoints.json');
    const body25 = Array.from({ length: 25 }, (_, k) => [50 + k, 60 + k, 0.9]).flat();
    writeFileSync(p, JSON.stringify({ people: [{ pose_keypoints_2d: body25 }] }));
    const out = join(tmp.dir, 'out');
    const r = await run(p, '--out', out, '--size', '320x240', '--fps', '12', '--focal', '400', '--quiet');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/frames: 1\nframes without a person: 0\n/);
    expect(readdirSync(out).sort()).toEqual(['keypoints.json', 'overlay.jpg']);
  });

  it('bad input: one line naming the file, non-zero exit, no output folder', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[join(tmp.dir, 'missing.mp4')], /missing\.mp4: file not found/],
      [[join(tmp.dir, 'nothing.json')], /nothing\.json: file not found/],
      [[(() => { const p = join(tmp.dir, 'zero.mp4'); writeFileSync(p, ''); return p; })()], /zero\.mp4: empty file/],
      [[(() => { const p = join(tmp.dir, 'text.avi'); writeFileSync(p, 'hello '.repeat(100)); return p; })()], /text\.avi: not a video/],
      [[(() => { const p = join(tmp.dir, 'odd.json'); writeFileSync(p, '{"x": 1}'); return p; })()], /odd\.json: unknown keypoint format/],
      [[(() => { const p = join(tmp.dir, 'cut.json'); writeFileSync(p, '[{"image_id": 1, "keypoints": ['); return p; })()], /cut\.json: not valid JSON/],
      [[join(tmp.dir, 'x.json'), '--model', 'giant'], /--model must be one of lite, full, heavy/],
      [[join(tmp.dir, 'x.json'), '--person', '-1'], /--person must be "largest" or an integer/],
    ];
    for (const [args, message] of cases) {
      const out = join(tmp.dir, `out-${Math.random().toString(36).slice(2)}`);
      const r = await run(...args, '--out', out, '--quiet');
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }
  });
});
