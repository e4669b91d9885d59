import { describe, expect, it } from 'vitest';
import { FRAME_GOVERNOR_DEFAULTS, FrameGovernor } from '../../viewer/src/frame-governor.ts';

/** Feeds n frames of the same time and advance; returns the scales the governor switched to. */
function feed(g: FrameGovernor, n: number, ms: number, advanced = 1): number[] {
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const s = g.record(ms, advanced);
    if (s !== null) out.push(s);
  }
  return out;
}

describe('frame governor (playback resolution from measured frame times)', () => {
  const window = FRAME_GOVERNOR_DEFAULTS.window;
  const step = FRAME_GOVERNOR_DEFAULTS.step;

  it('lowers the scale one step per window while clip frames are skipped, down to minScale', () => {
    const g = new FrameGovernor({ targetFps: 30, startScale: 0.8 });
    expect(feed(g, window - 1, 40, 2)).toEqual([]);
    expect(g.record(40, 2)).toBeCloseTo(0.8 / step, 12);
    // Keeps going down while frames are still skipped, never below minScale.
    feed(g, 20 * window, 40, 2);
    expect(g.scale).toBe(FRAME_GOVERNOR_DEFAULTS.minScale);
  });

  it('lowers the scale for frames far over budget even without skips (the clock may be slow too)', () => {
    const g = new FrameGovernor({ targetFps: 30, startScale: 1 });
    expect(feed(g, window, 60, 1)).toEqual([1 / step]);
  });

  it('raises the scale when frames fit well inside the budget, up to maxScale', () => {
    const g = new FrameGovernor({ targetFps: 30, startScale: 0.5 });
    expect(feed(g, window, 10, 1)).toEqual([0.5 * step]);
    feed(g, 20 * window, 10, 1);
    expect(g.scale).toBe(1);
  });

  it('holds the scale inside the hysteresis band, and at exactly one frame per clip frame on a 60 Hz clock', () => {
    const g = new FrameGovernor({ targetFps: 30, startScale: 0.6 });
    // 25 ms: neither fast (< 0.55 × 33.3 ms) nor slow; 33.3 ms with no skip: on time, rounded up by vsync.
    expect(feed(g, 5 * window, 25, 1)).toEqual([]);
    expect(feed(g, 5 * window, 33.4, 1)).toEqual([]);
    expect(g.scale).toBe(0.6);
    expect(g.changes).toBe(0);
  });

  it('tolerates a rare skip but not one in four frames', () => {
    const g = new FrameGovernor({ targetFps: 30, startScale: 0.6 });
    const mixed = (skipEvery: number) => {
      const out: number[] = [];
      for (let k = 0; k < window; k++) {
        const s = g.record(30, k % skipEvery === 0 ? 2 : 1);
        if (s !== null) out.push(s);
      }
      return out;
    };
    expect(mixed(window)).toEqual([]);
    expect(mixed(4)).toHaveLength(1);
    expect(g.scale).toBeLessThan(0.6);
  });

  it('judges against the target rate: 2× speed halves the budget; setTarget and reset start a fresh window', () => {
    const g = new FrameGovernor({ targetFps: 30, startScale: 0.6 });
    feed(g, window - 1, 25, 1);
    g.setTarget(60);
    expect(g.budgetMs).toBeCloseTo(1000 / 60, 12);
    // The frames measured at the old target are forgotten: window − 1 more decide nothing yet;
    // the window's last one does, and 30 ms per frame is slow at a 16.7 ms budget (fine at 33.3).
    expect(feed(g, window - 1, 30, 1)).toEqual([]);
    expect(feed(g, 1, 30, 1)).toEqual([0.6 / step]);
    g.reset(0.8);
    expect(g.scale).toBe(0.8);
    g.reset(5);
    expect(g.scale).toBe(1);
  });

  it('ignores unusable samples and rejects inconsistent options', () => {
    const g = new FrameGovernor();
    expect(g.record(Number.NaN)).toBeNull();
    expect(g.record(-1)).toBeNull();
    expect(feed(g, window - 1, 10)).toEqual([]);
    expect(() => new FrameGovernor({ minScale: 0.9, maxScale: 0.5 })).toThrow(/inconsistent/);
    expect(() => new FrameGovernor({ step: 1 })).toThrow(/inconsistent/);
    expect(() => new FrameGovernor({ fastShare: 2, slowShare: 1 })).toThrow(/inconsistent/);
  });
});
