import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DEMO_DEFAULTS, runDemo } from '../../reconstruct/demo.ts';
import { KINEMATIC_DEFAULTS } from '../../reconstruct/kinematic.ts';
import { PHYSICS_STAGE_DEFAULTS } from '../../reconstruct/physics-options.ts';
import { OPTIMIZER_NAMES, parseOptimizerName } from '../../optimus/optimizers.ts';
import { nonNegativeInt, positiveInt } from '../parse.ts';
import { Progress } from '../progress.ts';
import { summary } from './reconstruct.ts';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('reconstruct a sample the project makes itself (synthetic squat with detector-like noise), score it against its ground truth, and say where the results are')
    .option('--out <dir>', 'output folder', join(tmpdir(), 'optimus-motion-demo'))
    .option('--seconds <s>', 'use only the first S seconds of the sample', Number)
    .option('--iterations <n>', `optimizer iterations per physics window on top of the sampling search (default ${PHYSICS_STAGE_DEFAULTS.iterations}; 0: the search alone)`, nonNegativeInt('--iterations'))
    .option('--kinematic-iterations <n>', `kinematic iterations per window (default ${KINEMATIC_DEFAULTS.iterations})`, positiveInt('--kinematic-iterations'))
    .option('--optimizer <name>', `optimizer: ${OPTIMIZER_NAMES.join(', ')}`, parseOptimizerName, DEMO_DEFAULTS.optimizer)
    .option('--no-physics', 'kinematic stage only')
    .option('--quiet', 'no progress output')
    .action(async (opts: { out: string; seconds?: number; iterations?: number; kinematicIterations?: number; optimizer: string; physics: boolean; quiet?: boolean }) => {
      const bars: Record<string, Progress> = {};
      const r = await runDemo({
        out: opts.out, seconds: opts.seconds, iterations: opts.iterations, kinematicIterations: opts.kinematicIterations,
        optimizer: opts.optimizer, physics: opts.physics,
        onProgress: (stage, done, total) => {
          bars[stage] ??= new Progress(stage, total, { quiet: opts.quiet });
          bars[stage]!.update(done);
          if (done >= total) bars[stage]!.done();
        },
      });
      const m = r.metrics;
      const scores = (label: string, e: typeof m) => [
        `  ${label}MPJPE ${e.mpjpe.toFixed(1)} mm, PA-MPJPE ${e.paMpjpe.toFixed(1)} mm, MPJPE-G ${e.mpjpeG.toFixed(1)} mm`,
        `  ${' '.repeat(label.length)}acceleration error ${e.accelError.toFixed(2)} mm/frame², foot skating ${e.footSkatePct.toFixed(1)} % (truth ${e.truthFootSkatePct.toFixed(1)} %), penetration ${e.penetrationMm.toFixed(1)} mm, float ${(e.floatMm ?? 0).toFixed(1)} mm`,
      ];
      process.stdout.write(summary(r.reconstruction));
      process.stdout.write([
        `metrics vs ground truth (${r.metricsPath}):`,
        ...(r.kinematicMetrics ? [...scores('kinematic: ', r.kinematicMetrics), ...scores('physics:   ', m)] : scores('', m)),
        `demo finished in ${(r.ms / 1000).toFixed(1)} s; inputs: ${r.keypoints}, ${r.truth}`,
        `open the viewer: optimus-motion view ${r.out}`,
        '',
      ].join('\n'));
    });
}
