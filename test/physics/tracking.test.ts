import { describe, expect, it } from 'vitest';
import { createSkeleton } from '../../src/body/index.ts';
import { standingMotion, squatMotion } from '../../src/body/procedural.ts';
import { trackMotion } from '../../src/physics/index.ts';

const skel = createSkeleton();

describe('tracking controller', () => {
  it('stands still for 3 s with pure PD and with residual root forces', async () => {
    const motion = standingMotion(skel, { seconds: 3, fps: 30 });
    for (const residual of [false, true]) {
      const r = await trackMotion(skel, motion, 30, { residual });
      expect(r.fell, `residual=${residual}`).toBe(false);
      expect(r.blowUp).toBeNull();
      expect(r.frames).toBe(r.expectedFrames);
      expect(r.mpjpe).toBeLessThan(20);
      if (!residual) expect(r.residualForce).toBe(0);
    }
  });

  it('tracks a squat with residual root forces within 40 mm, reporting the residuals', async () => {
    const r = await trackMotion(skel, squatMotion(skel, { seconds: 3, fps: 30, depth: 0.8 }), 30, { residual: true });
    expect(r.fell).toBe(false);
    expect(r.frames).toBe(90);
    expect(r.mpjpe).toBeLessThan(40);
    expect(r.residualForce).toBeGreaterThan(0);
    // The squat really moved: the reference hips went down by > 20 cm.
    const hipY = (k: number) => r.reference[k * 99 + 23 * 3 + 1]!;
    expect(hipY(0) - Math.min(...Array.from({ length: r.frames }, (_, k) => hipY(k)))).toBeGreaterThan(0.2);
  });
});
