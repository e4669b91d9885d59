import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { landmarkPositions } from '../../src/body/fk.ts';
import { createSkeleton } from '../../src/body/skeleton.ts';
import { UserError } from '../../src/errors.ts';
import { readMotion } from '../../src/formats/motion.ts';
import { Interrupted, reconstruct, type ReconstructOptions } from '../../src/reconstruct/pipeline.ts';
import { makeTestsrc } from '../ingest/fixtures.ts';
import { keypointsFromLandmarks, squatPoses, testCamera } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'om-pipeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const skel = createSkeleton({ height: 1.72 });
const kp = keypointsFromLandmarks(squatPoses(skel, 7).map((p) => landmarkPositions(skel, p)), testCamera());
kp.frames[4]!.keypoints = null; // a frame without a person: filled and flagged
const input = join(dir, 'keypoints.json');
writeFileSync(input, JSON.stringify(kp));

// A tiny budget: the point is the bookkeeping, not the accuracy.
const base = (out: string): ReconstructOptions => ({
  out, optimizer: 'adam', exports: ['csv'],
  kinematic: { iterations: 3, initIterations: 2, windowSize: 4, overlap: 1 },
  physicsStage: { iterations: 1, windows: { knots: 1, size: 4 }, controller: { rootWrench: false }, gradient: { centralShare: 0 } },
});

describe('reconstruct pipeline', () => {
  it('resumes an interrupted run to the same motion.json, and skips up-to-date stages', async () => {
    const full = await reconstruct(input, base(join(dir, 'full')));
    expect(full.framesWithoutPerson).toEqual([4]);
    expect(full.stages.kinematic!.skipped).toBe(false);
    expect(existsSync(join(dir, 'full', 'motion.csv'))).toBe(true);
    const motion = readMotion(join(dir, 'full', 'motion.json'));
    expect(motion.frames).toHaveLength(7);
    expect(motion.stages!.physics!.lossCurve).toHaveLength(1);
    // How physical it is, in report.json and motion.json (DESIGN §4.6): the frames the simulation
    // made carry the ground force per foot and the residual, the start pose does not.
    const report = JSON.parse(readFileSync(join(dir, 'full', 'report.json'), 'utf8'));
    expect(report.subject.massKg).toBeGreaterThan(40);
    expect(Object.keys(report.physics.residual).sort()).toEqual(['framesAbove10Pct', 'maxPctBodyWeight', 'meanN', 'meanNm', 'meanPctBodyWeight']);
    for (const k of ['contactSupportPct', 'restarts', 'falls']) expect(Number.isFinite(report.physics[k])).toBe(true);
    // The default stage is fully physical, and says so.
    expect(report.physics.controller).toBe('physical');
    expect(report.physics.residual.maxPctBodyWeight).toBe(0);
    expect(report.physics.restarts).toBe(0);
    expect(report.physics).toEqual(full.physics);
    expect(motion.frames[0]!.groundForce).toBeUndefined();
    const simulated = motion.frames.filter((f) => f.groundForce && f.residual);
    expect(simulated).toHaveLength(report.physics.simulatedFrames);
    const meanN = simulated.reduce((s, f) => s + Math.hypot(...f.residual!.force), 0) / simulated.length;
    expect(meanN).toBeLessThanOrEqual(report.physics.residual.meanN + 1e-9);

    // Interrupted after one physics window, then resumed.
    const out = join(dir, 'resumed');
    await expect(reconstruct(input, { ...base(out), stopAfter: { stage: 'physics', windows: 1 } })).rejects.toThrow(Interrupted);
    expect(existsSync(join(out, 'motion.json'))).toBe(false);
    expect(existsSync(join(out, '.physics.checkpoint.json'))).toBe(true);
    const resumed = await reconstruct(input, { ...base(out), resume: true });
    expect(resumed.stages.kinematic!.skipped).toBe(true);
    const a = readMotion(join(dir, 'full', 'motion.json'));
    const b = readMotion(join(out, 'motion.json'));
    expect(b.frames).toEqual(a.frames);
    expect(b.stages!.physics!.lossCurve).toEqual(a.stages!.physics!.lossCurve);
    // What the run cost (wall times) stays out of motion.json: a resumed run writes the same accounting.
    expect(a.stages!.physics!.accounting).toBeDefined();
    expect(b.stages!.physics!.accounting).toEqual(a.stages!.physics!.accounting);
    expect(JSON.stringify(a.stages!.physics!.accounting)).not.toMatch(/Ms"/);

    // Same inputs again: both stages are skipped, motion.json is left as it was, and the
    // report still carries what the simulation reported.
    const before = readFileSync(join(out, 'motion.json'), 'utf8');
    const again = await reconstruct(input, base(out));
    expect(again.stages.physics!.skipped).toBe(true);
    expect(readFileSync(join(out, 'motion.json'), 'utf8')).toEqual(before);
    expect(again.residualForce).toEqual(resumed.residualForce);
    expect(again.resets).toEqual(resumed.resets);
    expect(again.blendedFrames).toEqual(resumed.blendedFrames);
    expect(again.blowUps).toEqual(resumed.blowUps);
    // Reused, the stage reports its accounting again, without the cost of a run it did not make.
    const { compute: _cost, ...physical } = resumed.physics as NonNullable<typeof resumed.physics> & { compute?: unknown };
    expect(again.physics).toEqual(physical);
    expect(again.subject.massKg).toBe(resumed.subject.massKg);
  }, 180_000);

  it('resumes the kinematic stage to the same kinematic.json', async () => {
    const opts = (out: string): ReconstructOptions => ({ ...base(out), physics: false });
    await reconstruct(input, opts(join(dir, 'k-full')));
    const out = join(dir, 'k-resumed');
    await expect(reconstruct(input, { ...opts(out), stopAfter: { stage: 'kinematic', windows: 1 } })).rejects.toThrow(Interrupted);
    await reconstruct(input, { ...opts(out), resume: true });
    expect(readMotion(join(out, 'kinematic.json')).frames).toEqual(readMotion(join(dir, 'k-full', 'kinematic.json')).frames);
  }, 120_000);

  it('refuses keypoints with too few valid frames, naming the file', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...kp, frames: kp.frames.map((f, i) => (i < 5 ? { ...f, keypoints: null } : f)) }));
    await expect(reconstruct(bad, base(join(dir, 'bad')))).rejects.toThrow(UserError);
    await expect(reconstruct(bad, base(join(dir, 'bad')))).rejects.toThrow(/bad\.json: only 2 of 7 frames/);
  });

  it('detects a video afresh instead of reusing keypoints.json that another input left in --out', async () => {
    // keypoints.json of a person, without the stamp that says which video it came from;
    // the video is a test pattern with nobody in it, so detecting it must fail.
    const out = join(dir, 'stale');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'keypoints.json'), JSON.stringify(kp));
    const video = makeTestsrc(join(dir, 'nobody.mp4'), { seconds: 1, fps: 5 });
    await expect(reconstruct(video, base(out))).rejects.toThrow(UserError);
    expect(existsSync(join(out, 'motion.json'))).toBe(false);
  });
});
