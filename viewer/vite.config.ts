import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

// The viewer imports src/formats (schemas) and src/export (the same exporters as
// the CLI). Those modules also hold Node-only file helpers that the viewer never
// calls; they resolve to a small shim in the browser bundle.
const shim = fileURLToPath(new URL('./src/node-shim.ts', import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  resolve: {
    alias: [
      { find: /^node:(fs|path|crypto)$/, replacement: shim },
    ],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    reportCompressedSize: false,
  },
  server: { fs: { allow: ['..'] } },
});
