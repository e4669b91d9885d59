/**
 * Loads Rapier once per thread (the compat build inlines its wasm, so it works in Node
 * and in worker threads without files or network).
 */
import RAPIER from '@dimforge/rapier3d-compat';

let ready: Promise<typeof RAPIER> | null = null;

export async function loadRapier(): Promise<typeof RAPIER> {
  if (!ready) {
    ready = (async () => {
      // The compat package logs a deprecation warning for the positional init argument; call it bare.
      await RAPIER.init();
      return RAPIER;
    })();
  }
  return ready;
}

export type Rapier = typeof RAPIER;
