/**
 * One window of the physics stage: from a start snapshot, the chosen optimizer adjusts the
 * window's controls — offsets of the PD targets at a few knots, linearly interpolated, optionally
 * a penalised open-loop root wrench — against the window loss (physics-loss.ts). The simulator is
 * not differentiable, so gradients are finite differences of rollouts (forward first, central for
 * the last iterations: FD at ~0.01 rad measured reliable, random directions too inaccurate).
 */
import { anglesFromPose, type Pose } from '../body/pose.ts';
import type { Skeleton } from '../body/skeleton.ts';
import type { PinholeCamera } from '../geometry/camera.ts';
import type { Vec3 } from '../geometry/quaternion.ts';
import type { Objective } from '../optimus/types.ts';
import type { HumanoidLayout } from '../physics/humanoid.ts';
import type { RolloutPool } from '../physics/pool.ts';
import type { Rapier } from '../physics/rapier.ts';
import type { RolloutResult, RolloutSpec } from '../physics/rollout.ts';
import type { ControlReference } from '../physics/control-reference.ts';
import type { ControlledResult, ControlledSpec } from '../physics/controller.ts';
import { runSpec, type PoolSpec } from '../physics/run-spec.ts';
import { stanceSlide2 } from '../physics/stance-slide.ts';
import { landmarkViewError2 } from '../physics/view-error.ts';
import { mixSeed } from '../random.ts';
import type { Observations } from './observations.ts';
import { stageOptimizer } from './optimizers.ts';
import { LOW_FPS, PHYSICS_OPTIMUS_PRIOR, type PhysicsStageConfig } from './physics-options.ts';
import { poseError, windowLossValue, type WindowLossContext, type WindowSetup } from './physics-loss.ts';
import type { BlowUp } from './physics-result.ts';
import { runOptimizer } from './run-optimizer.ts';
import type { FrameWindow } from './windows.ts';

/** What every window of a run shares. */
export interface StageContext {
  R: Rapier;
  /** Worker threads for batches of rollouts, or null for the calling thread. */
  pool: RolloutPool | null;
  layout: HumanoidLayout;
  skel: Skeleton;
  obs: Observations;
  camera: PinholeCamera;
  depth: number;
  o: PhysicsStageConfig;
  /** The kinematic motion as the simulator follows it (smoothed), and its landmarks. */
  kinematic: Pose[];
  kinLm: Vec3[][];
  /** Frames, packed angles per pose, frame rate, simulation steps per frame, PD lead (frames). */
  T: number;
  D: number;
  fps: number;
  S: number;
  lead: number;
  /** Indices of the controlled angles (physics-options.ts CONTROLLED_JOINTS). */
  controlled: number[];
  /** Body weight (N) of the skeleton: the unit of the open-loop root wrench. */
  weight: number;
  /** Mass (kg) of the simulated body (its feet are heavier than the skeleton's): the unit of the accounting. */
  massKg: number;
  windows: FrameWindow[];
  /** The fully physical controller's reference (the kinematic motion, feet planted) and its landmarks (T × 99), or null for PD alone. */
  control: { reference: ControlReference; landmarks: Float64Array; pool: RolloutPool | null } | null;
}

/** One window's fixed quantities: its frames, reference, and the layout of its control vector. */
export interface WindowContext {
  stage: StageContext;
  index: number;
  win: FrameWindow;
  /** Intervals kept (K) and rolled out (KL = K plus the lookahead within the clip). */
  K: number;
  KL: number;
  setup: WindowSetup;
  splineBase?: { before: Float64Array; after: Float64Array };
  rootReference?: RolloutSpec['rootReference'];
  /** Controlled angles, values per knot (angles and the optional wrench), whether the first knot is carried in. */
  nc: number;
  perKnot: number;
  carried: boolean;
  /** Dimension of the optimized vector. */
  dim: number;
  fullGains: number;
  /**
   * With the fully physical controller: its reference over the window's KL + 1 frames and the
   * PD-target offsets ((KL + 1) × D) the sampling search found, under the optimizer's.
   */
  physical?: { reference: ControlReference; base: Float64Array };
}

/** One window's optimization from a start state: given up, or its best rollout. */
export type WindowOutcome = { gaveUp: true; loss: number; blowUps: BlowUp[] }
  | { gaveUp: false; best: RolloutResult; result: ReturnType<typeof runOptimizer>; carry: number[]; farOff: boolean; strayed: boolean; blowUps: BlowUp[] };

/** The kinematic pose of frame t, clamped to the clip. */
function kinAt(s: StageContext, t: number): Pose {
  return s.kinematic[Math.max(0, Math.min(s.T - 1, t))]!;
}

/** A window's frames, reference and control layout. */
export function windowContext(s: StageContext, index: number): WindowContext {
  const { o, D, lead } = s;
  const win = s.windows[index]!;
  const K = win.end - win.start;
  const KL = K + Math.max(0, Math.min(Math.floor(o.windows.lookahead), s.T - 1 - win.end));
  const setup: WindowSetup = { win, intervals: KL, lookaheadWeight: o.windows.lookaheadWeight, base: new Float64Array((KL + 1) * D), kin: [] };
  const frameAngles = (t: number) => anglesFromPose(s.skel, kinAt(s, t));
  // K + 1 knots: interval k moves the targets from frame start + k to start + k + 1 (+ lead).
  for (let k = 0; k <= KL; k++) setup.base.set(frameAngles(win.start + k + lead), k * D);
  for (let k = 0; k < KL; k++) setup.kin.push(s.kinLm[win.start + k + 1]!);
  const spline = o.controller.spline;
  const splineBase = spline ? { before: frameAngles(win.start - 1 + lead), after: frameAngles(win.start + KL + 1 + lead) } : undefined;
  const rootPd = o.controller.rootPd;
  let rootReference: RolloutSpec['rootReference'];
  if (rootPd) {
    rootReference = {
      positions: new Float64Array((KL + 1) * 3), rotations: new Float64Array((KL + 1) * 4), interval: 1 / s.fps,
      gains: { ...rootPd, mass: s.skel.mass },
    };
    if (spline) {
      const rootAt = (t: number) => Float64Array.from(kinAt(s, t).rootPosition);
      Object.assign(rootReference, { before: rootAt(win.start - 1), after: rootAt(win.start + KL + 1) });
    }
    for (let k = 0; k <= KL; k++) {
      rootReference.positions.set(s.kinematic[win.start + k]!.rootPosition, k * 3);
      rootReference.rotations.set(s.kinematic[win.start + k]!.rootRotation, k * 4);
    }
  }
  const nc = s.controlled.length;
  const perKnot = nc + (o.controller.rootWrench ? 6 : 0);
  // Continuous controls: the first knot holds the offsets the previous window ended with.
  const carried = o.windows.continuous && o.windows.knots > 1;
  const dim = (carried ? o.windows.knots - 1 : o.windows.knots) * perKnot;
  const fullGains = s.fps < LOW_FPS ? o.controller.lowFpsGainScale : o.controller.gainScale;
  return { stage: s, index, win, K, KL, setup, splineBase, rootReference, nc, perKnot, carried, dim, fullGains };
}

/** All knots' offsets (rad; body weights for the wrench) from an optimized vector. */
function expandControls(w: WindowContext, carry: Float64Array, xRaw: Float64Array): Float64Array {
  const { knots } = w.stage.o.windows;
  const scale = w.stage.o.gradient.paramScale;
  const x = new Float64Array(knots * w.perKnot);
  if (w.carried) x.set(carry);
  for (let i = 0; i < xRaw.length; i++) x[(w.carried ? w.perKnot : 0) + i] = xRaw[i]! * scale;
  return x;
}

/** The rollout of a window's controls: plain PD (rolloutSpec) or the fully physical controller's. */
function windowSpec(w: WindowContext, x: Float64Array, gainScale: number): PoolSpec {
  const spec = rolloutSpec(w, x, gainScale);
  const p = w.physical;
  const layer = w.stage.o.controller.physical?.layer;
  if (!p || !layer) return spec;
  // The controller follows its reference; the optimizer's (and the search's) controls are offsets of its PD targets.
  const offsets = Float64Array.from(spec.targets, (v, i) => v - p.reference.angles[i]! + p.base[i]!);
  const controlled: ControlledSpec = {
    kind: 'controlled', reference: p.reference, offsets, intervals: w.KL, stepsPerControl: w.stage.S,
    controller: { ...layer, gainScale }, snapshotAfter: w.K,
  };
  return controlled;
}

/** The rollout of a window's controls (all knots' offsets) at a gain scale. */
function rolloutSpec(w: WindowContext, x: Float64Array, gainScale: number): RolloutSpec {
  const { stage: s, K, KL, nc, perKnot } = w;
  const { knots } = s.o.windows;
  const targets = Float64Array.from(w.setup.base);
  const wrench = s.o.controller.rootWrench ? new Float64Array(KL * 6) : undefined;
  for (let k = 0; k <= KL; k++) {
    // Knot coordinate of PD knot k: 0 … knots − 1 over the window, the last knot held after it.
    const u = K > 0 ? (Math.min(k, K) / K) * (knots - 1) : 0;
    const a = Math.min(knots - 1, Math.floor(u));
    const b = Math.min(knots - 1, a + 1);
    const f = u - a;
    for (let c = 0; c < nc; c++) targets[k * s.D + s.controlled[c]!] += (1 - f) * x[a * perKnot + c]! + f * x[b * perKnot + c]!;
    if (wrench && k < KL) {
      for (let c = 0; c < 6; c++) {
        const v = (1 - f) * x[a * perKnot + nc + c]! + f * x[b * perKnot + nc + c]!;
        // Force in body weights, torque in body weight × 0.1 m.
        wrench[k * 6 + c] = v * s.weight * (c < 3 ? 1 : 0.1);
      }
    }
  }
  // Spline neighbours carry the offsets of the window's first and last knots.
  let splineEnds: RolloutSpec['splineEnds'];
  if (w.splineBase) {
    splineEnds = { before: Float64Array.from(w.splineBase.before), after: Float64Array.from(w.splineBase.after) };
    for (let c = 0; c < nc; c++) {
      splineEnds.before[s.controlled[c]!] += x[c]!;
      splineEnds.after[s.controlled[c]!] += x[(knots - 1) * perKnot + c]!;
    }
  }
  return { targets, stepsPerControl: s.S, rootWrench: wrench, gainScale, rootReference: w.rootReference, intervals: KL, splineEnds, snapshotAfter: K };
}

/** Rollouts of one window from one start state, counted, on the pool's workers when there are any. */
class WindowRollouts {
  gainScale: number;
  private readonly lossCtx: WindowLossContext;

  constructor(private readonly w: WindowContext, private readonly snapshot: Uint8Array, private readonly carry: Float64Array, private readonly counter: { rollouts: number }) {
    this.gainScale = w.fullGains;
    this.lossCtx = lossContext(w);
  }

  expand(x: Float64Array): Float64Array {
    return expandControls(this.w, this.carry, x);
  }

  one(x: Float64Array, endSnapshot = false): RolloutResult {
    this.counter.rollouts++;
    const s = this.w.stage;
    return runSpec(s.R, s.layout, this.snapshot, { ...windowSpec(this.w, this.expand(x), this.gainScale), endSnapshot });
  }

  batch(xs: Float64Array[]): RolloutResult[] {
    this.counter.rollouts += xs.length;
    const s = this.w.stage;
    const specs = xs.map((x) => windowSpec(this.w, this.expand(x), this.gainScale));
    if (!s.pool) return specs.map((spec) => runSpec(s.R, s.layout, this.snapshot, spec));
    return s.pool.runBatchSync(s.layout, this.snapshot, specs);
  }

  /** The loss the iterations minimise: the window loss, or (refine.loss 'tracking', with the search on) the search's tracking cost. */
  loss(x: Float64Array, r: RolloutResult): number {
    if (this.w.physical && this.w.stage.o.refine.loss === 'tracking') return trackingCost(this.w, r);
    return windowLossValue(this.lossCtx, r, this.expand(x));
  }
}

/**
 * The sampling search's cost of a rollout over the window and its look-ahead (sampling.ts
 * scoreCandidate with its defaults): mean landmark view error² to the reference, fallen or
 * missing frames at `refine.fallPenalty`, and the search's charge for a foot's slide
 * (`slideWeight`, stance-slide.ts), so the guard does not take back what the search avoided.
 */
export function trackingCost(w: WindowContext, r: RolloutResult): number {
  const s = w.stage;
  const control = s.control!;
  const sampling = s.o.controller.physical?.sampling;
  const depthWeight = sampling?.depthWeight ?? 1;
  const slideWeight = sampling?.slideWeight ?? 0;
  const fellAt = (r as ControlledResult).fellAt ?? null;
  const lm = (f: number) => (i: number) => r.landmarks[f * 99 + i]!;
  let cost = 0;
  for (let f = 0; f < w.KL; f++) {
    const alive = f < r.frames && (fellAt === null || f < fellAt);
    const at = w.win.start + f + 1;
    const slide = slideWeight > 0 && f > 0 && alive ? slideWeight * stanceSlide2(lm(f - 1), lm(f), control.landmarks, at - 1, at) : 0;
    cost += alive ? landmarkViewError2(r.landmarks, f * 99, control.landmarks, at * 99, control.reference.camera, depthWeight) + slide : s.o.refine.fallPenalty;
  }
  return cost / Math.max(1, w.KL);
}

/** The interval at which a rollout fell or stopped (Infinity: it stayed up to the end). */
function fallFrame(r: RolloutResult, intervals: number): number {
  const fellAt = (r as ControlledResult).fellAt ?? null;
  if (fellAt !== null) return fellAt;
  return r.frames < intervals || r.blowUp ? r.frames : Infinity;
}

/** The guard: the optimizer's point is kept only if it falls no earlier than the search's controls and tracks them better. */
function improvesOnSearch(w: WindowContext, candidate: RolloutResult, search: RolloutResult): boolean {
  return fallFrame(candidate, w.KL) >= fallFrame(search, w.KL) && trackingCost(w, candidate) < trackingCost(w, search);
}

function lossContext(w: WindowContext): WindowLossContext {
  const { obs, camera, depth, o } = w.stage;
  return {
    obs, camera, depth, setup: w.setup, perKnot: w.perKnot, controlled: w.nc, knots: o.windows.knots,
    weights: o.loss.weights, contactBand: o.loss.contactBand, skateMargin: o.loss.skateMargin,
  };
}

/** The window loss as an Objective whose gradient is finite differences of rollouts, in one batch per evaluation. */
function fdObjective(w: WindowContext, rollouts: WindowRollouts, iteration: () => number): Objective {
  const { o } = w.stage;
  const dim = w.dim;
  const centralFrom = Math.floor(o.iterations * (1 - o.gradient.centralShare));
  return {
    name: `physics-${w.index}`,
    dim,
    valueAndGrad(x) {
      const h = o.gradient.fdStep / o.gradient.paramScale;
      const central = iteration() >= centralFrom;
      // x, then x + h·eᵢ for every i, then (central differences) x − h·eᵢ: one batch.
      const points: Float64Array[] = [Float64Array.from(x)];
      for (const sign of central ? [1, -1] : [1]) {
        for (let i = 0; i < dim; i++) {
          const xi = Float64Array.from(x);
          xi[i]! += sign * h;
          points.push(xi);
        }
      }
      const results = rollouts.batch(points);
      const losses = points.map((p, k) => rollouts.loss(p, results[k]!));
      const f0 = losses[0]!;
      const grad = new Float64Array(dim);
      for (let i = 0; i < dim; i++) grad[i] = central ? (losses[1 + i]! - losses[1 + dim + i]!) / (2 * h) : (losses[1 + i]! - f0) / h;
      return { value: f0, grad };
    },
  };
}

/** Whether a window's best rollout ended far off the kinematic motion, or strayed from it at any frame. */
function assess(w: WindowContext, best: RolloutResult): { farOff: boolean; strayed: boolean } {
  const { stage: s, win, K } = w;
  if (!(best.frames >= K && best.endSnapshot)) return { farOff: false, strayed: false };
  const r = s.o.recovery;
  const end = (K - 1) * s.layout.bodies.length * 7;
  const root = s.kinematic[win.end]!.rootPosition;
  const drift = Math.hypot(best.bodies[end]! - root[0], best.bodies[end + 1]! - root[1], best.bodies[end + 2]! - root[2]);
  const farOff = drift > r.resetDistance || poseError(best, K - 1, s.kinLm[win.end]!) > r.resetPoseError;
  let strayed = farOff;
  for (let k = 0; k < K && !strayed; k++) strayed = poseError(best, k, s.kinLm[win.start + k + 1]!) > r.strayPoseError;
  return { farOff, strayed };
}

/**
 * Optimizes a window's controls from a start state (and the offsets carried into it): either
 * gives up (plain tracking blew up even at softer gains) or returns the best rollout.
 */
export function solveWindow(w: WindowContext, snapshot: Uint8Array, carryIn: number[] | undefined, counter: { rollouts: number }): WindowOutcome {
  const { o } = w.stage;
  const { perKnot, dim } = w;
  const carry = Float64Array.from(carryIn?.length === perKnot ? carryIn : new Array<number>(perKnot).fill(0));
  const rollouts = new WindowRollouts(w, snapshot, carry, counter);
  // A window whose plain tracking blows up is retried with softer gains, then given up.
  // Start from holding the carried offsets (zero offsets without `continuous`).
  const zero = w.carried ? Float64Array.from({ length: dim }, (_, i) => carry[i % perKnot]! / o.gradient.paramScale) : new Float64Array(dim);
  const blowUps: BlowUp[] = [];
  let base = rollouts.one(zero);
  if (base.blowUp) {
    rollouts.gainScale = w.fullGains / 2;
    base = rollouts.one(zero);
    blowUps.push({ window: w.index, reason: base.blowUp ? base.blowUp.reason : 'tracking blew up at full gains', recovered: !base.blowUp, ...(base.blowUp ? { frame: w.win.start + base.frames + 1 } : {}) });
  }
  if (base.blowUp) return { gaveUp: true, loss: rollouts.loss(zero, base), blowUps };
  let result = o.iterations > 0 ? optimizeWindow(w, rollouts, zero) : unoptimized(rollouts.loss(zero, base), zero);
  let best = rollouts.one(result.x, true);
  if (o.iterations > 0 && o.refine.guard && w.physical && !improvesOnSearch(w, best, base)) {
    result = { ...result, x: zero, value: result.start, curve: result.curve.map(() => result.start) };
    best = rollouts.one(zero, true);
  }
  // Without carry the next window's iterations start from its own search's controls.
  const carryOut = o.refine.carry || !w.physical ? Array.from(rollouts.expand(result.x).subarray((o.windows.knots - 1) * perKnot)) : new Array<number>(perKnot).fill(0);
  return { gaveUp: false, best, result, carry: carryOut, ...assess(w, best), blowUps };
}

/** With no iterations the window keeps its start point: no finite-difference gradient is spent on it. */
function unoptimized(value: number, x: Float64Array): ReturnType<typeof runOptimizer> {
  return { x, value, start: value, curve: [], evaluations: 1, iterations: 0 };
}

/** The chosen optimizer's iterations on a window's loss, from the carried offsets. */
function optimizeWindow(w: WindowContext, rollouts: WindowRollouts, zero: Float64Array): ReturnType<typeof runOptimizer> {
  const { o } = w.stage;
  const dim = w.dim;
  let iteration = 0;
  const objective = fdObjective(w, rollouts, () => iteration);
  const optimizer = stageOptimizer(o.optimizer, {
    seed: mixSeed(o.seed, w.index, 3), dim, learningRate: 0.3, optimusPrior: PHYSICS_OPTIMUS_PRIOR, ...(o.refine.checkpoint ? { stageDefault: o.refine.checkpoint } : {}),
  });
  const counting: typeof optimizer = {
    name: optimizer.name,
    init: (obj, x0) => optimizer.init(obj, x0),
    step: (obj, st) => { const r = optimizer.step(obj, st); iteration++; return r; },
  };
  return runOptimizer(counting, objective, zero, o.iterations);
}
