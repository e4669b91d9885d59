/**
 * Rollout worker thread (started by pool.ts): loads Rapier, then loops — sleep on the batch
 * generation, read the batch from its port, claim tasks from the shared counter until none are
 * left, post each result (buffers transferred). The loop blocks this thread's event loop on
 * purpose: everything arrives through `receiveMessageOnPort`, so the main thread can run batches
 * while it is itself blocked in `Atomics.wait` (pool-protocol.ts). Same wasm, same inputs →
 * bit-identical results.
 */
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { loadRapier } from './rapier.ts';
import type { HumanoidLayout } from './humanoid.ts';
import { runSpec, type PoolResult } from './run-spec.ts';
import { CTL, linuxThreadId, type BatchMessage, type WorkerInit, type WorkerReply } from './pool-protocol.ts';

const init = workerData as WorkerInit;
const control = new Int32Array(init.control);
const claim = new BigInt64Array(init.claim);
const port = init.port;
const layouts = new Map<number, HumanoidLayout>();

/** Tells a main thread blocked in Atomics.wait that this worker is gone (it cannot see 'exit' events then). */
let reportedExit = false;
function reportExit(): void {
  if (reportedExit) return;
  reportedExit = true;
  Atomics.add(control, CTL.exited, 1);
  Atomics.notify(control, CTL.done);
  Atomics.notify(control, CTL.ready);
}
process.on('exit', reportExit);

const R = await loadRapier();

/** The batch of generation `gen`: older messages on the port belong to batches finished without us. */
function batchOf(gen: number): BatchMessage {
  for (let spins = 0; ; spins++) {
    const m = receiveMessageOnPort(port)?.message as BatchMessage | undefined;
    if (m) {
      if (m.layout) layouts.set(m.layoutId, m.layout);
      if (m.gen === gen) return m;
      continue;
    }
    // The message is queued before the generation is bumped; this only guards against surprises.
    if (spins > 10_000) throw new Error(`rollout worker ${init.index}: no batch message for generation ${gen}`);
    Atomics.wait(control, CTL.stop, 0, 1);
  }
}

/** Takes the next task index of batch `gen`, or −1 when the batch has none left (or moved on). */
function claimTask(gen: number, count: number): number {
  for (;;) {
    const word = Atomics.load(claim, 0);
    const index = Number(word & 0xffffffffn);
    if (Number(word >> 32n) !== gen || index >= count) return -1;
    if (Atomics.compareExchange(claim, 0, word, word + 1n) === word) return index;
  }
}

function runBatch(batch: BatchMessage): void {
  const layout = layouts.get(batch.layoutId);
  for (let i = claimTask(batch.gen, batch.specs.length); i >= 0; i = claimTask(batch.gen, batch.specs.length)) {
    let reply: WorkerReply;
    const transfer: ArrayBuffer[] = [];
    try {
      if (!layout) throw new Error(`rollout worker ${init.index} has no layout ${batch.layoutId}`);
      const result: PoolResult = runSpec(R, layout, batch.snapshot, batch.specs[i]!);
      transfer.push(result.landmarks.buffer as ArrayBuffer, result.bodies.buffer as ArrayBuffer, result.contacts.buffer as ArrayBuffer);
      if (result.endSnapshot) transfer.push(result.endSnapshot.buffer as ArrayBuffer);
      reply = { gen: batch.gen, index: i, result };
    } catch (e) {
      reply = { gen: batch.gen, index: i, error: e instanceof Error ? e.message : String(e) };
    }
    port.postMessage(reply, transfer);
    // Wake the main thread for the last result only: a wake-up per task would steal a core from a worker.
    if (Atomics.add(control, CTL.done, 1) + 1 === batch.specs.length) Atomics.notify(control, CTL.done);
  }
}

new Int32Array(init.threadIds)[init.index] = linuxThreadId();
Atomics.add(control, CTL.ready, 1);
Atomics.notify(control, CTL.ready);
let seen = 0;
try {
  for (;;) {
    Atomics.wait(control, CTL.gen, seen);
    if (Atomics.load(control, CTL.stop)) break;
    seen = Atomics.load(control, CTL.gen);
    runBatch(batchOf(seen));
  }
} catch (e) {
  if (!Atomics.load(control, CTL.stop)) reportExit();
  throw e;
}
port.close();
