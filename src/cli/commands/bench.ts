import type { Command } from 'commander';
import { UserError } from '../../errors.ts';
import { writeFileAtomic, writeJsonAtomic } from '../../formats/io.ts';
import { parseBackend } from '../../optimus/backend.ts';
import { benchMarkdown, benchSvg } from '../../optimus/bench/report.ts';
import { BENCH_DEFAULTS, runBench } from '../../optimus/bench/run.ts';
import { BUILTIN_OBJECTIVE_NAMES } from '../../optimus/objectives/registry.ts';
import { OPTIMIZER_NAMES } from '../../optimus/optimizers.ts';
import { collect, intList, nonNegativeInt, positiveInt, stringList } from '../parse.ts';
import { Progress } from '../progress.ts';

interface BenchFlags {
  objectives?: string[];
  objective?: string[];
  dims: number[];
  seeds: number;
  firstSeed: number;
  optimizers: string[];
  steps: number;
  json?: string;
  markdown?: string;
  plot?: string;
  checkpoint?: string;
  adafacCheckpoint?: string;
  backend?: string;
  tune: boolean;
  quiet?: boolean;
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('Benchmark Optimus against SGD, momentum, Adam, BFGS, L-BFGS and the Adafactor-MLP learned optimizer on test functions, with equal gradient-evaluation budgets')
    .option('--objectives <names>', `built-in objectives, comma-separated (${BUILTIN_OBJECTIVE_NAMES.join(', ')}); default: ${BENCH_DEFAULTS.objectives.join(',')}`, stringList)
    .option('--objective <module.mjs>', 'an objective module following DESIGN §4.1 (repeatable)', collect)
    .option('--dims <list>', 'dimensions, comma-separated', intList('--dims'), BENCH_DEFAULTS.dims)
    .option('--seeds <n>', 'number of evaluation seeds per objective and dimension', positiveInt('--seeds'), BENCH_DEFAULTS.seeds)
    .option('--first-seed <s>', 'first evaluation seed: the seeds are s … s+n−1 (another s gives a held-out seed set)', nonNegativeInt('--first-seed'), BENCH_DEFAULTS.firstSeed)
    .option('--optimizers <names>', `optimizers, comma-separated (${OPTIMIZER_NAMES.join(', ')})`, stringList, BENCH_DEFAULTS.optimizers)
    .option('--steps <n>', 'budget of gradient evaluations per run (line-search evaluations count)', positiveInt('--steps'), BENCH_DEFAULTS.steps)
    .option('--json <file>', 'write the results (DESIGN §4.2)')
    .option('--markdown <file>', 'write the results table as Markdown')
    .option('--plot <file.svg>', 'write the loss curves as an SVG plot')
    .option('--checkpoint <file>', 'Optimus checkpoint (default: models/optimus-bench.json when present, else an untrained network)')
    .option('--adafac-checkpoint <file>', 'Adafactor-MLP checkpoint (default: models/adafac-mlp-bench.json when present)')
    .option('--backend <name>', 'tfjs backend for large-N Optimus passes: wasm (default), tensorflow (needs @tensorflow/tfjs-node), cpu')
    .option('--no-tune', 'use default learning rates instead of tuning them per objective')
    .option('--quiet', 'no progress output')
    .action(async (flags: BenchFlags) => {
      if (flags.plot && !flags.plot.toLowerCase().endsWith('.svg')) throw new UserError(`--plot writes SVG; give a file ending in .svg, got "${flags.plot}"`);
      let progress: Progress | null = null;
      const result = await runBench({
        objectives: flags.objectives ?? [],
        objectiveModules: flags.objective ?? [],
        dims: flags.dims,
        seeds: flags.seeds,
        firstSeed: flags.firstSeed,
        optimizers: flags.optimizers,
        steps: flags.steps,
        ...(flags.checkpoint ? { checkpoint: flags.checkpoint } : {}),
        ...(flags.adafacCheckpoint ? { adafacCheckpoint: flags.adafacCheckpoint } : {}),
        ...(flags.backend ? { backend: parseBackend(flags.backend) } : {}),
        tune: flags.tune,
        onProgress: (done, total, detail) => {
          progress ??= new Progress('bench', total, { quiet: flags.quiet ?? false });
          progress.update(done, detail);
        },
      });
      (progress as Progress | null)?.done();
      const markdown = benchMarkdown(result.file);
      if (flags.json) writeJsonAtomic(flags.json, result.file);
      if (flags.markdown) writeFileAtomic(flags.markdown, markdown);
      if (flags.plot) writeFileAtomic(flags.plot, benchSvg(result.file));
      process.stdout.write(markdown);
      for (const [flag, path] of [['json', flags.json], ['markdown', flags.markdown], ['plot', flags.plot]] as const) {
        if (path) process.stdout.write(`wrote ${flag}: ${path}\n`);
      }
    });
}
