import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../src/reconstruct/demo.ts';

const dir = mkdtempSync(join(tmpdir(), 'om-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('demo', () => {
  it('runs a reduced demo end to end: synth, reconstruct fully physically, exports, metrics', async () => {
    // The demo's own physics defaults (the search, then the guarded optimizer iterations) on its first 0.4 s.
    const r = await runDemo({ out: dir, seconds: 0.4, kinematicIterations: 3 });
    for (const f of ['keypoints.json', 'truth.json', 'kinematic.json', 'motion.json', 'motion.bvh', 'motion.glb', 'motion.csv', 'report.json', 'metrics.json']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    expect(r.metrics.frames).toBe(13);
    expect(Number.isFinite(r.metrics.mpjpe)).toBe(true);
    // The simulated body lands in the right neighbourhood of the truth.
    expect(r.metrics.mpjpe).toBeLessThan(250);
    expect(r.reconstruction.stages.physics!.skipped).toBe(false);
    expect(r.kinematicMetrics).not.toBeNull();
    // Fully physical: no external force, no restart, the ground carries the body; the metrics keys are there.
    const a = r.reconstruction.physics!;
    expect(a.controller).toBe('physical');
    expect(a.residual.maxPctBodyWeight).toBe(0);
    expect(a.restarts).toBe(0);
    expect(a.simulatedFrames).toBe(12);
    expect(a.contactSupportPct).toBeGreaterThan(80);
    expect(Number.isFinite(r.metrics.floatMm)).toBe(true);
    expect(r.metrics.residual?.meanPctBodyWeight).toBe(0);
  }, 180_000);
});
