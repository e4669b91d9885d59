import type { Command } from 'commander';
import { Progress, formatSeconds } from '../progress.ts';
import { nonNegativeNumber } from '../parse.ts';
import { UserError } from '../../errors.ts';
import { readTrainConfig, runTraining, defaultStatePath, heldOutWins } from '../../optimus/train/run.ts';
import { referenceOptimizers, trainingFamilies } from '../../optimus/train/registry.ts';
import { reconstructionFamilies } from '../../reconstruct/window-tasks-physics.ts';

interface TrainFlags {
  config: string;
  out: string;
  resume?: boolean;
  seed?: number;
  minutes?: number;
  state?: string;
  quiet?: boolean;
}

function seedOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UserError(`--seed must be a non-negative integer, got "${value}"`);
  return n;
}

/** Every task family a config names (reconstruction windows are built only when named). */
function familyNames(c: ReturnType<typeof readTrainConfig>): string[] {
  return [...c.tasks.train.families, ...c.tasks.validation.families, ...c.tasks.heldOut.flatMap((g) => g.families)];
}

/** `optimus-motion train`: meta-trains a learned optimizer with PES from a config file. */
export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('meta-train a learned optimizer (Optimus or the adafac-mlp baseline) with Persistent Evolution Strategies')
    .requiredOption('--config <file>', 'training config (JSON, see data/train/*.json)')
    .requiredOption('--out <file>', 'model checkpoint to write, e.g. models/optimus-bench.json (rewritten atomically at every checkpoint)')
    .option('--resume', 'continue bit-for-bit from the training state of an earlier run')
    .option('--seed <n>', 'seed (overrides the config\'s seed)', seedOption)
    .option('--minutes <m>', 'wall-clock budget of the training loop; the final held-out evaluation runs after it', nonNegativeNumber('--minutes'))
    .option('--state <file>', 'training state for --resume (default runs/<out name>.state.json)')
    .option('--quiet', 'no progress output')
    .action(async (flags: TrainFlags) => {
      const config = readTrainConfig(flags.config);
      const log = (line: string) => { if (!flags.quiet) process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}[train ${new Date().toISOString().slice(11, 19)}] ${line}\n`); };
      let progress: Progress | null = null;
      const statePath = flags.state ?? defaultStatePath(flags.out);
      const result = await runTraining({
        config,
        configSource: flags.config,
        out: flags.out,
        statePath,
        resume: flags.resume,
        seed: flags.seed,
        minutes: flags.minutes,
        references: referenceOptimizers(),
        families: { ...trainingFamilies(), ...(await reconstructionFamilies(familyNames(config), 'runs/physics-windows', log)) },
        log,
        onStep: (_r, p) => {
          // Counted in this invocation's steps, so the ETA is right after a resume too.
          progress ??= new Progress('training', p.stepsThisRun + Math.max(0, p.expectedSteps - p.outerStep), { quiet: flags.quiet });
          progress.update(p.stepsThisRun, `outer step ${p.outerStep} meta-loss ${p.metaLoss.toFixed(3)} eval ${p.evalLoss?.toFixed(3) ?? '-'} (${p.stepsPerSecond.toFixed(2)} steps/s)`);
        },
      });
      (progress as Progress | null)?.done();
      const s = result.state;
      process.stdout.write(`trained ${config.kind}: ${s.outerStep} outer steps (${s.skippedSteps} skipped), ${formatSeconds(s.wallMs / 1000)} of training, stopped by ${result.stoppedBy}\n`);
      process.stdout.write(`model: ${result.modelPath}   state: ${result.statePath}\n`);
      if (result.heldOut) {
        const names = Object.keys(result.heldOut[0]?.meanLog10Gap ?? {});
        process.stdout.write(`held-out mean log10 gap (${config.heldOutGradEvals} gradient evaluations):\n`);
        process.stdout.write(`| family | dim | ${names.join(' | ')} |\n|---|---|${names.map(() => '---').join('|')}|\n`);
        for (const c of result.heldOut) {
          process.stdout.write(`| ${c.family} | ${c.dim} | ${names.map((n) => c.meanLog10Gap[n]?.toFixed(2) ?? '-').join(' | ')} |\n`);
        }
        const wins = heldOutWins(result.heldOut, config.kind);
        process.stdout.write(`${config.kind} has the lower mean log10 gap in: ${Object.entries(wins).map(([n, w]) => `${(100 * w).toFixed(0)}% of cells vs ${n}`).join(', ')}\n`);
      }
    });
}
