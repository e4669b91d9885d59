#!/usr/bin/env node
// Entry point for `npx optimus-motion`: registers the tsx loader so the TypeScript
// sources run directly (no build step), then hands over to the CLI.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
