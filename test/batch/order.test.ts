import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findInputs } from '../../src/batch/inputs.ts';
import { estimateFrames, longestFirst } from '../../src/batch/order.ts';
import { makeTestsrc } from '../ingest/fixtures.ts';
import { badClip, synthClip } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'om-order-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('longest clips first', () => {
  it('counts the frames of keypoints and of a video', async () => {
    const keypoints = synthClip(join(dir, 'count'), 1);
    expect(await estimateFrames(keypoints)).toBe((JSON.parse(readFileSync(keypoints, 'utf8')) as { frames: unknown[] }).frames.length);
    expect(await estimateFrames(synthClip(join(dir, 'count2'), 2))).toBeGreaterThan(await estimateFrames(keypoints));
    expect(await estimateFrames(makeTestsrc(join(dir, 'count.mp4'), { fps: 10, seconds: 3 }))).toBe(30);
  });

  it('queues the longest first, equal lengths in path order, unreadable inputs last', async () => {
    const root = join(dir, 'batch');
    synthClip(join(root, 'a-short'), 0.5);
    synthClip(join(root, 'b-long'), 1.5);
    synthClip(join(root, 'c-short'), 0.5);
    badClip(join(root, 'd-empty.json'));
    writeFileSync(join(root, 'e-broken.mp4'), 'not a video');
    synthClip(join(root, 'f-middle'), 1);
    const inputs = findInputs([root], join(dir, 'out'));
    expect(inputs.map((i) => i.rel)).toEqual(['a-short/keypoints', 'b-long/keypoints', 'c-short/keypoints', 'd-empty', 'e-broken', 'f-middle/keypoints']);
    const ordered = await longestFirst(inputs);
    expect(ordered.map((i) => i.rel)).toEqual(['b-long/keypoints', 'f-middle/keypoints', 'a-short/keypoints', 'c-short/keypoints', 'd-empty', 'e-broken']);
  });
});
