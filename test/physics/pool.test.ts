import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSkeleton, angleCount, anglesFromPose } from '../../src/body/index.ts';
import { squatPose } from '../../src/body/procedural.ts';
import {
  createSyncRolloutPool, humanoidSnapshot, loadRapier, rolloutWith, rootGains, RolloutPool,
  type HumanoidLayout, type RolloutSpec, type RolloutResult, type Rapier,
} from '../../src/physics/index.ts';

const skel = createSkeleton();
const D = angleCount(skel);
const K = 6;
// Worker start-up (tsx transpiles in every worker) is slow on a loaded 2-core machine.
const SLOW = 120_000;

/** Different squats with a root reference: what the physics stage's finite differences send. */
function specs(n: number, endSnapshot = false): RolloutSpec[] {
  return Array.from({ length: n }, (_, i) => {
    const targets = new Float64Array((K + 1) * D);
    const positions = new Float64Array((K + 1) * 3), rotations = new Float64Array((K + 1) * 4);
    for (let k = 0; k <= K; k++) {
      const pose = squatPose(skel, 0.04 * k * (1 + (i % 5)) / 5);
      targets.set(anglesFromPose(skel, pose), k * D);
      positions.set(pose.rootPosition, k * 3);
      rotations.set(pose.rootRotation, k * 4);
    }
    return { targets, stepsPerControl: 4, intervals: K, endSnapshot, rootReference: { positions, rotations, interval: 1 / 30, gains: rootGains(skel.mass) } };
  });
}

const bytes = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
function expectIdentical(a: RolloutResult, b: RolloutResult, what: string): void {
  expect(a.frames, what).toBe(b.frames);
  expect(bytes(a.landmarks).equals(bytes(b.landmarks)), `${what}: landmarks`).toBe(true);
  expect(bytes(a.bodies).equals(bytes(b.bodies)), `${what}: bodies`).toBe(true);
  expect(bytes(a.contacts).equals(bytes(b.contacts)), `${what}: contacts`).toBe(true);
  expect(Object.is(a.residualForce, b.residualForce) && Object.is(a.residualTorque, b.residualTorque), `${what}: residuals`).toBe(true);
  expect(a.blowUp, what).toEqual(b.blowUp);
  expect(a.endSnapshot === undefined, `${what}: end snapshot present`).toBe(b.endSnapshot === undefined);
  if (a.endSnapshot) expect(bytes(a.endSnapshot).equals(bytes(b.endSnapshot!)), `${what}: end snapshot`).toBe(true);
}

describe('rollout pool: batches, sync facade, determinism', () => {
  let R: Rapier;
  let snapshot: Uint8Array;
  let layout: HumanoidLayout;
  let pool: RolloutPool;
  beforeAll(async () => {
    R = await loadRapier();
    ({ snapshot, layout } = await humanoidSnapshot(skel, { pose: squatPose(skel, 0) }));
    pool = await createSyncRolloutPool({ workers: 2 });
  }, SLOW);
  afterAll(async () => { await pool?.close(); });

  it('runBatchSync of rollouts with a closed-loop root on 2 workers is bit-identical to the main thread, in input order', () => {
    const batch = specs(8, true);
    const main = batch.map((s) => rolloutWith(R, layout, snapshot, s));
    // The rollouts differ from each other, so a result in the wrong slot would show.
    expect(bytes(main[0]!.landmarks).equals(bytes(main[1]!.landmarks))).toBe(false);
    const workers = pool.runBatchSync(layout, snapshot, batch);
    expect(workers).toHaveLength(batch.length);
    workers.forEach((r, i) => expectIdentical(r, main[i]!, `rollout ${i}`));
    // Again, with the same workers (state left by the previous batch must not leak).
    pool.runBatchSync(layout, snapshot, batch).forEach((r, i) => expectIdentical(r, main[i]!, `repeat ${i}`));
  }, SLOW);

  it('runs batches async and sync alike, and concurrent async batches queue', async () => {
    const batch = specs(5);
    const main = batch.map((s) => rolloutWith(R, layout, snapshot, s));
    const [a, b] = await Promise.all([pool.runBatch(layout, snapshot, batch.slice(0, 3)), pool.runBatch(layout, snapshot, batch.slice(3))]);
    [...a!, ...b!].forEach((r, i) => expectIdentical(r, main[i]!, `async ${i}`));
    pool.runBatchSync(layout, snapshot, batch).forEach((r, i) => expectIdentical(r, main[i]!, `sync ${i}`));
    expect(pool.runBatchSync(layout, snapshot, [])).toEqual([]);
  }, SLOW);

  it('a failing rollout becomes an error naming it, and the pool keeps working', () => {
    const batch = specs(3);
    batch[1] = { ...batch[1]!, targets: new Float64Array(7) };
    expect(() => pool.runBatchSync(layout, snapshot, batch)).toThrow(/rollout 1: rollout targets must hold/);
    const ok = specs(2);
    pool.runBatchSync(layout, snapshot, ok)
      .forEach((r, i) => expectIdentical(r, rolloutWith(R, layout, snapshot, ok[i]!), `after error ${i}`));
  }, SLOW);

  it('a pool of 0 workers runs on the calling thread; a closed pool refuses work', async () => {
    const local = await createSyncRolloutPool({ workers: 0 });
    const batch = specs(2);
    local.runBatchSync(layout, snapshot, batch)
      .forEach((r, i) => expectIdentical(r, rolloutWith(R, layout, snapshot, batch[i]!), `0 workers ${i}`));
    local.free();
    expect(() => local.runBatchSync(layout, snapshot, batch)).toThrow(/closed/);
    await expect(local.runBatch(layout, snapshot, batch)).rejects.toThrow(/closed/);
  });
});
