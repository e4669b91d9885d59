/**
 * Sampling search over the fully physical controller's inputs (SAMCON-like, Liu et al. 2010):
 * the motion is cut into short segments; for each one, random offsets of the leg and trunk PD
 * targets are drawn around the offsets the surviving candidates ended with, each sample is
 * simulated (controller.ts, in the worker pool) over its segment and a look-ahead past it, and
 * the `beam` best end states by tracking cost survive into the next segment. The committed
 * motion is the best survivor's ancestry. Everything is simulated from snapshots: no state is
 * ever replaced. A segment whose best candidate fell counts a fall; the search continues from
 * it (the result stays simulated) unless told to stop.
 */
import { Rng, mixSeed } from '../random.ts';
import type { HumanoidLayout } from './humanoid.ts';
import { referenceSlice, type ControlReference } from './control-reference.ts';
import type { ControlledResult, ControlledSpec, ControllerOptions } from './controller.ts';
import type { RolloutPool } from './pool.ts';

export interface SamplingOptions {
  /** Candidates simulated per segment (over all survivors). */
  samples: number;
  /** Survivors kept from segment to segment (1: greedy). */
  beam: number;
  /** Control frames per segment. */
  segmentFrames: number;
  /** Frames simulated past the segment's end to judge where it leads. */
  lookaheadFrames: number;
  /** Standard deviation of the sampled PD-target offsets, rad. */
  sigma: number;
  /** Share of a survivor's offsets its samples start from (the rest decays toward the plain reference). */
  carry: number;
  /** Joints whose angles get offsets: legs and trunk carry balance and contact. */
  joints: string[];
  /** Cost (m², as a landmark's squared error) of every frame a candidate spends fallen or does not reach. */
  fallPenalty: number;
  /**
   * Cost per committed frame of the sampled offsets' size (m² per rad², on their mean square) and
   * of their change from the survivor's (the same per rad² of change): small, smooth controls.
   */
  sizeWeight: number;
  changeWeight: number;
  /**
   * Cost of the landmarks' acceleration error against the reference's (m² per (m/frame²)², mean
   * over landmarks, every scored frame): what the acceleration metric charges, scored in the search.
   */
  accelWeight: number;
  /**
   * Root-mean-square landmark error (m) under which the survivors' unperturbed continuations are
   * kept without sampling the segment (0: always sample): the budget goes where the motion is hard.
   */
  easyError: number;
  seed: number;
}

export const SAMPLING_DEFAULTS: SamplingOptions = {
  samples: 64,
  beam: 4,
  segmentFrames: 3,
  lookaheadFrames: 9,
  sigma: 0.08,
  carry: 0.7,
  joints: ['spine', 'chest', 'left_thigh', 'left_shin', 'left_foot', 'right_thigh', 'right_shin', 'right_foot'],
  fallPenalty: 1,
  sizeWeight: 0,
  changeWeight: 0,
  accelWeight: 0,
  easyError: 0,
  seed: 0,
};

export interface SearchResult {
  /** Frames simulated (intervals from the start snapshot). */
  frames: number;
  /** frames × J × 7 body poses, frames × 33 × 3 landmarks, frames × 2 foot contacts. */
  bodies: Float64Array;
  landmarks: Float64Array;
  contacts: Uint8Array;
  /** frames × D PD-target offsets the committed motion used (at the start of each interval), and those after the last. */
  offsets: Float64Array;
  endOffsets: Float64Array;
  /** Index of the first committed frame that had fallen, or null; falls = segments that ended fallen. */
  fellAt: number | null;
  falls: number;
  /** State after the last committed frame. */
  endSnapshot: Uint8Array;
  /** Largest net torque the controller injected (0 up to rounding) and the residual force (always 0). */
  netTorque: number;
  residualForce: number;
  rollouts: number;
  ms: number;
}

/** One survivor: where it stands and how it got there. */
interface Node {
  parent: Node | null;
  /** Committed frames of this node's segment. */
  frames: number;
  bodies: Float64Array;
  landmarks: Float64Array;
  contacts: Uint8Array;
  /** Offsets (one per sampled angle) at the node's last frame, and per committed frame (frames × D). */
  knot: Float64Array;
  offsets: Float64Array;
  snapshot: Uint8Array;
  /** Summed committed cost. */
  cost: number;
  fellAt: number | null;
}

/** Packed angle indices of the sampled joints. */
export function sampledAngles(layout: HumanoidLayout, joints: string[]): number[] {
  const out: number[] = [];
  layout.skeleton.joints.forEach((j, i) => {
    if (!joints.includes(j.name)) return;
    for (let a = 0; a < j.axes.length; a++) out.push(layout.angleOffsets[i]! + a);
  });
  return out;
}

/** Squared landmark error of simulated frame i against reference frame `at` (mean over 33, m²). */
function frameCost(r: ControlledResult, i: number, refLandmarks: Float64Array, at: number): number {
  let e = 0;
  for (let c = 0; c < 99; c++) { const d = r.landmarks[i * 99 + c]! - refLandmarks[at * 99 + c]!; e += d * d; }
  return e / 33;
}

/** What a segment's candidates are scored against. */
interface SegmentScoring {
  o: SamplingOptions;
  refLandmarks: Float64Array;
  /** First reference frame of the segment (the survivors' state), committed and scored frames. */
  k0: number;
  L: number;
  LA: number;
}

/** Acceleration error² (mean over landmarks, (m/frame²)²) of simulated frame f, given the frames before it. */
function accelCost(sim: (f: number, c: number) => number, f: number, refLandmarks: Float64Array, at: number): number {
  let e = 0;
  for (let c = 0; c < 99; c++) {
    const a = sim(f, c) - 2 * sim(f - 1, c) + sim(f - 2, c);
    const b = refLandmarks[at * 99 + c]! - 2 * refLandmarks[(at - 1) * 99 + c]! + refLandmarks[(at - 2) * 99 + c]!;
    e += (a - b) * (a - b);
  }
  return e / 33;
}

/**
 * A candidate's cost: landmark error over its committed and look-ahead frames (fallen or missing
 * frames at the penalty), its acceleration error, and the size and change of its offsets; and the
 * committed frames' share, which the survivor carries on.
 */
function scoreCandidate(sc: SegmentScoring, r: ControlledResult, parent: Node, knot: Float64Array): { cost: number; committed: number } {
  const { o, refLandmarks, k0, L, LA } = sc;
  // Simulated landmarks with the survivor's last two frames before frame 0.
  const pl = parent.landmarks, pf = parent.frames;
  const grand = parent.parent;
  const sim = (f: number, c: number): number => {
    if (f >= 0) return r.landmarks[f * 99 + c]!;
    if (pf + f >= 0) return pl[(pf + f) * 99 + c]!;
    return grand && grand.frames + pf + f >= 0 ? grand.landmarks[(grand.frames + pf + f) * 99 + c]! : NaN;
  };
  let cost = 0, committed = 0;
  for (let f = 0; f < LA; f++) {
    const alive = f < r.frames && (r.fellAt === null || f < r.fellAt);
    let e = f < r.frames ? frameCost(r, f, refLandmarks, k0 + f + 1) : 0;
    // The first frames' history: the survivor's frames, or none at the clip's start.
    if (o.accelWeight > 0 && f < r.frames && k0 + f + 1 >= 2 && !Number.isNaN(sim(f - 2, 0))) e += o.accelWeight * accelCost(sim, f, refLandmarks, k0 + f + 1);
    if (f < L && f < r.frames) committed += e;
    cost += alive ? e : o.fallPenalty;
  }
  if (o.sizeWeight > 0 || o.changeWeight > 0) {
    let size = 0, change = 0;
    for (let i = 0; i < knot.length; i++) { size += knot[i]! * knot[i]!; change += (knot[i]! - parent.knot[i]!) ** 2; }
    const controls = (L * (o.sizeWeight * size + o.changeWeight * change)) / Math.max(1, knot.length);
    cost += controls;
    committed += controls;
  }
  return { cost, committed };
}

/**
 * Runs the search over `intervals` frames of `reference` (frame 0 = the snapshot's state; the
 * look-ahead may use the frames after them), scoring against `refLandmarks` (reference.frames ×
 * 99). The pool runs the candidates.
 */
export async function searchControls(
  pool: RolloutPool, layout: HumanoidLayout, snapshot: Uint8Array, reference: ControlReference, refLandmarks: Float64Array,
  intervals: number, stepsPerControl: number, controller: ControllerOptions, options: Partial<SamplingOptions> = {},
  stopOnFall = false,
): Promise<SearchResult> {
  const o = { ...SAMPLING_DEFAULTS, ...options };
  const started = performance.now();
  const D = reference.angles.length / reference.frames;
  const idx = sampledAngles(layout, o.joints);
  const J = layout.bodies.length;
  const K = Math.min(intervals, reference.frames - 1);
  let beam: Node[] = [{
    parent: null, frames: 0, bodies: new Float64Array(0), landmarks: new Float64Array(0), contacts: new Uint8Array(0),
    knot: new Float64Array(idx.length), offsets: new Float64Array(0), snapshot, cost: 0, fellAt: null,
  }];
  let rollouts = 0, falls = 0, netTorque = 0;
  for (let k0 = 0, seg = 0; k0 < K; k0 += o.segmentFrames, seg++) {
    const L = Math.min(o.segmentFrames, K - k0);
    // The look-ahead may run past the committed frames, as far as the reference goes.
    const LA = Math.min(L + o.lookaheadFrames, reference.frames - 1 - k0);
    const slice = referenceSlice(reference, k0, LA + 1);
    const specs: ControlledSpec[] = [];
    const drawn: Array<{ parent: Node; knot: Float64Array; offsets: Float64Array }> = [];
    const per = Math.max(1, Math.floor(o.samples / beam.length));
    beam.forEach((parent, b) => {
      const rng = new Rng(mixSeed(o.seed, seg, b));
      for (let s = 0; s < per; s++) {
        // Sample 0 continues the survivor's offsets unchanged in direction (only decayed).
        const knot = Float64Array.from(parent.knot, (v) => o.carry * v + (s === 0 ? 0 : o.sigma * rng.normal()));
        const offsets = new Float64Array((LA + 1) * D);
        for (let f = 0; f <= LA; f++) {
          const w = Math.min(1, f / L);
          idx.forEach((a, i) => { offsets[f * D + a] = (1 - w) * parent.knot[i]! + w * knot[i]!; });
        }
        drawn.push({ parent, knot, offsets });
        specs.push({
          kind: 'controlled', reference: slice, offsets, intervals: LA, stepsPerControl, controller,
          stopOnFall: true, endSnapshot: true, snapshotAfter: L, snapshot: parent.snapshot,
        });
      }
    });
    const sc: SegmentScoring = { o, refLandmarks, k0, L, LA };
    const score = (r: ControlledResult, i: number) => {
      const { cost, committed } = scoreCandidate(sc, r, drawn[i]!.parent, drawn[i]!.knot);
      return { i, r, total: drawn[i]!.parent.cost + cost, committed };
    };
    // The survivors' unperturbed continuations first: when they track well enough, the segment is not sampled.
    const plain = drawn.flatMap((d, i) => (i % per === 0 ? [i] : []));
    let results: Array<ControlledResult | null> = new Array(drawn.length).fill(null);
    if (o.easyError > 0) {
      const first = (await pool.runBatch(layout, snapshot, plain.map((i) => specs[i]!))) as ControlledResult[];
      plain.forEach((i, n) => { results[i] = first[n]!; });
      rollouts += first.length;
      const easy = first.some((r, n) => r.fellAt === null && r.frames >= LA
        && scoreCandidate({ ...sc, LA: L }, r, drawn[plain[n]!]!.parent, drawn[plain[n]!]!.knot).committed <= L * o.easyError ** 2);
      if (!easy) {
        const rest = drawn.map((_, i) => i).filter((i) => i % per !== 0);
        const more = (await pool.runBatch(layout, snapshot, rest.map((i) => specs[i]!))) as ControlledResult[];
        rest.forEach((i, n) => { results[i] = more[n]!; });
        rollouts += more.length;
      }
    } else {
      results = (await pool.runBatch(layout, snapshot, specs)) as ControlledResult[];
      rollouts += results.length;
    }
    const scored = results.flatMap((r, i) => (r ? [score(r, i)] : [])).filter((s) => s.r.frames >= L && s.r.endSnapshot);
    if (scored.length === 0) throw new Error(`sampling search: every candidate of segment ${seg} blew up (frame ${k0})`);
    scored.sort((a, b) => a.total - b.total || a.i - b.i);
    beam = scored.slice(0, o.beam).map(({ i, r, committed }) => {
      const d = drawn[i]!;
      netTorque = Math.max(netTorque, r.netTorque);
      const fell = r.fellAt !== null && r.fellAt < L ? k0 + r.fellAt : null;
      return {
        parent: d.parent, frames: L, bodies: r.bodies.slice(0, L * J * 7), landmarks: r.landmarks.slice(0, L * 99),
        contacts: r.contacts.slice(0, L * 2), knot: d.knot, offsets: d.offsets.slice(0, L * D), snapshot: r.endSnapshot!,
        cost: d.parent.cost + committed, fellAt: d.parent.fellAt ?? fell,
      };
    });
    const best = beam[0]!;
    if (best.fellAt !== null && best.fellAt >= k0) {
      falls++;
      if (stopOnFall) break;
    }
  }
  const endOffsets = new Float64Array(D);
  idx.forEach((a, i) => { endOffsets[a] = beam[0]!.knot[i]!; });
  return assemble(beam[0]!, D, J, { falls, netTorque, rollouts, endOffsets, ms: performance.now() - started });
}

/** The committed motion of a survivor: its ancestry's segments in order. */
function assemble(last: Node, D: number, J: number, stats: Pick<SearchResult, 'falls' | 'netTorque' | 'rollouts' | 'endOffsets' | 'ms'>): SearchResult {
  const chain: Node[] = [];
  for (let n: Node | null = last; n && n.parent; n = n.parent) chain.unshift(n);
  const frames = chain.reduce((s, n) => s + n.frames, 0);
  const out: SearchResult = {
    frames, bodies: new Float64Array(frames * J * 7), landmarks: new Float64Array(frames * 99), contacts: new Uint8Array(frames * 2),
    offsets: new Float64Array(frames * D), fellAt: last.fellAt, endSnapshot: last.snapshot, residualForce: 0, ...stats,
  };
  let f = 0;
  for (const n of chain) {
    out.bodies.set(n.bodies, f * J * 7);
    out.landmarks.set(n.landmarks, f * 99);
    out.contacts.set(n.contacts, f * 2);
    out.offsets.set(n.offsets, f * D);
    f += n.frames;
  }
  return out;
}
