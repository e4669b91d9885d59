import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { indexCsv, indexRow, reportView } from '../../src/batch/batch-index.ts';
import { findInputs } from '../../src/batch/inputs.ts';
import { maskUrl, redact } from '../../src/batch/redis-url.ts';
import { badClip, cli, FAST, synthClip } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'om-batch-local-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('batch inputs', () => {
  it('finds videos and keypoints files recursively, skipping other JSON, hidden folders and OUT', () => {
    const root = join(dir, 'find');
    mkdirSync(join(root, 'day1/.cache'), { recursive: true });
    mkdirSync(join(root, 'out'), { recursive: true });
    const kp = JSON.stringify({ format: 'optimus-motion/keypoints@1' });
    writeFileSync(join(root, 'day1/walk.json'), kp);
    writeFileSync(join(root, 'day1/truth.json'), JSON.stringify({ format: 'optimus-motion/truth@1' }));
    writeFileSync(join(root, 'day1/.cache/old.json'), kp);
    writeFileSync(join(root, 'run.MP4'), 'not decoded here');
    writeFileSync(join(root, 'notes.txt'), '');
    writeFileSync(join(root, 'out/previous.json'), kp);
    const found = findInputs([root], join(root, 'out'));
    expect(found.map((f) => f.rel)).toEqual(['day1/walk', 'run']);
    expect(found[0]!.truth).toBe(join(root, 'day1/truth.json'));
    expect(found[1]!.truth).toBeNull();
  });

  it('refuses a folder with no usable input, a missing path, and two inputs with one output folder', () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'readme.json'), '{}');
    expect(() => findInputs([empty], join(dir, 'o'))).toThrow(/no usable input/);
    expect(() => findInputs([join(dir, 'nope')], join(dir, 'o'))).toThrow(/not found/);
    mkdirSync(join(dir, 'x1'));
    mkdirSync(join(dir, 'x2'));
    const kp = JSON.stringify({ format: 'optimus-motion/keypoints@1' });
    writeFileSync(join(dir, 'x1/clip.json'), kp);
    writeFileSync(join(dir, 'x2/clip.json'), kp);
    expect(() => findInputs([join(dir, 'x1/clip.json'), join(dir, 'x2/clip.json')], join(dir, 'o'))).toThrow(/would both write to/);
  });
});

describe('redis URLs', () => {
  it('masks credentials, raw and in error texts', () => {
    expect(maskUrl('redis://alice:p%40ss-word@db.example:6380/2')).toBe('redis://***:***@db.example:6380/2');
    expect(maskUrl('rediss://:hunter22@h:1')).toBe('rediss://***:***@h:1');
    expect(maskUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    const url = 'redis://alice:p%40ss-word@db.example:6380';
    const text = redact(`connect to ${url} failed; auth p@ss-word for alice`, url);
    expect(text).not.toMatch(/p@ss-word|p%40ss-word|alice/);
    expect(text).toContain('redis://***:***@db.example:6380');
  });
});

describe('batch index', () => {
  const clip = { rel: 'a/b', input: '/in/a/b.json', truth: '/in/a/truth.json', jobId: 'om-1' };
  it('takes a row from the status, report and metrics of the same job only', () => {
    const report = { frames: 30, stages: { kinematic: { loss: 0.5 }, physics: { loss: 0.25 } }, residualForce: { meanN: 600, meanNm: 40 } };
    const row = indexRow(clip, { format: 'optimus-motion/batch-status@1', jobId: 'om-1', status: 'done', error: null, computeSeconds: 12, attempts: 1 }, report, { mpjpe: 20 });
    expect(row).toEqual({ input: '/in/a/b.json', out: 'a/b', status: 'done', frames: 30, computeSeconds: 12, losses: { kinematic: 0.5, physics: 0.25 }, residual: { meanN: 600, meanNm: 40 }, metrics: { mpjpe: 20 }, error: null });
    // A status left by an earlier job of this folder says nothing about this one.
    const stale = indexRow(clip, { format: 'optimus-motion/batch-status@1', jobId: 'om-0', status: 'done', error: null, computeSeconds: 3, attempts: 1 }, report, null);
    expect(stale.status).toBe('pending');
    expect(stale.frames).toBeNull();
    // report.json as the pipeline writes it without physics (physics: null) still gives its losses.
    const noPhysics = indexRow(clip, { format: 'optimus-motion/batch-status@1', jobId: 'om-1', status: 'done', error: null, computeSeconds: 1, attempts: 1 }, reportView.parse({ frames: 9, stages: { kinematic: { loss: 2 } }, residualForce: null, physics: null }), null);
    expect(noPhysics).toMatchObject({ frames: 9, losses: { kinematic: 2 }, residual: null });
    const withResidual = indexRow(clip, { format: 'optimus-motion/batch-status@1', jobId: 'om-1', status: 'done', error: null, computeSeconds: 1, attempts: 1 }, { ...report, physics: { residual: { meanPctBodyWeight: 0 } } }, null);
    expect(withResidual.residual).toEqual({ meanPctBodyWeight: 0 });
  });
  it('quotes CSV fields with commas, quotes and newlines', () => {
    const row = indexRow(clip, { format: 'optimus-motion/batch-status@1', jobId: 'om-1', status: 'failed', error: 'bad "frames", see\nlog', computeSeconds: null, attempts: 3 }, null, null);
    const csv = indexCsv([row]).split('\n');
    expect(csv[0]!.startsWith('input,out,status,frames,compute_s')).toBe(true);
    expect(csv[1]).toContain('"bad ""frames"", see');
  });
});

describe('optimus-motion batch (local)', () => {
  it('reconstructs every clip, records a failing one, and writes the index', async () => {
    const root = join(dir, 'in');
    synthClip(join(root, 'squat'), 0.5);
    badClip(join(root, 'broken.json'));
    const out = join(dir, 'out');
    const r = await cli(['batch', root, '--out', out, '--concurrency', '2', ...FAST]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/1 of 2 clip\(s\) failed/);
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    const byOut = Object.fromEntries(index.clips.map((c: { out: string }) => [c.out, c]));
    expect(byOut['squat/keypoints'].status).toBe('done');
    expect(byOut['squat/keypoints'].frames).toBe(16);
    expect(byOut['squat/keypoints'].losses.kinematic).toBeGreaterThan(0);
    expect(byOut['squat/keypoints'].metrics.mpjpe).toBeGreaterThan(0);
    expect(byOut.broken.status).toBe('failed');
    expect(byOut.broken.error).toMatch(/broken\.json/);
    const csv = readFileSync(join(out, 'index.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(3);
  }, 90_000);

  it('fails in one line on an unwritable OUT and on a folder with no usable input', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    synthClip(join(dir, 'one'), 0.3);
    const r = await cli(['batch', join(dir, 'one'), '--out', join(file, 'out'), ...FAST]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^optimus-motion: error: .*a-file\/out: cannot write the output folder \(ENOTDIR\)\n$/);
    mkdirSync(join(dir, 'nothing'));
    const n = await cli(['batch', join(dir, 'nothing'), '--out', join(dir, 'o2'), ...FAST]);
    expect(n.code).not.toBe(0);
    expect(n.stderr).toMatch(/no usable input/);
  }, 60_000);
});
