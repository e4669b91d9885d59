/**
 * Physics: the Rapier twin of the skeleton, PD control, rollouts from snapshots, a worker pool,
 * and a tracking controller.
 *
 * ## For the reconstruction stage (typical use)
 * ```ts
 * import { createSkeleton } from '../body/skeleton.ts';
 * import { humanoidSnapshot, runRollout, RolloutPool, createSyncRolloutPool } from '../physics/index.ts';
 *
 * const skel = createSkeleton({ height: 1.75 });
 * // 1. A start state: a pose (and the pose dt later, for velocities). The world is built, snapshotted, freed.
 * const { snapshot, layout } = await humanoidSnapshot(skel, { pose, next: { pose: pose2, dt: 1 / 30 } });
 * // 2. A rollout: K PD-target knots (K × D packed angles, D = angleCount(skel) = 40, order of src/body/pose.ts),
 * //    stepsPerControl simulation steps per knot (PHYSICS_DEFAULTS.rate = 120 Hz → 4 steps for 30 fps),
 * //    optional residual root wrench K × 6 (force N, torque N·m, world), reported back as mean magnitudes.
 * const r = await runRollout(layout, snapshot, { targets, stepsPerControl: 4, endSnapshot: true });
 * // r.landmarks: frames × 33 × 3 world metres at the END of each interval (MediaPipe order);
 * // r.bodies: frames × J × 7 (position, quaternion xyzw per joint frame) → poseFromBodies(skel, r.bodies, k);
 * // r.contacts: frames × 2 (left, right foot on the ground); r.blowUp: null or { step, reason } —
 * // on a blow-up (NaN, > 30 m/s, > 100 rad/s) the outputs stop before it: never garbage.
 * // r.endSnapshot: continue the next window from here (windows chain bit-identically).
 * // 3. Many rollouts in parallel from one snapshot (deterministic: bit-identical to runRollout):
 * const pool = new RolloutPool({ workers: 2 });
 * const results = await pool.runBatch(layout, snapshot, specs);
 * await pool.close();
 * // 4. The same from synchronous code (a finite-difference gradient inside Objective.valueAndGrad),
 * //    here with the physics stage's closed-loop root PD (spec.rootReference, rollout.ts):
 * const sync = await createSyncRolloutPool({ workers: 2 });          // workers started and warm
 * const rs = sync.runBatchSync(layout, snapshot, trackingSpecs);     // blocks in Atomics.wait
 * sync.free();                                                        // or await sync.close()
 * ```
 * A pool runs one batch at a time: send every rollout an optimizer step needs (the point and all
 * its finite-difference perturbations) in ONE batch; workers take tasks from a shared counter, so
 * both stay busy until the batch is done. Create the pool once per stage run (worker start-up costs
 * seconds: tsx and Rapier load in every worker), not per window.
 * Within control interval k the targets move linearly from knot k to knot k+1 (the last one holds),
 * with the matching motor target velocity. A rollout costs one snapshot restore (~0.3 ms once warm;
 * the first restore in a thread is slow) plus the steps. Restores are the only deterministic way to
 * restart: never rebuild worlds or reset bodies with setters between rollouts you compare.
 *
 * `trackMotion(skel, poses, fps, { residual })` (tracking.ts) follows a reference motion closed-loop
 * and reports MPJPE, falls and residual forces. `trackPhysically(skel, poses, fps)` follows it with
 * the fully physical controller (controller.ts: PD, gravity compensation, stance-leg balance, no
 * external force) and its sampling search (sampling.ts) on a worker pool; `controlledRollout` is
 * one rollout of that controller, and pools run it for specs of `kind: 'controlled'`.
 *
 * Defaults (PHYSICS_DEFAULTS): 120 Hz, 8 solver iterations (fewer leave the motors short of their
 * targets under load: the PGS solver does not converge along the loaded chain), force-based motors
 * (stiffness N·m/rad, damping = 0.03 s × stiffness), 3 kg feet with +0.1 kg·m² inertia and a collider ending at 3/4 of the toe length, friction 0.8,
 * segments collide with the ground only, hinge limits on elbows and knees.
 */
export { PHYSICS_DEFAULTS, buildHumanoid, humanoidSnapshot, bodyVelocities } from './humanoid.ts';
export type { PhysicsOptions, HumanoidLayout, HumanoidState, JointKind } from './humanoid.ts';
export { HumanoidSim, anglesToMotor, motorCount, landmarksFromBodies, poseFromBodies } from './sim.ts';
export type { BodyState } from './sim.ts';
export { runRollout, rolloutWith } from './rollout.ts';
export type { RolloutSpec, RolloutResult, RootGains } from './rollout.ts';
export { RolloutPool, createSyncRolloutPool, POOL_DEFAULTS } from './pool.ts';
export type { PoolOptions } from './pool.ts';
export { trackMotion, rootGains, TRACKING_DEFAULTS, trackPhysically, PHYSICAL_TRACKING_DEFAULTS } from './tracking.ts';
export type { TrackingOptions, TrackingResult, PhysicalTrackingOptions, PhysicalTrackingResult } from './tracking.ts';
export { controlledRollout, CONTROLLER_DEFAULTS } from './controller.ts';
export type { ControllerOptions, ControlledSpec, ControlledResult } from './controller.ts';
export { BALANCE_DEFAULTS } from './balance.ts';
export type { BalanceOptions } from './balance.ts';
export { controlReference, referenceSlice } from './control-reference.ts';
export type { ControlReference } from './control-reference.ts';
export { searchControls, SAMPLING_DEFAULTS } from './sampling.ts';
export type { SamplingOptions, SearchResult } from './sampling.ts';
export { loadRapier } from './rapier.ts';
export type { Rapier } from './rapier.ts';
