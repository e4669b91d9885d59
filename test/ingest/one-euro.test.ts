import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/random.ts';
import { OneEuroFilter, PoseFilter } from '../../src/ingest/one-euro.ts';

describe('One-Euro filter', () => {
  it('passes a constant through and smooths jitter around it', () => {
    const rng = new Rng(3);
    const f = new OneEuroFilter({ minCutoff: 1, beta: 0 });
    let rawErr = 0, filtErr = 0;
    for (let k = 0; k < 300; k++) {
      const x = 5 + rng.normal() * 0.5;
      const y = f.apply([x], k / 30)[0]!;
      if (k > 30) { rawErr += (x - 5) ** 2; filtErr += (y - 5) ** 2; }
    }
    expect(filtErr).toBeLessThan(rawErr / 4);
  });

  it('follows fast motion with less lag when beta is larger', () => {
    const lag = (beta: number) => {
      const f = new OneEuroFilter({ minCutoff: 0.5, beta });
      let y = 0;
      for (let k = 0; k <= 10; k++) y = f.apply([k * 10], k / 30)[0]!;
      return 100 - y;
    };
    expect(lag(1)).toBeLessThan(lag(0) / 3);
  });

  it('uses explicit timestamps: a longer gap lets the value move further', () => {
    const a = new OneEuroFilter({ beta: 0 }), b = new OneEuroFilter({ beta: 0 });
    a.apply([0], 0); b.apply([0], 0);
    expect(b.apply([1], 1)[0]!).toBeGreaterThan(a.apply([1], 0.01)[0]!);
  });

  it('measures the speed between raw inputs, as Casiez et al. and MediaPipe do', () => {
    // MediaPipe's formulation, written out independently: alpha = 1 / (1 + rate / (2π cutoff)).
    const alpha = (rate: number, cutoff: number) => 1 / (1 + rate / (2 * Math.PI * cutoff));
    const reference = (xs: number[], rate: number, minCutoff: number, beta: number, dCutoff: number, scale: number) => {
      let x = xs[0]!, raw = xs[0]!, dx = 0;
      const out = [x];
      for (const v of xs.slice(1)) {
        const a = alpha(rate, dCutoff);
        dx = a * ((v - raw) * scale * rate) + (1 - a) * dx;
        const b = alpha(rate, minCutoff + beta * Math.abs(dx));
        x = b * v + (1 - b) * x;
        raw = v;
        out.push(x);
      }
      return out;
    };
    // A jump that is then held: the raw input stops moving, so the cutoff falls back and
    // the output creeps (measuring against the filtered value would keep it rushing).
    const xs = [0, 0, 1, 1, 1, 1, 3, 2.5, 2.5];
    const f = new OneEuroFilter({ minCutoff: 0.1, beta: 40, derivativeCutoff: 1 });
    const got = xs.map((v, k) => f.apply([v], k / 30, 0.02)[0]!);
    const want = reference(xs, 30, 0.1, 40, 1, 0.02);
    for (let k = 0; k < xs.length; k++) expect(got[k]).toBeCloseTo(want[k]!, 12);
  });

  it('restarts after reset and filters a pose without touching scores', () => {
    const p = new PoseFilter();
    const kp = (x: number): Array<[number, number, number]> => Array.from({ length: 33 }, (_, i) => [x + i, 100 + i, 0.7]);
    p.apply(kp(0), null, 0);
    const moved = p.apply(kp(10), null, 0.1);
    expect(moved.keypoints[0]![0]).toBeGreaterThan(0);
    expect(moved.keypoints[0]![0]).toBeLessThan(10);
    expect(moved.keypoints[5]![2]).toBe(0.7);
    p.reset();
    expect(p.apply(kp(50), null, 0.2).keypoints[0]![0]).toBe(50);
  });
});
