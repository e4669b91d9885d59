/**
 * Physics benchmarks (run by `npm run bench:physics`): cost of one simulation step, rollouts per
 * second from a snapshot on the main thread and in worker pools, and tracking error on motions.
 * Timings are medians of repeats; CPU time, load averages and run-queue waits are reported beside
 * wall time because the machine is shared (wall time inflates when other processes compete for
 * the cores, and a 2-worker pool suffers more from that than a 1-worker one).
 */
import { angleCount, createSkeleton, type Skeleton } from '../body/skeleton.ts';
import type { Pose } from '../body/pose.ts';
import { squatPose, standingAngles } from '../body/procedural.ts';
import { anglesFromPose } from '../body/pose.ts';
import { humanoidSnapshot, type PhysicsOptions } from './humanoid.ts';
import { loadRapier } from './rapier.ts';
import { HumanoidSim, anglesToMotor, motorCount } from './sim.ts';
import { createSyncRolloutPool } from './pool.ts';
import type { RolloutSpec } from './rollout.ts';
import { rootGains, trackMotion, trackPhysically, type PhysicalTrackingOptions, type TrackingOptions } from './tracking.ts';
import type { RolloutPool } from './pool.ts';
import { readFileSync } from 'node:fs';

export interface StepBenchOptions {
  steps: number;
  repeats: number;
  physics: Partial<PhysicsOptions>;
}
export const STEP_BENCH_DEFAULTS: StepBenchOptions = { steps: 600, repeats: 5, physics: {} };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** µs per step (wall and CPU) of the humanoid standing under PD control. */
export async function benchStep(options: Partial<StepBenchOptions> = {}): Promise<{ wallUs: number; cpuUs: number; bodies: number; motors: number }> {
  const o = { ...STEP_BENCH_DEFAULTS, ...options };
  const R = await loadRapier();
  const skel = createSkeleton();
  const { snapshot, layout } = await humanoidSnapshot(skel, { pose: squatPose(skel, 0) }, o.physics);
  const targets = new Float64Array(motorCount(layout));
  anglesToMotor(layout, standingAngles(skel), 0, targets, 0);
  const wall: number[] = [], cpu: number[] = [];
  for (let r = 0; r < o.repeats + 1; r++) {
    const sim = HumanoidSim.fromSnapshot(R, layout, snapshot);
    sim.setMotorTargets(targets, null);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < o.steps; i++) sim.step();
    const t1 = performance.now();
    const c = process.cpuUsage(c0);
    sim.free();
    if (r === 0) continue; // warm-up
    wall.push(((t1 - t0) * 1000) / o.steps);
    cpu.push((c.user + c.system) / o.steps);
  }
  return { wallUs: median(wall), cpuUs: median(cpu), bodies: layout.bodies.length, motors: motorCount(layout) };
}

export interface RolloutBenchOptions {
  /** Rollouts per batch (an optimizer's finite-difference gradient is one batch). */
  rollouts: number;
  /** Control intervals per rollout and steps per interval (10 × 4 = one 30 fps window of 1/3 s at 120 Hz). */
  knots: number;
  stepsPerControl: number;
  /** Timed batches per configuration; the configurations take turns (interleaved), so load drifts hit all alike. */
  repeats: number;
  /**
   * Untimed batches first, per worker of a configuration (so every worker runs the same number of
   * warm-up rollouts): V8 keeps compiling Rapier's wasm and the rollout code on a background thread
   * for the first 100–200 rollouts of every thread, and a 2-worker batch timed before that is over
   * loses a core to the compiler (measured with per-thread /proc times: 2 warm-up batches of 48
   * left a background thread at 300–400 ms per batch on 2 workers, none on 1).
   */
  warmup: number;
}
export const ROLLOUT_BENCH_DEFAULTS: RolloutBenchOptions = { rollouts: 48, knots: 10, stepsPerControl: 4, repeats: 7, warmup: 5 };

/** One configuration: how batches are waited for, how many workers (0 = the calling thread). */
export interface RolloutBenchConfig {
  name: string;
  wait: 'async' | 'sync';
  workers: number;
}
export const ROLLOUT_BENCH_CONFIGS: RolloutBenchConfig[] = [
  { name: 'async pool, 1 worker', wait: 'async', workers: 1 },
  { name: 'async pool, 2 workers', wait: 'async', workers: 2 },
  { name: 'main thread', wait: 'sync', workers: 0 },
  { name: 'sync pool, 1 worker', wait: 'sync', workers: 1 },
  { name: 'sync pool, 2 workers', wait: 'sync', workers: 2 },
];

export interface RolloutBenchRow extends RolloutBenchConfig {
  /** Median over the timed batches. */
  rolloutsPerSecond: number;
  /**
   * Median of rollouts / (wall − mean run-queue wait of the rollout threads): the wall time of a
   * batch minus the time the threads running rollouts (workers, or the calling thread) were ready
   * to run but waited for a core (/proc/self/task/TID/schedstat), averaged over those threads —
   * with work stealing they finish together, so that is the time the load cost the batch. An
   * estimate of the rate on an idle machine (CPU slowed by shared caches is not corrected);
   * null where schedstat is missing.
   */
  loadCorrectedPerSecond: number | null;
  /** Median run-queue wait per batch, summed over the rollout threads, ms. */
  runQueueWaitMs: number | null;
  /** Median on-core time of the rollout threads per rollout, ms (inflates when caches and cores are shared). */
  cpuMsPerRollout: number | null;
  /**
   * Median CPU time per batch of this process's other threads (the main thread collecting results,
   * V8's background compiler and GC helpers), ms: they compete with the workers for the two cores.
   */
  otherCpuMs: number | null;
  /**
   * Median share of the batch's wall time the rollout threads were running or ready to run
   * (1 = never idle): what the pool itself loses to messages, start-of-batch wake-ups and the
   * end-of-batch straggler, independent of the machine's load.
   */
  busyShare: number | null;
  /** Per timed batch: wall ms, rollout threads' run-queue wait and CPU ms, and the 1-minute load average read just before it. */
  batches: Array<{ ms: number; waitMs: number | null; cpuMs: number | null; load: number }>;
}

export interface RolloutBenchResult {
  rows: RolloutBenchRow[];
  /** Medians over repeats of the per-repeat ratio of two configurations' rates (measured back to back). */
  ratios: Array<{
    name: string; of: string; to: string; ratio: number; loadCorrected: number | null;
    /** Ratio of the load-corrected rates over all timed batches together (Σ rollouts / Σ corrected wall). */
    loadCorrectedPooled: number | null;
    /**
     * Ratio of workers × busyShare / cpuMsPerRollout (row medians): the rate if every thread that
     * was ready to run had had a core; keeps the measured idle time and any CPU slowdown of two
     * workers side by side (shared caches), removes only the waiting for other processes.
     */
    fromThreadCpu: number | null;
  }>;
  /** /proc/loadavg before and after the measurement. */
  loadBefore: string;
  loadAfter: string;
  /**
   * Linux autogroup scheduling is on: CPU is shared fairly between sessions, not threads, so on a
   * busy machine a 2-worker pool gets about the same CPU as a 1-worker one (wall-clock scaling then
   * measures the other sessions, not the pool).
   */
  autogroup: boolean;
}

const loadavg = (): string => { try { return readFileSync('/proc/loadavg', 'utf8').trim(); } catch { return 'n/a'; } };

/**
 * Summed time on a core and run-queue wait (ready to run, no core free), ns, of some threads of
 * this process (/proc/self/task/TID/schedstat), or null where that is missing.
 */
function threadTimesNs(tids: number[]): { cpu: number; wait: number } | null {
  try {
    let cpu = 0, wait = 0;
    for (const t of tids) {
      const [c, w] = readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ').map(Number);
      cpu += c!; wait += w!;
    }
    return Number.isFinite(cpu + wait) && tids.length > 0 && tids.every((t) => t > 0) ? { cpu, wait } : null;
  } catch {
    return null;
  }
}

/** Rollout specs of the benchmark: squats of different depths (what an optimizer's perturbations look like). */
export function benchRolloutSpecs(skel: Skeleton, o: Pick<RolloutBenchOptions, 'rollouts' | 'knots' | 'stepsPerControl'>): RolloutSpec[] {
  const D = angleCount(skel);
  const gains = rootGains(skel.mass);
  return Array.from({ length: o.rollouts }, (_, i) => {
    const K = o.knots;
    const targets = new Float64Array(K * D);
    const positions = new Float64Array((K + 1) * 3), rotations = new Float64Array((K + 1) * 4);
    for (let k = 0; k <= K; k++) {
      const pose = squatPose(skel, (0.3 * (i % 7) * k) / (6 * K));
      if (k < K) targets.set(anglesFromPose(skel, pose), k * D);
      positions.set(pose.rootPosition, k * 3);
      rotations.set(pose.rootRotation, k * 4);
    }
    return { targets, stepsPerControl: o.stepsPerControl, rootReference: { positions, rotations, interval: 1 / 30, gains } };
  });
}

/**
 * Rollouts per second from one snapshot (PD targets and the closed-loop root, as the physics
 * stage runs them): the async and the synchronous pool on 1 and 2 workers, and the calling
 * thread, measured interleaved batch by batch.
 */
export async function benchRollouts(
  options: Partial<RolloutBenchOptions> = {}, configs: RolloutBenchConfig[] = ROLLOUT_BENCH_CONFIGS,
): Promise<RolloutBenchResult> {
  const o = { ...ROLLOUT_BENCH_DEFAULTS, ...options };
  const skel: Skeleton = createSkeleton();
  const { snapshot, layout } = await humanoidSnapshot(skel, { pose: squatPose(skel, 0) });
  const specs = benchRolloutSpecs(skel, o);
  const loadBefore = loadavg();
  const pools = await Promise.all(configs.map((c) => createSyncRolloutPool({ workers: c.workers })));
  const runOnce = async (i: number): Promise<void> => {
    const c = configs[i]!, pool = pools[i]!;
    if (c.wait === 'sync') pool.runBatchSync(layout, snapshot, specs);
    else await pool.runBatch(layout, snapshot, specs);
  };
  const timings = configs.map(() => [] as Array<{ ms: number; waitMs: number | null; cpuMs: number | null; processCpuMs: number; load: number }>);
  try {
    for (let i = 0; i < configs.length; i++) for (let w = 0; w < o.warmup * Math.max(1, configs[i]!.workers); w++) await runOnce(i);
    for (let r = 0; r < o.repeats; r++) {
      for (let j = 0; j < configs.length; j++) {
        const i = (j + r) % configs.length; // rotate the order so no configuration always runs first
        const load = Number(loadavg().split(' ')[0]);
        const tids = pools[i]!.threadIds();
        const s0 = threadTimesNs(tids);
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await runOnce(i);
        const ms = performance.now() - t0;
        const c = process.cpuUsage(c0);
        const s1 = threadTimesNs(tids);
        const known = s0 !== null && s1 !== null;
        timings[i]!.push({
          ms, waitMs: known ? (s1.wait - s0.wait) / 1e6 : null, cpuMs: known ? (s1.cpu - s0.cpu) / 1e6 : null,
          processCpuMs: (c.user + c.system) / 1000, load,
        });
      }
    }
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
  const rate = (ms: number): number => (specs.length * 1000) / ms;
  const corrected = (c: RolloutBenchConfig, t: { ms: number; waitMs: number | null }): number | null =>
    t.waitMs === null ? null : rate(Math.max(1e-3, t.ms - t.waitMs / Math.max(1, c.workers)));
  const rows: RolloutBenchRow[] = configs.map((c, i) => {
    const ts = timings[i]!;
    const corr = ts.map((t) => corrected(c, t));
    return {
      ...c,
      rolloutsPerSecond: median(ts.map((t) => rate(t.ms))),
      loadCorrectedPerSecond: corr.every((x) => x !== null) ? median(corr as number[]) : null,
      runQueueWaitMs: ts.every((t) => t.waitMs !== null) ? median(ts.map((t) => t.waitMs!)) : null,
      cpuMsPerRollout: ts.every((t) => t.cpuMs !== null) ? median(ts.map((t) => t.cpuMs! / specs.length)) : null,
      otherCpuMs: ts.every((t) => t.cpuMs !== null) ? median(ts.map((t) => Math.max(0, t.processCpuMs - t.cpuMs!))) : null,
      busyShare: ts.every((t) => t.cpuMs !== null) ? median(ts.map((t) => (t.cpuMs! + t.waitMs!) / (Math.max(1, c.workers) * t.ms))) : null,
      batches: ts.map((t) => ({ ms: t.ms, waitMs: t.waitMs, cpuMs: t.cpuMs, load: t.load })),
    };
  });
  const ratios: RolloutBenchResult['ratios'] = [];
  const cpuRate = (r: RolloutBenchRow): number | null =>
    r.busyShare === null || r.cpuMsPerRollout === null ? null : (Math.max(1, r.workers) * r.busyShare) / r.cpuMsPerRollout;
  const pair = (name: string, of: string, to: string): void => {
    const a = configs.findIndex((c) => c.name === of), b = configs.findIndex((c) => c.name === to);
    if (a < 0 || b < 0) return;
    const ta = timings[a]!, tb = timings[b]!;
    const corr = ta.map((t, r) => { const x = corrected(configs[a]!, t), y = corrected(configs[b]!, tb[r]!); return x === null || y === null ? null : x / y; });
    const known = [...ta, ...tb].every((t) => t.waitMs !== null);
    const correctedMs = (c: RolloutBenchConfig, ts: typeof ta): number => ts.reduce((s, t) => s + t.ms - t.waitMs! / Math.max(1, c.workers), 0);
    ratios.push({
      name, of, to,
      ratio: median(ta.map((t, r) => tb[r]!.ms / t.ms)),
      loadCorrected: corr.every((x) => x !== null) ? median(corr as number[]) : null,
      loadCorrectedPooled: known ? correctedMs(configs[b]!, tb) / correctedMs(configs[a]!, ta) : null,
      fromThreadCpu: cpuRate(rows[a]!) !== null && cpuRate(rows[b]!) !== null ? cpuRate(rows[a]!)! / cpuRate(rows[b]!)! : null,
    });
  };
  pair('async pool scaling, 2 vs 1 worker (target ≥ 1.7)', 'async pool, 2 workers', 'async pool, 1 worker');
  pair('sync pool scaling, 2 vs 1 worker', 'sync pool, 2 workers', 'sync pool, 1 worker');
  pair('sync pool, 2 workers vs the main thread', 'sync pool, 2 workers', 'main thread');
  let autogroup = false;
  try { autogroup = readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1'; } catch { /* not Linux */ }
  return { rows, ratios, loadBefore, loadAfter: loadavg(), autogroup };
}

export interface TrackingBenchRow {
  name: string;
  seconds: number;
  residual: boolean;
  mpjpe: number;
  maxFrameError: number;
  fell: boolean;
  fallTime: number | null;
  blowUp: string | null;
  residualForce: number;
  residualTorque: number;
  framesTracked: number;
  framesExpected: number;
  /** Wall-clock µs per simulation step of the tracking loop (control included). */
  usPerStep: number;
}

/** Tracks a motion with pure PD and with residual root forces. */
export async function benchTracking(
  name: string, skel: Skeleton, poses: Pose[], fps: number, options: Partial<TrackingOptions> = {},
): Promise<TrackingBenchRow[]> {
  const rows: TrackingBenchRow[] = [];
  for (const residual of [false, true]) {
    const r = await trackMotion(skel, poses, fps, { ...options, residual });
    rows.push({
      name, seconds: (poses.length - 1) / fps, residual, mpjpe: r.mpjpe, maxFrameError: r.maxFrameError,
      fell: r.fell, fallTime: r.fallTime, blowUp: r.blowUp, residualForce: r.residualForce,
      residualTorque: r.residualTorque, framesTracked: r.frames, framesExpected: r.expectedFrames, usPerStep: r.usPerStep,
    });
  }
  return rows;
}

export interface PhysicalTrackingRow {
  name: string;
  /** Length of the clip, s. */
  seconds: number;
  /** Seconds tracked before the first fall (= seconds without one). */
  trackedSeconds: number;
  /** Mean global landmark error before the first fall, mm. */
  mpjpe: number;
  /** Mean external force as % of body weight: 0 for the fully physical controller. */
  residualPct: number;
  /** Largest net torque the controller injected in a step, N·m (rounding only). */
  netTorque: number;
  restarts: number;
  falls: number;
  rollouts: number;
  /** Wall-clock seconds of compute per second of motion. */
  computePerSecond: number;
}

/** Tracks a motion from its truth with the fully physical controller and its sampling search. */
export async function benchPhysicalTracking(
  name: string, skel: Skeleton, poses: Pose[], fps: number, options: Partial<PhysicalTrackingOptions> = {}, pool?: RolloutPool,
): Promise<PhysicalTrackingRow> {
  const r = await trackPhysically(skel, poses, fps, options, pool);
  return {
    name, seconds: r.expectedFrames / r.fps, trackedSeconds: r.trackedSeconds, mpjpe: r.mpjpe,
    residualPct: (100 * r.residualForce) / (skel.mass * 9.81), netTorque: r.netTorque, restarts: r.restarts,
    falls: r.falls, rollouts: r.rollouts, computePerSecond: r.computePerSecond,
  };
}
