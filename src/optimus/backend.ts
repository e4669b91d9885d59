/**
 * TensorFlow.js setup shared by the whole project. `tf` is the bare tfjs-core with
 * chained ops and gradients registered (needed in ESM, see FIELD-NOTES), and
 * `initBackend` selects the backend:
 *  - 'wasm' (default): works everywhere, offline; the binary loads from node_modules.
 *  - 'cpu': the pure-JS backend (slow, but needs nothing).
 *  - 'tensorflow': the native backend of @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node,
 *    if the user installed one (optional: their install downloads a native library).
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-cpu';
import { UserError } from '../errors.ts';

// Bare tfjs-core in ESM registers neither chained ops (t.add(...)) nor gradients; the
// registration modules are extension-less ESM sources with directory imports that the
// ESM loader refuses, so they are loaded through require. Both registries live on the
// global object, so they apply to the tfjs-core instance imported above.
const require = createRequire(import.meta.url);
require('@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops');
require('@tensorflow/tfjs-core/dist/register_all_gradients');

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
