/**
 * How physical the physics stage's result is, from what its rollouts measured (DESIGN §4.6):
 * the residual — every external force on the body other than gravity and ground contact — per
 * simulated frame, the share of the body weight the ground carried over stance frames, and
 * the restarts and falls of the run.
 */
import type { PhysicsAccounting } from '../formats/motion.ts';
import type { Vec3 } from '../geometry/quaternion.ts';
import type { RolloutResult } from '../physics/rollout.ts';

export const GRAVITY = 9.81;

/** A frame's residual above this share of body weight counts in `framesAbove10Pct`. */
const RESIDUAL_FRAME_LIMIT_PCT = 10;

/**
 * What one simulated frame measured, mean over its simulation steps: residual force xyz (N) and
 * torque xyz (N·m) on the pelvis, their mean magnitudes, and the ground's normal force (N) on the
 * left foot, the right foot and the other bodies. Plain numbers: it lives in the checkpoint.
 */
export type FrameForces = [number, number, number, number, number, number, number, number, number, number, number];

/** Why the simulated state was replaced instead of simulated. */
export type RestartKind = 'rewind' | 'reset' | 'blow-up' | 'gave-up';

export interface RestartEvent {
  window: number;
  /** The frame the simulation restarts from (the kinematic state there, maybe shifted). */
  frame: number;
  kind: RestartKind;
  /** How far (m) the restart pose was moved horizontally to keep planted feet. */
  shiftM: number;
}

/** Frame k of a rollout as FrameForces. */
export function rolloutFrameForces(r: RolloutResult, k: number): FrameForces {
  const w = r.residualWrench, m = r.residualMagnitude, g = r.groundForce;
  return [
    w[k * 6]!, w[k * 6 + 1]!, w[k * 6 + 2]!, w[k * 6 + 3]!, w[k * 6 + 4]!, w[k * 6 + 5]!,
    m[k * 2]!, m[k * 2 + 1]!, g[k * 3]!, g[k * 3 + 1]!, g[k * 3 + 2]!,
  ];
}

/**
 * The accounting of a run: residual statistics over the simulated frames (null entries are
 * frames not simulated), contact support over the simulated frames with a foot in contact.
 */
export function physicsAccounting(
  forces: ReadonlyArray<FrameForces | null>, contacts: ReadonlyArray<readonly [boolean, boolean]>, massKg: number, restarts: number, falls: number,
): PhysicsAccounting {
  const weight = massKg * GRAVITY;
  let sumN = 0, sumNm = 0, maxN = 0, above = 0, simulated = 0, support = 0, stance = 0;
  forces.forEach((f, t) => {
    if (!f) return;
    simulated++;
    sumN += f[6];
    sumNm += f[7];
    maxN = Math.max(maxN, f[6]);
    if (f[6] > (RESIDUAL_FRAME_LIMIT_PCT / 100) * weight) above++;
    const [l, r] = contacts[t] ?? [false, false];
    if (l || r) {
      stance++;
      support += f[8] + f[9] + f[10];
    }
  });
  const pct = (n: number) => (100 * n) / weight;
  const meanN = simulated ? sumN / simulated : 0;
  return {
    massKg,
    residual: {
      meanN,
      meanNm: simulated ? sumNm / simulated : 0,
      meanPctBodyWeight: pct(meanN),
      maxPctBodyWeight: pct(maxN),
      framesAbove10Pct: above,
    },
    contactSupportPct: stance ? pct(support / stance) : 0,
    restarts,
    falls,
    simulatedFrames: simulated,
  };
}

/** The optional per-frame keys of motion.json (src/formats/motion.ts) for a frame's forces. */
export function motionFrameForces(f: FrameForces | null): { groundForce?: { leftFoot: number; rightFoot: number }; residual?: { force: Vec3; torque: Vec3 } } {
  if (!f) return {};
  return {
    groundForce: { leftFoot: f[8], rightFoot: f[9] },
    residual: { force: [f[0], f[1], f[2]], torque: [f[3], f[4], f[5]] },
  };
}

/**
 * The accounting motion.json keeps: what the run cost (`compute`, wall times) stays in
 * report.json, so a resumed or repeated run writes the same motion.json bytes.
 */
export function motionAccounting(a: PhysicsAccounting): PhysicsAccounting {
  const { compute: _cost, ...kept } = a as PhysicsAccounting & { compute?: unknown };
  return kept;
}
