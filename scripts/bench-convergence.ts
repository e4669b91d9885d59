/**
 * `npm run bench:convergence`: gradient evaluations Optimus, L-BFGS, BFGS and Adam need
 * to reach a gap of 1e-6 on ill-conditioned quadratics (issue 3's convex target:
 * Optimus within 2× of L-BFGS). Thin wrapper over src/optimus/bench/convergence.ts.
 */
import { measureConvergence } from '../src/optimus/bench/convergence.ts';
import { helpIfAsked } from './args.ts';

helpIfAsked(import.meta.url);

measureConvergence({ log: (line) => process.stdout.write(line + '\n') });
