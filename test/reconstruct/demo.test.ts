import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../src/reconstruct/demo.ts';

const dir = mkdtempSync(join(tmpdir(), 'om-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('demo', () => {
  it('runs a reduced demo end to end: synth, reconstruct with physics, exports, metrics', async () => {
    // The smallest physics budget that still optimizes: 1 knot, forward differences.
    const r = await runDemo({ out: dir, seconds: 0.4, iterations: 1, kinematicIterations: 3, physicsStage: { windows: { knots: 1 }, gradient: { centralShare: 0 } } });
    for (const f of ['keypoints.json', 'truth.json', 'kinematic.json', 'motion.json', 'motion.bvh', 'motion.glb', 'motion.csv', 'report.json', 'metrics.json']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    expect(r.metrics.frames).toBe(13);
    expect(Number.isFinite(r.metrics.mpjpe)).toBe(true);
    // Even a tiny budget lands in the right neighbourhood of the truth.
    expect(r.metrics.mpjpe).toBeLessThan(250);
    expect(r.reconstruction.stages.physics!.skipped).toBe(false);
    // Physics smooths the kinematic fit's jitter.
    expect(r.kinematicMetrics).not.toBeNull();
    expect(r.metrics.accelError).toBeLessThan(r.kinematicMetrics!.accelError);
  }, 180_000);
});
