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
import { stanceSlide2 } from './stance-slide.ts';
import { BODY_LANDMARKS, landmarkViewError2 } from './view-error.ts';

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
   * Weight (of a squared error) of the pelvis's error along the camera ray, where the reference
   * says where its camera is (view-error.ts); 1: plain 3D error.
   */
  depthWeight: number;
  /**
   * Weight of the pelvis's place (its view error, as one landmark's) against the pose about it:
   * the position metrics are root-aligned, the fall test and the balance layer keep the pelvis near.
   */
  rootWeight: number;
  /** Score only the 17 body landmarks the position metrics score (view-error.ts BODY_LANDMARKS), not all 33. */
  bodyLandmarks: boolean;
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
   * Cost (m² per m² of excess slide, stance-slide.ts) of a simulated foot moving where the
   * reference's foot stands planted, every scored frame: the landmark cost is relative to the
   * pelvis and does not see a planted foot re-stepped.
   */
  slideWeight: number;
  /**
   * Root-mean-square landmark error (m) under which the survivors' unperturbed continuations are
   * kept without sampling the segment (0: always sample): the budget goes where the motion is hard.
   */
  easyError: number;
  /** Rounds per segment: the samples are split between them; rounds after the first refit each survivor's draws to its `elite` best (cross-entropy method). */
  rounds: number;
  elite: number;
  /**
   * Refit rounds (of `samples` / `rounds` each) a segment gets beyond `rounds`, one at a time while
   * its best candidate so far tracks the reference worse than `hardError` RMS (m) over its
   * committed frames: more samples where the search's cost is high. 0: none.
   */
  hardRounds: number;
  hardError: number;
  /** Least spread of a refit's draws, as a share of `sigma`. */
  minSpread: number;
  /**
   * A last segment shorter than `segmentFrames` joins the one before (3 + 3 + 4 frames, not
   * 3 + 3 + 3 + 1): a one-frame segment ramps its offsets in one frame, a jolt.
   */
  tailMerge: boolean;
  /**
   * How a candidate's offsets move from its survivor's to its own over the segment: 'linear' (a
   * step in the PD targets' velocity at every segment boundary) or 'smooth' (smoothstep: the
   * targets' velocity continuous across boundaries).
   */
  ramp: 'linear' | 'smooth';
  /** The physics stage starts each window's search from the offsets the previous one ended with, not from none. */
  acrossWindows: boolean;
  /**
   * Share of the start offsets (`startOffsets`, a previous window's) the first segment's draws keep
   * instead of `carry`: 0 returns them to the plain reference, ramping there over the segment
   * rather than jumping at the window's seam.
   */
  seamCarry: number;
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
  depthWeight: 1,
  bodyLandmarks: false,
  rootWeight: 1,
  sizeWeight: 0,
  changeWeight: 0,
  accelWeight: 0,
  slideWeight: 0,
  easyError: 0,
  rounds: 1,
  elite: 4,
  hardRounds: 0,
  hardError: 0.05,
  minSpread: 0.25,
  tailMerge: false,
  ramp: 'linear',
  acrossWindows: false,
  seamCarry: 0.7,
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

/** Squared landmark error of simulated frame i against reference frame `at` (mean over 33, m²; the pelvis's depth weighted as `depthWeight`). */
function frameCost(r: ControlledResult, i: number, refLandmarks: Float64Array, at: number, camera: readonly number[] | undefined, o: SamplingOptions): number {
  return landmarkViewError2(r.landmarks, i * 99, refLandmarks, at * 99, camera, o.depthWeight, o.bodyLandmarks ? BODY_LANDMARKS : undefined, o.rootWeight);
}

/** What a segment's candidates are scored against. */
interface SegmentScoring {
  o: SamplingOptions;
  refLandmarks: Float64Array;
  camera: readonly number[] | undefined;
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
  const { o, refLandmarks, k0, L, LA, camera } = sc;
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
    let e = f < r.frames ? frameCost(r, f, refLandmarks, k0 + f + 1, camera, o) : 0;
    // The first frames' history: the survivor's frames, or none at the clip's start.
    if (o.accelWeight > 0 && f < r.frames && k0 + f + 1 >= 2 && !Number.isNaN(sim(f - 2, 0))) e += o.accelWeight * accelCost(sim, f, refLandmarks, k0 + f + 1);
    if (o.slideWeight > 0 && f < r.frames && !Number.isNaN(sim(f - 1, 0))) e += o.slideWeight * stanceSlide2((c) => sim(f - 1, c), (c) => sim(f, c), refLandmarks, k0 + f, k0 + f + 1);
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

/** What every candidate of a segment shares. */
interface CandidateSetup {
  o: SamplingOptions;
  idx: number[];
  D: number;
  L: number;
  LA: number;
  slice: ControlReference;
  stepsPerControl: number;
  controller: ControllerOptions;
}

/** One sampled candidate: its survivor, its offsets at the segment's end, and the rollout that tries them. */
interface Drawn {
  parent: Node;
  knot: Float64Array;
  offsets: Float64Array;
  spec: ControlledSpec;
}

/** A candidate whose offsets ramp from its survivor's to `knot` over the segment and hold through the look-ahead. */
function candidate(c: CandidateSetup, parent: Node, knot: Float64Array): Drawn {
  const offsets = new Float64Array((c.LA + 1) * c.D);
  for (let f = 0; f <= c.LA; f++) {
    const u = Math.min(1, f / c.L);
    const w = c.o.ramp === 'smooth' ? u * u * (3 - 2 * u) : u;
    c.idx.forEach((a, i) => { offsets[f * c.D + a] = (1 - w) * parent.knot[i]! + w * knot[i]!; });
  }
  const spec: ControlledSpec = {
    kind: 'controlled', reference: c.slice, offsets, intervals: c.LA, stepsPerControl: c.stepsPerControl, controller: c.controller,
    stopOnFall: true, endSnapshot: true, snapshotAfter: c.L, snapshot: parent.snapshot,
  };
  return { parent, knot, offsets, spec };
}

interface Scored {
  d: Drawn;
  r: ControlledResult;
  /** Cost of the survivor's ancestry plus this candidate's; the committed frames' share. */
  total: number;
  committed: number;
}

/** Simulates candidates in one batch and scores them. */
async function runScored(pool: RolloutPool, layout: HumanoidLayout, snapshot: Uint8Array, sc: SegmentScoring, drawn: Drawn[]): Promise<Scored[]> {
  if (drawn.length === 0) return [];
  const results = (await pool.runBatch(layout, snapshot, drawn.map((d) => d.spec))) as ControlledResult[];
  return results.map((r, i) => {
    const d = drawn[i]!;
    const { cost, committed } = scoreCandidate(sc, r, d.parent, d.knot);
    return { d, r, total: d.parent.cost + cost, committed };
  });
}

/** Refit rounds a segment may get beyond `rounds`: `hardRounds` while its best candidate so far tracks worse than `hardError` (RMS, m). */
function extraRounds(results: Scored[], L: number, o: SamplingOptions): number {
  if (o.hardRounds <= 0) return 0;
  const best = results.filter((c) => c.r.frames >= L && c.r.endSnapshot).sort((a, b) => a.total - b.total)[0];
  return !best || best.committed > L * o.hardError ** 2 ? o.hardRounds : 0;
}

/** `count` candidates drawn from the mean and spread (per angle) of a survivor's `elite` best candidates so far. */
function refit(c: CandidateSetup, parent: Node, tried: Scored[], count: number, rng: Rng): Drawn[] {
  const best = tried.filter((t) => t.r.endSnapshot).sort((a, b) => a.total - b.total).slice(0, Math.max(2, c.o.elite));
  if (best.length === 0) return [];
  const n = c.idx.length;
  const mean = new Float64Array(n), sd = new Float64Array(n);
  for (const t of best) for (let i = 0; i < n; i++) mean[i]! += t.d.knot[i]! / best.length;
  for (const t of best) for (let i = 0; i < n; i++) sd[i]! += (t.d.knot[i]! - mean[i]!) ** 2 / best.length;
  // A floor on the spread keeps the refit from collapsing onto one sample.
  const floor = c.o.sigma * c.o.minSpread;
  return Array.from({ length: count }, () => candidate(c, parent, Float64Array.from(mean, (m, i) => m + Math.max(Math.sqrt(sd[i]!), floor) * rng.normal())));
}

/**
 * Runs the search over `intervals` frames of `reference` (frame 0 = the snapshot's state; the
 * look-ahead may use the frames after them), scoring against `refLandmarks` (reference.frames ×
 * 99). The pool runs the candidates. `startOffsets` (D packed angles) are the offsets the controls
 * continue from (a previous search's `endOffsets`); none by default.
 */
export async function searchControls(
  pool: RolloutPool, layout: HumanoidLayout, snapshot: Uint8Array, reference: ControlReference, refLandmarks: Float64Array,
  intervals: number, stepsPerControl: number, controller: ControllerOptions, options: Partial<SamplingOptions> = {},
  stopOnFall = false, startOffsets?: Float64Array,
): Promise<SearchResult> {
  const o = { ...SAMPLING_DEFAULTS, ...options };
  const started = performance.now();
  const D = reference.angles.length / reference.frames;
  const idx = sampledAngles(layout, o.joints);
  const J = layout.bodies.length;
  const K = Math.min(intervals, reference.frames - 1);
  let beam: Node[] = [{
    parent: null, frames: 0, bodies: new Float64Array(0), landmarks: new Float64Array(0), contacts: new Uint8Array(0),
    knot: Float64Array.from(idx, (a) => startOffsets?.[a] ?? 0), offsets: new Float64Array(0), snapshot, cost: 0, fellAt: null,
  }];
  let rollouts = 0, falls = 0, netTorque = 0;
  for (let k0 = 0, seg = 0, L = 0; k0 < K; k0 += L, seg++) {
    L = o.tailMerge && K - k0 < 2 * o.segmentFrames ? K - k0 : Math.min(o.segmentFrames, K - k0);
    // The look-ahead may run past the committed frames, as far as the reference goes.
    const LA = Math.min(L + o.lookaheadFrames, reference.frames - 1 - k0);
    const slice = referenceSlice(reference, k0, LA + 1);
    const per = Math.max(1, Math.floor(o.samples / beam.length / o.rounds));
    const rngs = beam.map((_, b) => new Rng(mixSeed(o.seed, seg, b)));
    const sc: SegmentScoring = { o, refLandmarks, k0, L, LA, camera: reference.camera };
    const cand: CandidateSetup = { o, idx, D, L, LA, slice, stepsPerControl, controller };
    // Round 0 draws around each survivor's decayed offsets; sample 0 continues them unperturbed.
    const keep = seg === 0 && startOffsets ? o.seamCarry : o.carry;
    let drawn: Drawn[] = beam.flatMap((parent, b) => Array.from({ length: per }, (_, s) => candidate(cand, parent,
      Float64Array.from(parent.knot, (v) => keep * v + (s === 0 ? 0 : o.sigma * rngs[b]!.normal())))));
    // The survivors' unperturbed continuations first: when they track well enough, the segment is not sampled.
    const plain = drawn.filter((_, i) => i % per === 0);
    const first = o.easyError > 0 ? await runScored(pool, layout, snapshot, sc, plain) : [];
    rollouts += first.length;
    const easy = first.some((c) => c.r.fellAt === null && c.r.frames >= LA && c.committed <= L * o.easyError ** 2);
    let results = easy ? first : [...first, ...await runScored(pool, layout, snapshot, sc, o.easyError > 0 ? drawn.filter((_, i) => i % per !== 0) : drawn)];
    if (!easy) rollouts += results.length - first.length;
    // Later rounds (cross-entropy method): each survivor's next samples from the mean and spread of its best ones.
    // Segments still hard after them get up to `hardRounds` more: the budget goes where the motion is hardest.
    for (let round = 1; round < o.rounds + (easy ? 0 : extraRounds(results, L, o)) && !easy; round++) {
      drawn = beam.flatMap((parent, b) => refit(cand, parent, results.filter((c) => c.d.parent === parent), per, rngs[b]!));
      const more = await runScored(pool, layout, snapshot, sc, drawn);
      rollouts += more.length;
      results = [...results, ...more];
    }
    const scored = results.map((c, i) => ({ ...c, i })).filter((c) => c.r.frames >= L && c.r.endSnapshot);
    if (scored.length === 0) throw new Error(`sampling search: every candidate of segment ${seg} blew up (frame ${k0})`);
    scored.sort((a, b) => a.total - b.total || a.i - b.i);
    beam = scored.slice(0, o.beam).map(({ d, r, committed }) => {
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
