import { FkGrad } from '../body/fk-grad.ts';
import { landmarkPositions } from '../body/fk.ts';
import { poseFromAngles, restPose, type Pose } from '../body/pose.ts';
import { angleCount, angleOffsets, JOINT_INDEX } from '../body/skeleton.ts';
import { LANDMARK_COUNT, LANDMARK_INDEX } from '../formats/landmarks.ts';
import { quatConjugate, quatFromMatrix, quatFromRotationVector, quatMultiply as mulQ, quatRotate, quatToRotationVector as toRotVec, type Vec3 } from '../geometry/quaternion.ts';
import { mixSeed } from '../random.ts';
import { detectStance } from './kinematic-contact.ts';
import { GROSS_DEFAULTS, type GrossOptions } from './kinematic-gross.ts';
import { asObjective, KINEMATIC_WEIGHTS, LIMIT_MARGIN, paramsPerFrame, SOLE_LANDMARKS, windowLoss, type KinematicWeights, type LossContext, type WindowData } from './kinematic-loss.ts';
import { defaultPosePrior, type PosePrior } from './kinematic-prior.ts';
import type { Observations } from './observations.ts';
import { stageOptimizer } from './optimizers.ts';
import { runOptimizer } from './run-optimizer.ts';
import { rootFromLandmarks, type Scene } from './scene.ts';
import { blendWeight, makeWindows, type FrameWindow } from './windows.ts';

/**
 * The kinematic stage: per frame the root and joint angles of the skeleton, fitted to the
 * 2D keypoints with the detector's 3D landmarks as a prior, joint limits, temporal
 * smoothness and soles above the ground. Windows of a few frames (a few hundred
 * parameters) are optimized one after another; each starts `overlap` frames inside the
 * previous one (those frames start from the previous solution and are blended), and the
 * two frames before a window enter its smoothness term as constants.
 * Each window has two phases: an initialisation that pulls the skeleton onto the 3D guess
 * of the scene (the detector's landmarks placed in the world), then the full fit.
 */
export interface KinematicOptions {
  /** Optimizer name (src/optimus): optimus, adam, lbfgs, bfgs, sgd, momentum, adafac-mlp. */
  optimizer?: string;
  /** Iterations of the full fit per window. */
  iterations?: number;
  /** Iterations of the initialisation phase per window (0 to skip). */
  initIterations?: number;
  /** Frames per window. */
  windowSize?: number;
  /** Optimizer units: parameters move by paramScale per unit step (metres / radians). */
  paramScale?: number;
  /** Learning rate of first-order baselines, in optimizer units. */
  learningRate?: number;
  /** Frames shared with the previous window. */
  overlap?: number;
  weights?: Partial<KinematicWeights>;
  /** Radians by which the joint limits of the loss are widened (kinematic-loss.ts LIMIT_MARGIN). */
  limitMargin?: number;
  /** The learned pose prior of the posePrior weight; default: the shipped one (kinematic-prior.ts). */
  posePrior?: PosePrior | null;
  /** Per-angle prior value a frame has for free (kinematic-prior.ts posePriorTerm). */
  posePriorFree?: number;
  seed?: number;
  /**
   * Gross detector failures (side swaps, misplaced limbs) found before the fit and relabelled or
   * down-weighted (kinematic-gross.ts; read by the pipeline before the scene is built); null: off.
   */
  gross?: Partial<GrossOptions> | null;
  /** Called after each window (for progress and checkpoints). */
  onWindow?: (state: KinematicCheckpoint, total: number) => void;
  /** Continue from a checkpoint (the windows before `nextWindow` are not redone). */
  resume?: KinematicCheckpoint;
}

export const KINEMATIC_DEFAULTS = {
  optimizer: 'optimus',
  /** Iterations per window: L-BFGS is far from converged at 40 (docs/notebook/reconstruction-rounds.md). */
  iterations: 200,
  initIterations: 15,
  windowSize: 8,
  overlap: 2,
  paramScale: 0.05,
  learningRate: 0.2,
  limitMargin: LIMIT_MARGIN,
  /**
   * 0.5: accurate keypoints keep their accuracy (brisk walk, exact input PA 9.5 mm as without the prior,
   * 23.4 at 0) and BlazePose-like ones keep most of the gain (bench:real heavy, man / woman 98.6 / 53.7 mm
   * against 96.8 / 50.1 at 0 and 107.8 / 59.8 without the prior; docs/notebook/real-video.md).
   */
  posePriorFree: 0.5,
  seed: 0,
  /** On: CMU 4 s kinematic PA under blazepose-placed 73.3 → 69.3 mm, under blazepose 49.2 → 49.1 (docs/notebook/robust-fit.md). */
  gross: GROSS_DEFAULTS as Partial<GrossOptions> | null,
};

/** Resumable state of the stage: the parameters of every frame solved so far. */
export interface KinematicCheckpoint {
  nextWindow: number;
  /** Per frame [root position, root rotation vector, angles], for frames < solvedUntil. */
  params: number[][];
  /** Loss curve of each finished window (full-fit phase). */
  curves: number[][];
  evaluations: number;
}

export interface KinematicResult {
  poses: Pose[];
  /** Per frame packed parameters [root position, root rotation vector, angles]. */
  params: number[][];
  landmarks: Vec3[][];
  loss: number;
  iterations: number;
  evaluations: number;
  lossCurve: number[];
  windowCurves: number[][];
  ms: number;
}

export function runKinematic(obs: Observations, scene: Scene, options: KinematicOptions = {}): KinematicResult {
  const start = Date.now();
  const o = { ...KINEMATIC_DEFAULTS, ...options };
  const weights = { ...KINEMATIC_WEIGHTS, ...(options.weights ?? {}) };
  const { skel } = scene;
  const D = angleCount(skel);
  const P = paramsPerFrame(skel);
  const T = obs.frameCount;
  const windows = makeWindows(T, o.windowSize, o.overlap);
  const fk = new FkGrad(skel);
  const posePrior = weights.posePrior > 0 ? (options.posePrior !== undefined ? options.posePrior : defaultPosePrior()) : null;
  const stance = weights.contact > 0 ? detectStance(obs, scene) : null;
  const state: KinematicCheckpoint = options.resume
    ? structuredClone(options.resume)
    : { nextWindow: 0, params: [], curves: [], evaluations: 0 };

  for (let wi = state.nextWindow; wi < windows.length; wi++) {
    const win = windows[wi]!;
    const x0 = initialParams(scene, state.params, win, P, D);
    const before = beforeLandmarks(skel, state.params, win.start);
    const data = windowData(obs, scene, win, before, stance);
    const ctx = (w: KinematicWeights): LossContext => ({ skel, fk, camera: scene.camera, depth: scene.depth, weights: w, limitMargin: o.limitMargin, posePrior, posePriorFree: o.posePriorFree });
    let x = x0;
    if (o.initIterations > 0 && data.target3d) {
      const initLoss = windowLoss(ctx({ ...weights, reprojection: 0.2 * weights.reprojection, prior3d: 0, target3d: 1 }), data);
      const opt = stageOptimizer(o.optimizer, { seed: mixSeed(o.seed, wi, 1), dim: initLoss.dim, learningRate: o.learningRate });
      const r = runOptimizer(opt, asObjective(initLoss, `kinematic-init-${wi}`), x, o.initIterations, o.paramScale);
      x = r.x;
      state.evaluations += r.evaluations;
    }
    const loss = windowLoss(ctx(weights), data);
    const opt = stageOptimizer(o.optimizer, { seed: mixSeed(o.seed, wi, 2), dim: loss.dim, learningRate: o.learningRate });
    const r = runOptimizer(opt, asObjective(loss, `kinematic-${wi}`), x, o.iterations, o.paramScale);
    state.evaluations += r.evaluations;
    state.curves.push(r.curve);
    mergeWindow(state.params, win, r.x, P);
    state.nextWindow = wi + 1;
    options.onWindow?.(structuredClone(state), windows.length);
  }

  const poses = state.params.map((p) => paramsToPose(scene, p));
  const lossCurve = sumCurves(state.curves);
  return {
    poses,
    params: state.params,
    landmarks: poses.map((p) => landmarkPositions(skel, p)),
    loss: lossCurve.length ? lossCurve[lossCurve.length - 1]! : 0,
    iterations: o.iterations,
    evaluations: state.evaluations,
    lossCurve,
    windowCurves: state.curves,
    ms: Date.now() - start,
  };
}

/**
 * One window of the full kinematic fit as a stand-alone problem, started from the scene's
 * 3D guess (no warm start): the same problem for every optimizer, for comparisons.
 */
export function kinematicWindowProblem(obs: Observations, scene: Scene, win: FrameWindow, weights: Partial<KinematicWeights> = {}) {
  const fk = new FkGrad(scene.skel);
  const data = windowData(obs, scene, win, null);
  const loss = windowLoss({ skel: scene.skel, fk, camera: scene.camera, depth: scene.depth, weights: { ...KINEMATIC_WEIGHTS, ...weights } }, data);
  const x0 = initialParams(scene, [], win, paramsPerFrame(scene.skel), angleCount(scene.skel));
  return { objective: asObjective(loss, `kinematic-window-${win.index}`), x0 };
}

/** DESIGN §4.4: lossCurve[i] = Σ over windows of each window's best loss after i + 1 iterations. */
export function sumCurves(curves: number[][]): number[] {
  const n = Math.max(0, ...curves.map((c) => c.length));
  const out = new Array<number>(n).fill(0);
  for (const c of curves) for (let i = 0; i < n; i++) out[i]! += c[Math.min(i, c.length - 1)] ?? 0;
  return out;
}

export function paramsToPose(scene: Scene, p: readonly number[]): Pose {
  return poseFromAngles(scene.skel, [p[0]!, p[1]!, p[2]!], quatFromRotationVector([p[3]!, p[4]!, p[5]!]), p.slice(6));
}

/** Start point of a window: solved frames as they are, new frames from the 3D guess. */
function initialParams(scene: Scene, solved: number[][], win: FrameWindow, P: number, D: number): Float64Array {
  const x = new Float64Array((win.end - win.start) * P);
  let lastAngles: number[] = solved.length ? solved[solved.length - 1]!.slice(6) : armsDown(scene);
  for (let t = win.start; t < win.end; t++) {
    const k = (t - win.start) * P;
    if (t < solved.length) {
      x.set(solved[t]!, k);
      continue;
    }
    const root = rootFromLandmarks(scene.initWorld[t]!);
    x.set(root.position, k);
    x.set(root.rotation, k + 3);
    // Trunk, arms and legs from the 3D guess (a warm start alone lags behind fast, deep
    // bends and leaves the arms where the previous frame had them); neck, head, hands warm.
    x.set(bodyAngles(scene, scene.initWorld[t]!, root.rotation, lastAngles.slice(0, D)), k + 6);
  }
  return x;
}

/**
 * Analytic leg angles from 3D landmarks: each thigh frame has y along knee → hip and x on the
 * knee's hinge axis (thigh × shin), expressed in the pelvis frame; the knee angle is the bend
 * between thigh and shin. Keeps `base` for every other joint.
 */
export function legAngles(scene: Scene, lm: readonly Vec3[], rootRotation: Vec3, base: number[]): number[] {
  const out = base.slice();
  const pelvis = quatFromRotationVector(rootRotation);
  const fromWorld = quatConjugate(pelvis);
  const toPelvis = (v: Vec3) => quatRotate(fromWorld, v);
  const offsets = angleOffsets(scene.skel);
  for (const side of ['left', 'right'] as const) {
    const hip = lm[LANDMARK_INDEX[`${side}_hip`]]!, knee = lm[LANDMARK_INDEX[`${side}_knee`]]!, ankle = lm[LANDMARK_INDEX[`${side}_ankle`]]!;
    const d1 = unit(toPelvis([knee[0] - hip[0], knee[1] - hip[1], knee[2] - hip[2]]));
    const d2 = unit(toPelvis([ankle[0] - knee[0], ankle[1] - knee[1], ankle[2] - knee[2]]));
    const bend = Math.acos(Math.max(-1, Math.min(1, dot3(d1, d2))));
    let x = crossV(d1, d2);
    if (Math.hypot(...x) < 0.05) x = [1, 0, 0];
    const y: Vec3 = [-d1[0], -d1[1], -d1[2]];
    x = unit(sub3(x, scale3(y, dot3(x, y))));
    const z = crossV(x, y);
    const q = quatFromFrame(x, y, z);
    const rv = toRotVec(q);
    const hipAt = offsets[JOINT_INDEX[`${side}_thigh`]]!;
    out[hipAt] = rv[0]; out[hipAt + 1] = rv[1]; out[hipAt + 2] = rv[2];
    out[offsets[JOINT_INDEX[`${side}_shin`]]!] = bend;
    // The foot frame: z along heel → toe, x on the knee's hinge axis; relative to the shin.
    const shin = mulQ(q, quatFromRotationVector([bend, 0, 0]));
    const heel = lm[LANDMARK_INDEX[`${side}_heel`]]!, toe = lm[LANDMARK_INDEX[`${side}_foot_index`]]!;
    const fz = unit(toPelvis(sub3(toe, heel)));
    const hinge = quatRotate(shin, [1, 0, 0]);
    const fxRaw = sub3(hinge, scale3(fz, dot3(hinge, fz)));
    const fi = offsets[JOINT_INDEX[`${side}_foot`]]!;
    if (Math.hypot(...fxRaw) < 0.2) {
      // Toes along the shin (landmarks degenerate): keep the foot level instead.
      out[fi] = -(rv[0] + bend); out[fi + 1] = 0; out[fi + 2] = 0;
    } else {
      const fx = unit(fxRaw);
      const foot = quatFromFrame(fx, crossV(fz, fx), fz);
      const rf = toRotVec(mulQ(quatConjugate(shin), foot));
      out[fi] = rf[0]; out[fi + 1] = rf[1]; out[fi + 2] = rf[2];
    }
  }
  return out;
}

/**
 * Analytic trunk and arm angles from 3D landmarks, on top of `legAngles`: the chest frame
 * (x from the right to the left shoulder, y from the hip centre up to the shoulder centre)
 * relative to the pelvis, shared half and half by spine and chest; each upper-arm frame has
 * its long axis along shoulder → elbow and its z axis toward the forearm (the side the elbow
 * flexes to), the elbow angle is the bend between upper arm and forearm.
 */
export function bodyAngles(scene: Scene, lm: readonly Vec3[], rootRotation: Vec3, base: number[]): number[] {
  const out = legAngles(scene, lm, rootRotation, base);
  const offsets = angleOffsets(scene.skel);
  const at = (name: keyof typeof LANDMARK_INDEX) => lm[LANDMARK_INDEX[name]]!;
  const pelvis = quatFromRotationVector(rootRotation);
  const ls = at('left_shoulder'), rs = at('right_shoulder');
  const mids = scale3([ls[0] + rs[0], ls[1] + rs[1], ls[2] + rs[2]], 0.5);
  const lh = at('left_hip'), rh = at('right_hip');
  const midh = scale3([lh[0] + rh[0], lh[1] + rh[1], lh[2] + rh[2]], 0.5);
  const cx = unit(sub3(ls, rs));
  // The chest's y axis runs from the thoracic joint up to the shoulder centre; where that
  // joint is depends on the spine's bend, so refine a few times from the hip-centre guess.
  const skel = scene.skel;
  const lumbar = skel.joints[JOINT_INDEX.spine]!.offset, thoracic = skel.joints[JOINT_INDEX.chest]!.offset;
  let from = midh;
  let rel: Vec3 = [0, 0, 0];
  for (let iter = 0; iter < 4; iter++) {
    let cy = unit(sub3(mids, from));
    cy = unit(sub3(cy, scale3(cx, dot3(cx, cy))));
    rel = toRotVec(mulQ(quatConjugate(pelvis), quatFromFrame(cx, cy, crossV(cx, cy))));
    const spineWorld = mulQ(pelvis, quatFromRotationVector(scale3(rel, 0.5)));
    const a = quatRotate(pelvis, lumbar as Vec3), b = quatRotate(spineWorld, thoracic as Vec3);
    from = [midh[0] + a[0] + b[0], midh[1] + a[1] + b[1], midh[2] + a[2] + b[2]];
  }
  const half = scale3(rel, 0.5);
  for (const name of ['spine', 'chest'] as const) {
    const i = offsets[JOINT_INDEX[name]]!;
    out[i] = half[0]; out[i + 1] = half[1]; out[i + 2] = half[2];
  }
  const chest = mulQ(pelvis, quatFromRotationVector(rel));
  const forward = quatRotate(chest, [0, 0, 1]);
  for (const [side, s] of [['left', 1], ['right', -1]] as const) {
    const d1 = unit(sub3(at(`${side}_elbow`), at(`${side}_shoulder`)));
    const d2 = unit(sub3(at(`${side}_wrist`), at(`${side}_elbow`)));
    const bend = Math.acos(Math.max(-1, Math.min(1, dot3(d1, d2))));
    const ax = scale3(d1, s);
    // A nearly straight arm does not show its bend plane: take the chest's forward then.
    let az = sub3(d2, scale3(d1, dot3(d1, d2)));
    if (Math.hypot(...az) < 0.1) az = forward;
    az = unit(sub3(az, scale3(ax, dot3(ax, az))));
    const armWorld = quatFromFrame(ax, crossV(az, ax), az);
    const rv = toRotVec(mulQ(quatConjugate(chest), armWorld));
    const i = offsets[JOINT_INDEX[`${side}_upper_arm`]]!;
    out[i] = rv[0]; out[i + 1] = rv[1]; out[i + 2] = rv[2];
    out[offsets[JOINT_INDEX[`${side}_forearm`]]!] = bend;
  }
  return out;
}

/** Rotation whose matrix has the columns x, y, z (an orthonormal right-handed frame). */
const quatFromFrame = (x: Vec3, y: Vec3, z: Vec3) => quatFromMatrix([x[0], y[0], z[0], x[1], y[1], z[1], x[2], y[2], z[2]]);
const dot3 = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const unit = (v: Vec3): Vec3 => { const n = Math.hypot(...v) || 1; return [v[0] / n, v[1] / n, v[2] / n]; };
const crossV = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const sub3 = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const scale3 = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];

/** Angles of a neutral standing pose: arms hanging down rather than the T-pose. */
function armsDown(scene: Scene): number[] {
  const a = new Array<number>(angleCount(scene.skel)).fill(0);
  let k = 0;
  for (const j of scene.skel.joints) {
    if (j.parent < 0) continue;
    if (j.name === 'left_upper_arm') a[k + 2] = -1.3;
    if (j.name === 'right_upper_arm') a[k + 2] = 1.3;
    k += j.axes.length;
  }
  return a;
}

/** Landmarks of the (up to) two solved frames before `start`, for the smoothness term. */
function beforeLandmarks(skel: Scene['skel'], solved: number[][], start: number): Float32Array | null {
  const from = Math.max(0, start - 2);
  if (start <= 0 || solved.length < start) return null;
  const out = new Float32Array((start - from) * LANDMARK_COUNT * 3);
  for (let t = from; t < start; t++) {
    const p = solved[t]!;
    const lm = landmarkPositions(skel, poseFromAngles(skel, [p[0]!, p[1]!, p[2]!], quatFromRotationVector([p[3]!, p[4]!, p[5]!]), p.slice(6)));
    lm.forEach((q, j) => out.set(q, ((t - from) * LANDMARK_COUNT + j) * 3));
  }
  return out;
}

/** Observations of a window as the loss wants them. */
export function windowData(obs: Observations, scene: Scene, win: FrameWindow, before: Float32Array | null, stance: ReadonlyArray<readonly [number, number]> | null = null): WindowData {
  const W = win.end - win.start;
  const N = LANDMARK_COUNT;
  const { fx, fy, cx, cy } = scene.camera;
  const normalized = new Float32Array(W * N * 2);
  const confidence = new Float32Array(W * N);
  const prior = scene.prior3d ? { points: new Float32Array(W * N * 3), weight: new Float32Array(W * N) } : null;
  const target = { points: new Float32Array(W * N * 3), weight: new Float32Array(W * N) };
  for (let i = 0; i < W; i++) {
    const t = win.start + i;
    for (let j = 0; j < N; j++) {
      const [u, v] = obs.points2d[t]![j]!;
      normalized[(i * N + j) * 2] = (u - cx) / fx;
      normalized[(i * N + j) * 2 + 1] = -(v - cy) / fy;
      const c = obs.confidence[t]![j]!;
      confidence[i * N + j] = c;
      if (prior) {
        prior.points.set(scene.prior3d![t]![j]!, (i * N + j) * 3);
        prior.weight[i * N + j] = obs.valid[t] ? c : 0;
      }
      target.points.set(scene.initWorld[t]![j]!, (i * N + j) * 3);
      // Invented (filled) frames still guide the initialisation, weakly.
      target.weight[i * N + j] = obs.valid[t] ? Math.max(c, 0.05) : 0.05;
    }
  }
  const rest = stance ? landmarkPositions(scene.skel, restPose(scene.skel)) : null;
  return {
    frames: W, normalized, confidence, prior3d: prior, target3d: scene.prior3d ? target : null, before, accelTarget: accelTarget(obs, scene, win, before),
    stance: stance ? Float32Array.from(stance.slice(win.start, win.end).flat()) : null,
    soleRest: rest ? SOLE_LANDMARKS.map((l) => rest[l]![1]) : undefined,
  };
}

/**
 * The detector's hip-centred landmark accelerations over [before; window] (second differences
 * of the smoothed 3D prior), zero where a frame of the three is not valid or without a prior.
 */
function accelTarget(obs: Observations, scene: Scene, win: FrameWindow, before: Float32Array | null): Float32Array | null {
  if (!scene.prior3d) return null;
  const N = LANDMARK_COUNT;
  const from = win.start - (before ? before.length / (N * 3) : 0);
  const K = win.end - from;
  if (K < 3) return null;
  const out = new Float32Array((K - 2) * N * 3);
  for (let k = 0; k + 2 < K; k++) {
    const a = from + k;
    if (!obs.valid[a] || !obs.valid[a + 1] || !obs.valid[a + 2]) continue;
    const p0 = scene.prior3d[a]!, p1 = scene.prior3d[a + 1]!, p2 = scene.prior3d[a + 2]!;
    for (let j = 0; j < N; j++) for (let c = 0; c < 3; c++) out[(k * N + j) * 3 + c] = p2[j]![c]! - 2 * p1[j]![c]! + p0[j]![c]!;
  }
  return out;
}

/** Writes a window's solution into the per-frame parameters, blending over the overlap. */
function mergeWindow(params: number[][], win: FrameWindow, x: Float64Array, P: number): void {
  const overlapEnd = Math.min(params.length, win.end);
  for (let t = win.start; t < win.end; t++) {
    const v = Array.from(x.subarray((t - win.start) * P, (t - win.start + 1) * P));
    if (t < overlapEnd) {
      const w = blendWeight(t, win.start, overlapEnd);
      params[t] = params[t]!.map((a, i) => a + w * (v[i]! - a));
    } else {
      params[t] = v;
    }
  }
}

/** Rigidly moves a solution (e.g. after the ground is re-estimated): p → R·p + t. */
export function transformParams(params: number[][], rotation: [number, number, number, number], translation: Vec3): number[][] {
  return params.map((p) => {
    const pos = quatRotate(rotation, [p[0]!, p[1]!, p[2]!]);
    const rot = quatFromRotationVector([p[3]!, p[4]!, p[5]!]);
    const r = mulQ(rotation, rot);
    const rv = toRotVec(r);
    return [pos[0] + translation[0], pos[1] + translation[1], pos[2] + translation[2], rv[0], rv[1], rv[2], ...p.slice(6)];
  });
}
