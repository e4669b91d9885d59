/**
 * The rollouts a pool worker can run, by name. Workers receive plain data (a layout, a
 * snapshot, specs), so a rollout travels as its kind's name and the worker looks the function
 * up here; every kind returns the same RolloutResult.
 */
import type { HumanoidLayout } from './humanoid.ts';
import type { Rapier } from './rapier.ts';
import { rolloutWith, type RolloutResult } from './rollout.ts';
import { trackingRollout, type TrackingRolloutSpec } from './tracking-rollout.ts';

/**
 * - `pd`: PD targets (+ optional open-loop root wrench), `rolloutWith` of rollout.ts;
 * - `tracking`: the physics stage's rollout with the closed-loop root PD, tracking-rollout.ts.
 */
export type RolloutKind = 'pd' | 'tracking';

/** A spec any kind accepts (`pd` ignores the tracking-only fields). */
export type PoolRolloutSpec = TrackingRolloutSpec;

export const ROLLOUT_KINDS: Record<RolloutKind, (R: Rapier, layout: HumanoidLayout, snapshot: Uint8Array, spec: PoolRolloutSpec) => RolloutResult> = {
  pd: rolloutWith,
  tracking: trackingRollout,
};

/** Runs one rollout of a kind on this thread (Rapier loaded). */
export function runRolloutKind(R: Rapier, kind: RolloutKind, layout: HumanoidLayout, snapshot: Uint8Array, spec: PoolRolloutSpec): RolloutResult {
  const run = ROLLOUT_KINDS[kind];
  if (!run) throw new Error(`unknown rollout kind '${String(kind)}' (known: ${Object.keys(ROLLOUT_KINDS).join(', ')})`);
  return run(R, layout, snapshot, spec);
}
