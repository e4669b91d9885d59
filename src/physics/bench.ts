/**
 * Physics benchmarks (run by `npm run bench:physics`): cost of one simulation step, rollouts per
 * second from a snapshot on the main thread and in worker pools, and tracking error on motions.
 * Timings are medians of repeats; CPU time is reported beside wall time because the machine is
 * shared (wall time inflates when other processes compete for the cores).
 */
import { angleCount, createSkeleton, type Skeleton } from '../body/skeleton.ts';
import type { Pose } from '../body/pose.ts';
import { squatPose, standingAngles } from '../body/procedural.ts';
import { anglesFromPose } from '../body/pose.ts';
import { humanoidSnapshot, type PhysicsOptions } from './humanoid.ts';
import { loadRapier } from './rapier.ts';
import { HumanoidSim, anglesToMotor, motorCount } from './sim.ts';
import { rolloutWith, type RolloutSpec } from './rollout.ts';
import { RolloutPool } from './pool.ts';
import { trackMotion, type TrackingOptions } from './tracking.ts';

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
  /** Rollouts per measurement. */
  rollouts: number;
  /** Control intervals per rollout and steps per interval (10 × 4 = one 30 fps window of 1/3 s at 120 Hz). */
  knots: number;
  stepsPerControl: number;
  /** Worker counts to measure (0 = the main thread). */
  workers: number[];
  repeats: number;
}
export const ROLLOUT_BENCH_DEFAULTS: RolloutBenchOptions = { rollouts: 48, knots: 10, stepsPerControl: 4, workers: [0, 1, 2], repeats: 3 };

/** Rollouts per second from one snapshot, on the main thread and with worker pools. */
export async function benchRollouts(options: Partial<RolloutBenchOptions> = {}): Promise<Array<{ workers: number; rolloutsPerSecond: number }>> {
  const o = { ...ROLLOUT_BENCH_DEFAULTS, ...options };
  const R = await loadRapier();
  const skel: Skeleton = createSkeleton();
  const { snapshot, layout } = await humanoidSnapshot(skel, { pose: squatPose(skel, 0) });
  const D = angleCount(skel);
  // Different rollouts: squats of different depths (what an optimizer's perturbations look like).
  const specs: RolloutSpec[] = Array.from({ length: o.rollouts }, (_, i) => {
    const targets = new Float64Array(o.knots * D);
    for (let k = 0; k < o.knots; k++) targets.set(anglesFromPose(skel, squatPose(skel, (0.3 * (i % 7) * k) / (6 * o.knots))), k * D);
    return { targets, stepsPerControl: o.stepsPerControl };
  });
  const out: Array<{ workers: number; rolloutsPerSecond: number }> = [];
  for (const n of o.workers) {
    const rates: number[] = [];
    if (n === 0) {
      rolloutWith(R, layout, snapshot, specs[0]!); // first restore in a thread is slow
      for (let r = 0; r < o.repeats; r++) {
        const t0 = performance.now();
        for (const s of specs) rolloutWith(R, layout, snapshot, s);
        rates.push(specs.length / ((performance.now() - t0) / 1000));
      }
    } else {
      const pool = new RolloutPool({ workers: n });
      try {
        await pool.runMany(layout, snapshot, specs.slice(0, 2 * n)); // start-up and first restores
        for (let r = 0; r < o.repeats; r++) {
          const t0 = performance.now();
          await pool.runMany(layout, snapshot, specs);
          rates.push(specs.length / ((performance.now() - t0) / 1000));
        }
      } finally {
        await pool.close();
      }
    }
    out.push({ workers: n, rolloutsPerSecond: median(rates) });
  }
  return out;
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
