/**
 * TensorFlow.js setup shared by the whole project. `tf` is the bare tfjs-core;
 * `initBackend` (await it before using tf) registers chained ops and gradients (needed
 * with bare tfjs-core, see docs/platform-notes.md) and selects the backend:
 *  - 'wasm' (default): works everywhere, offline; the binary loads from node_modules.
 *  - 'cpu': the pure-JS backend (slow, but needs nothing).
 *  - 'tensorflow': the native backend of @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node,
 *    if the user installed one (optional: their install downloads a native library).
 */
import * as tf from '@tensorflow/tfjs-core';
import { require as tsxRequire } from 'tsx/cjs/api';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-cpu';
import { UserError } from '../errors.ts';

// Bare tfjs-core registers neither chained ops (t.add(...)) nor gradients, and its
// registration modules are ESM sources with extension-less and directory imports that
// Node's loaders refuse (also under vitest). tsx's namespaced require transpiles and
// resolves them; both registries live on the global object, so they apply to the
// tfjs-core instance imported above.
// This costs seconds (hundreds of small modules), so it runs once, in `initBackend`,
// which every user of tf calls first; code that never touches tfjs does not pay.
let registered = false;
function registerChainedOpsAndGradients(): void {
  if (registered) return;
  tsxRequire('@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops', import.meta.url);
  tsxRequire('@tensorflow/tfjs-core/dist/register_all_gradients', import.meta.url);
  registered = true;
}

export { tf };

export type BackendName = 'wasm' | 'tensorflow' | 'cpu';
export const BACKENDS: readonly BackendName[] = ['wasm', 'tensorflow', 'cpu'];

/** Parses a backend name from user input (CLI flag), refusing unknown names. */
export function parseBackend(value: string): BackendName {
  if ((BACKENDS as readonly string[]).includes(value)) return value as BackendName;
  throw new UserError(`unknown backend "${value}" (choose one of: ${BACKENDS.join(', ')})`);
}

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

let active: BackendName | null = null;

/** The backend `initBackend` set up, or null when tfjs has not been initialised. */
export function activeBackend(): BackendName | null {
  return active;
}

/** Selects and initialises a tfjs backend; resolves to the backend actually in use. */
export async function initBackend(name: BackendName = 'wasm'): Promise<BackendName> {
  if (!(BACKENDS as readonly string[]).includes(name)) parseBackend(name);
  if (active === name) return name;
  registerChainedOpsAndGradients();
  if (name === 'tensorflow') {
    if (tf.findBackend('tensorflow') === null) {
      let loaded = false;
      for (const pkg of NATIVE_PACKAGES) {
        try {
          // Optional peer: imported only when asked for, never listed in dependencies.
          await import(pkg);
          loaded = true;
          break;
        } catch {
          // try the next package
        }
      }
      if (!loaded || tf.findBackend('tensorflow') === null) {
        throw new UserError(
          'backend "tensorflow" needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node: ' +
            'install one with `npm install @tensorflow/tfjs-node` (CPU) or `npm install @tensorflow/tfjs-node-gpu` (CUDA), ' +
            'or use --backend wasm',
        );
      }
    }
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new UserError(`tfjs backend "${name}" failed to initialise`);
  await tf.ready();
  active = name;
  return name;
}
