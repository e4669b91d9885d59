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
  /**
   * Misplaced-limb runs of any limb this close (s) are one episode, replayed whole (which limbs, when, how far off):
   * on the capture a limb's failure comes back after 0.1 s (median gap) and in 45 % of its frames another limb fails
   * too, which independent per-limb events do not reproduce (0.23 s, 35 %); 0.1–0.3 s all do (docs/notebook/robust-fit.md).
   * 0: no episodes (per-limb events).
   */
  episodeGapS: 0.2,
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
const limbName = z.enum(['left_arm', 'right_arm', 'left_leg', 'right_leg']);
/** Misplaced-limb runs close in time, of one limb or several, as measured: each run starts `startS` into the episode. */
const episodeEvent = z.object({ durationS: z.number().positive(), runs: z.array(offsetEvent.extend({ limb: limbName, startS: z.number().nonnegative() })) });
const eventClass = <T extends z.ZodTypeAny>(event: T) => z.object({ ratePerS: z.number().nonnegative(), events: z.array(event) });
export const grossSchema = z.object({
  spreads: z.number().positive(),
  swaps: z.object({ arms: eventClass(swapEvent), legs: eventClass(swapEvent) }),
  misplaced: z.object({ arm: eventClass(offsetEvent), leg: eventClass(offsetEvent) }),
  /** The misplaced limbs' runs grouped into episodes (GROSS_DEFAULTS.episodeGapS); when present synth replays these instead of `misplaced`. */
  episodes: eventClass(episodeEvent).extend({ gapS: z.number().positive() }).optional(),
});
export type GrossModel = z.infer<typeof grossSchema>;
type OffsetEvent = z.infer<typeof offsetEvent>;
type EpisodeEvent = z.infer<typeof episodeEvent>;
/** One misplaced run of one limb in one sequence, frames [start, end). */
export interface LimbRun extends OffsetEvent { limb: Limb; start: number; end: number }

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
export function measureGross(seqs: readonly ErrorSequence[], m: Marginals, fps: number, options: Partial<typeof GROSS_DEFAULTS> = {}): { model: GrossModel; masks: GrossMask[]; limbRuns: LimbRun[][] } {
  const o = { ...GROSS_DEFAULTS, ...options };
  const limbRuns: LimbRun[][] = seqs.map(() => []);
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
          const event: OffsetEvent = {
            durationS: (end - start) / fps,
            offset2d: perPoint2[0]!.map((_, t) => perPoint2.map((r) => r[t] as [number, number])),
            offset3d: perPoint3[0]!.map((_, t) => perPoint3.map((r) => r[t] as [number, number, number])),
          };
          cls.events.push(event);
          limbRuns[q]!.push({ ...event, limb, start, end });
          for (let f = start; f < end; f++) for (const i of pts) masks[q]![i]![f] = true;
        }
      }
    }
  });
  const rate = <E>(c: { events: E[]; seconds: number }) => ({ ratePerS: round(c.seconds > 0 ? c.events.length / c.seconds : 0), events: c.events });
  const model: GrossModel = { spreads: o.spreads, swaps: { arms: rate(swaps.arms), legs: rate(swaps.legs) }, misplaced: { arm: rate(misplaced.arm), leg: rate(misplaced.leg) } };
  if (o.episodeGapS > 0) model.episodes = { gapS: o.episodeGapS, ...rate(episodesOf(seqs, limbRuns, fps, o.episodeGapS)) };
  return { model, masks, limbRuns };
}

/** Groups each sequence's misplaced runs into episodes (runs of any limb at most `gapS` apart); seconds: the sighted time outside them. */
function episodesOf(seqs: readonly ErrorSequence[], limbRuns: readonly LimbRun[][], fps: number, gapS: number): { events: EpisodeEvent[]; seconds: number } {
  const events: EpisodeEvent[] = [];
  let seconds = 0;
  const limbPoints = Object.values(GROSS_LIMBS).flat();
  seqs.forEach((s, q) => {
    const frames = s.e3d[0]!.length;
    const sighted = Array.from({ length: frames }, (_, f) => limbPoints.some((i) => !Number.isNaN(s.e3d[i]![f]![0]!) || !Number.isNaN(s.e2d[i]![f]![0]!)));
    const off = Array.from({ length: frames }, (_, f) => limbRuns[q]!.some((r) => r.start <= f && f < r.end));
    const episodes = runs(off, Math.round(gapS * fps));
    seconds += sighted.filter((v, f) => v && !episodes.some(([a, b]) => a <= f && f < b)).length / fps;
    for (const [start, end] of episodes) {
      const inside = limbRuns[q]!.filter((r) => r.start >= start && r.end <= end);
      events.push({ durationS: (end - start) / fps, runs: inside.map(({ limb, start: a, durationS, offset2d, offset3d }) => ({ limb, startS: (a - start) / fps, durationS, offset2d, offset3d })) });
    }
  });
  return { events, seconds };
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
  private readonly started = new Set<string>();

  /** `modelFps`: the rate the events were measured at; `bias`: the model's per-landmark biases (the events are de-biased). */
  constructor(private readonly model: GrossModel, private readonly modelFps: number, private readonly fps: number, private readonly bias: { bias2d: readonly number[][]; bias3d: readonly number[][] }, private readonly rng: Rng) {}

  /** Applies this frame's events to `noisy` in place (pixels; hip-centred metres at the truth's scale); `clean` is the same frame without error. */
  step(noisy: Frame, clean: Frame): void {
    for (const [group, [a, b]] of Object.entries(PAIRS)) {
      this.run(`swap:${group}`, this.model.swaps[group as keyof typeof PAIRS], (e) => this.swap([...GROSS_LIMBS[a], ...GROSS_LIMBS[b]], e));
    }
    const episodes = this.model.episodes;
    if (episodes && episodes.events.length) this.run('episode', episodes, (e) => this.episode(e));
    else for (const limb of Object.keys(GROSS_LIMBS) as Limb[]) {
      this.run(`off:${limb}`, this.model.misplaced[KIND[limb]], (e) => this.offset(GROSS_LIMBS[limb], e));
    }
    for (const [key, a] of this.active) {
      a.apply(noisy, clean, a.age++);
      if (a.age >= a.frames) this.active.delete(key);
    }
  }

  private run<E extends { durationS: number }>(key: string, cls: { ratePerS: number; events: E[] }, make: (e: E) => Active['apply']): void {
    if (this.active.has(key) || cls.events.length === 0) return;
    if (!this.started.has(key)) {
      this.started.add(key);
      if (this.startInside(key, cls, make)) return;
    }
    if (this.rng.next() >= 1 - Math.exp(-cls.ratePerS / this.fps)) return;
    const e = cls.events[Math.min(cls.events.length - 1, Math.floor(this.rng.next() * cls.events.length))]!;
    this.active.set(key, { frames: Math.max(1, Math.round(e.durationS * this.fps)), age: 0, apply: make(e) });
  }

  /**
   * A clip starts at a random moment of the detector's process, so possibly inside an event: with the share of time
   * events of this class cover (rate × mean duration, renewal), one drawn in proportion to its duration, at a uniform age.
   */
  private startInside<E extends { durationS: number }>(key: string, cls: { ratePerS: number; events: E[] }, make: (e: E) => Active['apply']): boolean {
    const total = cls.events.reduce((s, e) => s + e.durationS, 0);
    const covered = (cls.ratePerS * total) / cls.events.length;
    if (this.rng.next() >= covered / (1 + covered)) return false;
    let pick = this.rng.next() * total;
    const e = cls.events.find((x) => (pick -= x.durationS) < 0) ?? cls.events[cls.events.length - 1]!;
    const frames = Math.max(1, Math.round(e.durationS * this.fps));
    this.active.set(key, { frames, age: Math.min(frames - 1, Math.floor(this.rng.next() * frames)), apply: make(e) });
    return true;
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

  /** Each run of the episode replayed from its start on, for its own duration (the episode's clock at synth's rate). */
  private episode(e: EpisodeEvent): Active['apply'] {
    const runs = e.runs.map((r) => ({ from: Math.round(r.startS * this.fps), frames: Math.max(1, Math.round(r.durationS * this.fps)), apply: this.offset(GROSS_LIMBS[r.limb], r) }));
    return (noisy, clean, age) => {
      for (const r of runs) if (age >= r.from && age < r.from + r.frames) r.apply(noisy, clean, age - r.from);
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
