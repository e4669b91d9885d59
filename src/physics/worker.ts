/**
 * Rollout worker thread (started by pool.ts with `--import tsx`): receives layouts and
 * rollout jobs, answers with results. Same wasm, same inputs → bit-identical results.
 */
import { parentPort } from 'node:worker_threads';
import { loadRapier } from './rapier.ts';
import { rolloutWith, type RolloutResult } from './rollout.ts';
import type { HumanoidLayout } from './humanoid.ts';
import type { WorkerRequest, WorkerResponse } from './pool.ts';

const R = await loadRapier();
const layouts = new Map<number, HumanoidLayout>();
const port = parentPort!;

port.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'layout') {
    layouts.set(msg.layoutId, msg.layout);
    return;
  }
  let reply: WorkerResponse;
  const transfer: ArrayBuffer[] = [];
  try {
    const layout = layouts.get(msg.layoutId);
    if (!layout) throw new Error(`worker has no layout ${msg.layoutId}`);
    const result: RolloutResult = rolloutWith(R, layout, msg.snapshot, msg.spec);
    transfer.push(result.landmarks.buffer as ArrayBuffer, result.bodies.buffer as ArrayBuffer, result.contacts.buffer as ArrayBuffer);
    if (result.endSnapshot) transfer.push(result.endSnapshot.buffer as ArrayBuffer);
    reply = { id: msg.id, result };
  } catch (e) {
    reply = { id: msg.id, error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply, transfer);
});
port.postMessage({ id: -1, ready: true } satisfies WorkerResponse);
