import { describe, expect, it } from 'vitest';
import { summary } from '../../src/cli/commands/reconstruct.ts';
import type { ReconstructReport } from '../../src/reconstruct/pipeline.ts';

const report = (physics: ReconstructReport['physics']): ReconstructReport => ({
  input: 'in.json', out: '/tmp/out', frames: 60, fps: 30, framesWithoutPerson: [],
  subject: { height: 1.7, proportions: {}, massKg: 72.5 }, camera: { pitchDeg: 5, height: 1.2 }, stages: {},
  residualForce: physics ? { meanN: physics.residual.meanN, meanNm: physics.residual.meanNm } : null, physics,
  blowUps: [], resets: [], blendedFrames: [], restartShifts: [], outputs: {}, secondsPerVideoSecond: {},
});

describe('reconstruct summary', () => {
  it('prints the controller (the puppet when used), the residual as % of body weight, contact support, restarts and falls', () => {
    const text = summary(report({
      massKg: 72.5, residual: { meanN: 541.6, meanNm: 98.3, meanPctBodyWeight: 76.2, maxPctBodyWeight: 110.2, framesAbove10Pct: 58 },
      contactSupportPct: 58.4, restarts: 2, falls: 3, simulatedFrames: 59, controller: 'puppet',
    }));
    expect(text).toContain('controller: puppet (a root PD force on the pelvis, not physical)');
    expect(text).toContain('76.2 % of body weight mean, 110.2 % max, 58 of 59 frames above 10 % (541.6 N, 98.3 N·m; body 72.5 kg)');
    expect(text).toContain('contact support 58 % of body weight over stance frames; restarts 2, falls 3\n');
    expect(text).not.toContain('residual root force');
  });

  it('says "fully physical" only with no residual and no restart', () => {
    const clean = { massKg: 70, residual: { meanN: 0, meanNm: 0, meanPctBodyWeight: 0, maxPctBodyWeight: 0, framesAbove10Pct: 0 }, contactSupportPct: 99.7, restarts: 0, falls: 0, simulatedFrames: 59 };
    expect(summary(report(clean))).toContain('restarts 0, falls 0 (fully physical)');
    expect(summary(report({ ...clean, restarts: 1 }))).not.toContain('fully physical');
    expect(summary(report(null))).not.toContain('contact support');
  });

  it('names the optimizer of a stage only when it ran iterations', () => {
    const r = report(null);
    r.stages = {
      kinematic: { skipped: false, ms: 1000, iterations: 200, loss: 4.8e-3, optimizer: 'lbfgs', windows: 20 },
      physics: { skipped: false, ms: 16000, iterations: 0, loss: 0.1666, optimizer: 'optimus (models/optimus-bench.json)', windows: 12 },
    };
    const text = summary(r);
    expect(text).toContain('  kinematic: lbfgs, 20 windows × 200 iterations, loss 4.800e-3, 1.0 s');
    expect(text).toContain('  physics: 12 windows, no optimizer iterations, loss 1.666e-1, 16.0 s');
    expect(text).not.toContain('optimus (');
  });
});
