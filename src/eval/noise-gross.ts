import { z } from 'zod';
import { LANDMARK_INDEX, LANDMARK_MIRROR, type LandmarkName } from '../formats/landmarks.ts';
import type { Rng } from '../random.ts';

/**
 * A detector's gross failures, measured against the truth and replayed by synth: left and right
 * swapped (arms or legs, in the image, the 3D landmarks or both) and a limb placed elsewhere (its
 * points far off together). They are rare and long, so they are events with a rate and a duration,
 * not a wider Gaussian; each replayed event is one that was measured (its duration, its offsets).
 */

/** The distal points of each limb (the shoulder and hip stay with the trunk). */
export const GROSS_LIMBS: Record<'left_arm' | 'right_arm' | 'left_leg' | 'right_leg', readonly number[]> = {
  left_arm: idx(['left_elbow', 'left_wrist', 'left_pinky', 'left_index', 'left_thumb']),
  right_arm: idx(['right_elbow', 'right_wrist', 'right_pinky', 'right_index', 'right_thumb']),
  left_leg: idx(['left_knee', 'left_ankle', 'left_heel', 'left_foot_index']),
  right_leg: idx(['right_knee', 'right_ankle', 'right_heel', 'right_foot_index']),
};
type Limb = keyof typeof GROSS_LIMBS;
const PAIRS = { arms: ['left_arm', 'right_arm'], legs: ['left_leg', 'right_leg'] } as const satisfies Record<string, readonly [Limb, Limb]>;
const KIND: Record<Limb, 'arm' | 'leg'> = { left_arm: 'arm', right_arm: 'arm', left_leg: 'leg', right_leg: 'leg' };

function idx(names: LandmarkName[]): number[] {
  return names.map((n) => LANDMARK_INDEX[n]);
}

export const GROSS_DEFAULTS = {
  /** A limb is off when the median of its points' largest de-biased error exceeds this many spreads (2D or 3D). */
  spreads: 5,
  /** A pair is swapped when its mirrored labelling lies nearer the truth than this share of its labelling's distance. */
  swapShare: 0.6,
  /** Runs of a limb being off that are this close (s) are one event (a failure flickers about the threshold). */
  gapS: 0.05,
};

const swapEvent = z.object({ durationS: z.number().positive(), in2d: z.number().min(0).max(1), in3d: z.number().min(0).max(1) });
const offsetEvent = z.object({
  durationS: z.number().positive(),
  /**
   * Per frame of the event (at the model's rate), per point of the limb (GROSS_LIMBS order): the de-biased error as
   * measured, torso lengths / metres (camera axes); replayed in place of the ordinary noise. An unseen frame holds the event's mean.
   */
  offset2d: z.array(z.array(z.tuple([z.number(), z.number()]))), offset3d: z.array(z.array(z.tuple([z.number(), z.number(), z.number()]))),
});
const eventClass = <T extends z.ZodTypeAny>(event: T) => z.object({ ratePerS: z.number().nonnegative(), events: z.array(event) });
export const grossSchema = z.object({
  spreads: z.number().positive(),
  swaps: z.object({ arms: eventClass(swapEvent), legs: eventClass(swapEvent) }),
  misplaced: z.object({ arm: eventClass(offsetEvent), leg: eventClass(offsetEvent) }),
});
export type GrossModel = z.infer<typeof grossSchema>;
type OffsetEvent = z.infer<typeof offsetEvent>;

/** One sequence's errors (per landmark, per frame; NaN where missing) and the truth in the same units. */
export interface ErrorSequence {
  e2d: number[][][]; e3d: number[][][];
  t2d: number[][][]; t3d: number[][][];
}
interface Marginals { bias2d: readonly number[][]; sigma2d: readonly number[][]; bias3d: readonly number[][]; sigma3d: readonly number[][] }

/** Per frame, which points are inside a gross event (so the correlated part is fitted without them). */
export type GrossMask = boolean[][];

function offBy(e: number[], bias: readonly number[], sigma: readonly number[]): number {
  return Number.isNaN(e[0]!) ? NaN : Math.max(...e.map((x, k) => Math.abs(x - bias[k]!) / sigma[k]!));
}

function medianOf(xs: number[]): number {
  const v = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return v.length ? v[v.length >> 1]! : NaN;
}

/** Summed distance of a pair's points from the truth, as labelled and mirrored. */
function pairDistances(e: number[][][], t: number[][][], points: readonly number[], f: number): [number, number] {
  let labelled = 0;
  let mirrored = 0;
  for (const i of points) {
    const ei = e[i]![f]!;
    const m = LANDMARK_MIRROR[i]!;
    if (Number.isNaN(ei[0]!) || Number.isNaN(t[i]![f]![0]!) || Number.isNaN(t[m]![f]![0]!)) continue;
    labelled += Math.hypot(...ei);
    mirrored += Math.hypot(...ei.map((x, k) => x + t[i]![f]![k]! - t[m]![f]![k]!));
  }
  return [labelled, mirrored];
}

/** Runs of true frames, [start, end), those at most `gap` frames apart merged. */
function runs(flags: boolean[], gap = 0): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = -1;
  flags.forEach((on, f) => {
    if (on && start < 0) start = f;
    if (!on && start >= 0) { out.push([start, f]); start = -1; }
  });
  if (start >= 0) out.push([start, flags.length]);
  return out.reduce<Array<[number, number]>>((merged, r) => {
    const last = merged[merged.length - 1];
    if (last && r[0] - last[1] <= gap) last[1] = r[1]; else merged.push([...r]);
    return merged;
  }, []);
}

/** Finds the gross events of every sequence: their rates, durations and shapes, and the mask of the points they cover. */
export function measureGross(seqs: readonly ErrorSequence[], m: Marginals, fps: number, options: Partial<typeof GROSS_DEFAULTS> = {}): { model: GrossModel; masks: GrossMask[] } {
  const o = { ...GROSS_DEFAULTS, ...options };
  const swaps = { arms: { events: [] as z.infer<typeof swapEvent>[], seconds: 0 }, legs: { events: [] as z.infer<typeof swapEvent>[], seconds: 0 } };
  const misplaced = { arm: { events: [] as OffsetEvent[], seconds: 0 }, leg: { events: [] as OffsetEvent[], seconds: 0 } };
  const masks = seqs.map((s) => s.e3d.map((series) => series.map(() => false)));
  seqs.forEach((s, q) => {
    const frames = s.e3d[0]!.length;
    const seen = (i: number, f: number) => !Number.isNaN(s.e3d[i]![f]![0]!) || !Number.isNaN(s.e2d[i]![f]![0]!);
    for (const [group, [a, b]] of Object.entries(PAIRS) as Array<[keyof typeof PAIRS, readonly [Limb, Limb]]>) {
      const points = [...GROSS_LIMBS[a], ...GROSS_LIMBS[b]];
      const swap2 = Array.from({ length: frames }, (_, f) => { const [l, r] = pairDistances(s.e2d, s.t2d, points, f); return r < o.swapShare * l; });
      const swap3 = Array.from({ length: frames }, (_, f) => { const [l, r] = pairDistances(s.e3d, s.t3d, points, f); return r < o.swapShare * l; });
      const swapped = swap2.map((v, f) => v || swap3[f]!);
      const sightings = Array.from({ length: frames }, (_, f) => points.some((i) => seen(i, f)));
      swaps[group].seconds += sightings.filter((v, f) => v && !swapped[f]).length / fps;
      for (const [start, end] of runs(swapped, Math.round(o.gapS * fps))) {
        const n = end - start;
        swaps[group].events.push({ durationS: n / fps, in2d: swap2.slice(start, end).filter(Boolean).length / n, in3d: swap3.slice(start, end).filter(Boolean).length / n });
        for (let f = start; f < end; f++) for (const i of points) masks[q]![i]![f] = true;
      }
      for (const limb of [a, b]) {
        const pts = GROSS_LIMBS[limb];
        const off = Array.from({ length: frames }, (_, f) => {
          if (swapped[f]) return false;
          const z2 = medianOf(pts.map((i) => offBy(s.e2d[i]![f]!, m.bias2d[i]!, m.sigma2d[i]!)));
          const z3 = medianOf(pts.map((i) => offBy(s.e3d[i]![f]!, m.bias3d[i]!, m.sigma3d[i]!)));
          return z2 > o.spreads || z3 > o.spreads;
        });
        const cls = misplaced[KIND[limb]];
        cls.seconds += sightings.filter((v, f) => v && !swapped[f] && !off[f]).length / fps;
        for (const [start, end] of runs(off, Math.round(o.gapS * fps))) {
          const track = (e: number[][][], bias: readonly number[][], i: number) => {
            const rows = e[i]!.slice(start, end).map((x) => x.map((v, k) => v - bias[i]![k]!));
            const seen = rows.filter((r) => !Number.isNaN(r[0]!));
            const mean = rows[0]!.map((_, k) => (seen.length ? seen.reduce((a, r) => a + r[k]!, 0) / seen.length : 0));
            return rows.map((r) => (Number.isNaN(r[0]!) ? mean : r).map(round));
          };
          const perPoint2 = pts.map((i) => track(s.e2d, m.bias2d, i));
          const perPoint3 = pts.map((i) => track(s.e3d, m.bias3d, i));
          cls.events.push({
            durationS: (end - start) / fps,
            offset2d: perPoint2[0]!.map((_, t) => perPoint2.map((r) => r[t] as [number, number])),
            offset3d: perPoint3[0]!.map((_, t) => perPoint3.map((r) => r[t] as [number, number, number])),
          });
          for (let f = start; f < end; f++) for (const i of pts) masks[q]![i]![f] = true;
        }
      }
    }
  });
  const rate = <E>(c: { events: E[]; seconds: number }) => ({ ratePerS: round(c.seconds > 0 ? c.events.length / c.seconds : 0), events: c.events });
  return {
    model: { spreads: o.spreads, swaps: { arms: rate(swaps.arms), legs: rate(swaps.legs) }, misplaced: { arm: rate(misplaced.arm), leg: rate(misplaced.leg) } },
    masks,
  };
}

function round(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

interface Frame { px: Array<[number, number] | null>; world: number[][]; torso: number }
interface Active { frames: number; age: number; apply: (noisy: Frame, clean: Frame, age: number) => void }

/**
 * Replays measured gross events on synthetic detections, frame by frame: each class starts an
 * event at its measured rate (per second, so any frame rate), drawn from the measured ones.
 */
export class GrossProcess {
  private readonly active = new Map<string, Active>();

  /** `modelFps`: the rate the events were measured at; `bias`: the model's per-landmark biases (the events are de-biased). */
  constructor(private readonly model: GrossModel, private readonly modelFps: number, private readonly fps: number, private readonly bias: { bias2d: readonly number[][]; bias3d: readonly number[][] }, private readonly rng: Rng) {}

  /** Applies this frame's events to `noisy` in place (pixels; hip-centred metres at the truth's scale); `clean` is the same frame without error. */
  step(noisy: Frame, clean: Frame): void {
    for (const [group, [a, b]] of Object.entries(PAIRS)) {
      this.run(`swap:${group}`, this.model.swaps[group as keyof typeof PAIRS], (e) => this.swap([...GROSS_LIMBS[a], ...GROSS_LIMBS[b]], e));
    }
    for (const limb of Object.keys(GROSS_LIMBS) as Limb[]) {
      this.run(`off:${limb}`, this.model.misplaced[KIND[limb]], (e) => this.offset(GROSS_LIMBS[limb], e));
    }
    for (const [key, a] of this.active) {
      a.apply(noisy, clean, a.age++);
      if (a.age >= a.frames) this.active.delete(key);
    }
  }

  private run<E extends { durationS: number }>(key: string, cls: { ratePerS: number; events: E[] }, make: (e: E) => Active['apply']): void {
    if (this.active.has(key) || cls.events.length === 0) return;
    if (this.rng.next() >= 1 - Math.exp(-cls.ratePerS / this.fps)) return;
    const e = cls.events[Math.min(cls.events.length - 1, Math.floor(this.rng.next() * cls.events.length))]!;
    this.active.set(key, { frames: Math.max(1, Math.round(e.durationS * this.fps)), age: 0, apply: make(e) });
  }

  private swap(points: readonly number[], e: z.infer<typeof swapEvent>): Active['apply'] {
    const in2d = this.rng.next() < e.in2d;
    const in3d = this.rng.next() < e.in3d;
    const left = points.filter((i) => i < LANDMARK_MIRROR[i]!);
    return ({ px, world }) => {
      for (const i of left) {
        const m = LANDMARK_MIRROR[i]!;
        if (in2d && px.length) [px[i], px[m]] = [px[m]!, px[i]!];
        if (in3d && world.length) [world[i], world[m]] = [world[m]!, world[i]!];
      }
    };
  }

  private offset(points: readonly number[], e: OffsetEvent): Active['apply'] {
    return (noisy, clean, age) => {
      const t = Math.min(e.offset3d.length - 1, Math.round((age * this.modelFps) / this.fps));
      points.forEach((i, j) => {
        const q = clean.px[i];
        const b2 = this.bias.bias2d[i]!, b3 = this.bias.bias3d[i]!;
        if (q && noisy.px[i]) noisy.px[i] = [q[0] + clean.torso * (b2[0]! + e.offset2d[t]![j]![0]), q[1] + clean.torso * (b2[1]! + e.offset2d[t]![j]![1])];
        const c = clean.world[i];
        if (c && noisy.world[i]) noisy.world[i] = c.map((x, k) => x + b3[k]! + e.offset3d[t]![j]![k]!);
      });
    };
  }
}
