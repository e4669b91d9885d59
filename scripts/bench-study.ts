/**
 * `npm run bench:study`: the README's generalization study (issue 3) in one command: the
 * convex check of `npm run bench:convergence`, then the bench on every built-in family at
 * dims 2, 10 and 100 (10 seeds, every optimizer) and at dim 1000 (3 seeds, the optimizers
 * that scale). Writes data/bench/study{,-1000}.{md,svg}; each bench is the same
 * `optimus-motion bench` command the README lists, run in this process.
 * The convex check runs first, as it does alone: once `bench` has started the wasm backend,
 * Optimus at N ≥ 80 runs its network through tfjs, whose last bits differ from the plain-JS
 * pass (measured: 283.5 instead of 288 evaluations at N = 100, the same 0.54 ratio).
 */
import { main } from '../src/cli/main.ts';
import { measureConvergence } from '../src/optimus/bench/convergence.ts';
import { helpIfAsked } from './args.ts';

helpIfAsked(import.meta.url);

const OBJECTIVES = 'rosenbrock,rastrigin,ackley,levy,griewank,dixon-price,powell,perm,quadratic';
const BENCHES: string[][] = [
  ['--dims', '2,10,100', '--seeds', '10', '--markdown', 'data/bench/study.md', '--plot', 'data/bench/study.svg'],
  ['--dims', '1000', '--seeds', '3', '--optimizers', 'optimus,adafac-mlp,adam,lbfgs', '--markdown', 'data/bench/study-1000.md', '--plot', 'data/bench/study-1000.svg'],
];

measureConvergence({ log: (line) => process.stdout.write(line + '\n') });
for (const args of BENCHES) {
  await main(['node', 'optimus-motion', 'bench', '--objectives', OBJECTIVES, '--steps', '200', ...args]);
  if (process.exitCode) process.exit(process.exitCode);
}
