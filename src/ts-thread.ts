import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * Source for `new Worker(code, { eval: true })` that runs a TypeScript module: Node 20 does not
 * pass tsx's loader on to worker threads, so the code registers it through tsx's API first.
 * `onError` is an optional `.catch(...)` body appended as is (e.g. reporting a failed start).
 */
export function typescriptThreadSource(entry: URL, onError = ''): string {
  let api = 'tsx/esm/api';
  try {
    // require.resolve finds the CommonJS entry; the ESM one sits beside it.
    api = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  } catch {
    // fall back to bare resolution from the working directory
  }
  return `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })${onError}`;
}
