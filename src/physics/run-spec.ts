/**
 * One job of the worker pool: a plain PD rollout (rollout.ts) or a rollout of the fully
 * physical controller (controller.ts), told apart by the spec's `kind`.
 */
import type { HumanoidLayout } from './humanoid.ts';
import { controlledRollout, type ControlledResult, type ControlledSpec } from './controller.ts';
import type { Rapier } from './rapier.ts';
import { rolloutWith } from './rollout.ts';
import type { RolloutResult, RolloutSpec } from './rollout-types.ts';

export type PoolSpec = RolloutSpec | ControlledSpec;
export type PoolResult = RolloutResult | ControlledResult;

export function runSpec(R: Rapier, layout: HumanoidLayout, snapshot: Uint8Array, spec: PoolSpec): PoolResult {
  return 'kind' in spec && spec.kind === 'controlled' ? controlledRollout(R, layout, snapshot, spec) : rolloutWith(R, layout, snapshot, spec as RolloutSpec);
}
