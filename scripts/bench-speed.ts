/**
 * `npm run bench:speed`: median wall time of one Optimus step at N = 10, 100, 1000 and
 * 10 000 parameters, and of one L-BFGS step, on the default backend (wasm). Thin
 * wrapper: the measurement is src/optimus/bench/speed.ts.
 */
import { measureStepSpeed } from '../src/optimus/bench/speed.ts';
import { helpIfAsked } from './args.ts';

helpIfAsked(import.meta.url);

await measureStepSpeed({ log: (line) => process.stdout.write(line + '\n') });
