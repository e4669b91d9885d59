import type { Command } from 'commander';
import { writeJsonAtomic } from '../../formats/io.ts';
import { evaluateFiles } from '../../eval/evaluate.ts';
import { UserError } from '../../errors.ts';

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('score a motion.json (or a truth.json) against a truth.json: MPJPE, PA-MPJPE, MPJPE-G, acceleration error, foot skating, penetration, float; with the physics residual of the report.json beside a motion.json')
    .argument('<motion.json>', 'the prediction: a motion.json, or a truth.json')
    .requiredOption('--truth <truth.json>', 'ground truth written by `optimus-motion synth`')
    .option('--json <file>', 'also write the metrics to this metrics.json')
    .option('--frame <frame>', 'coordinates of the position metrics: camera (default when both files carry a camera) or world')
    .option('--quiet', 'print nothing but errors')
    .action((motion: string, opts: { truth: string; json?: string; frame?: string; quiet?: boolean }) => {
      if (opts.frame !== undefined && opts.frame !== 'camera' && opts.frame !== 'world') {
        throw new UserError(`--frame must be camera or world, got "${opts.frame}"`);
      }
      const m = evaluateFiles(motion, opts.truth, opts.frame ? { frame: opts.frame } : {});
      if (opts.json) writeJsonAtomic(opts.json, m, 2);
      if (!opts.quiet) {
        const rows: Array<[string, string]> = [
          ['MPJPE (root-aligned)', `${m.mpjpe.toFixed(1)} mm`],
          ['PA-MPJPE (Procrustes)', `${m.paMpjpe.toFixed(1)} mm`],
          ['MPJPE-G (global)', `${m.mpjpeG.toFixed(1)} mm`],
          ['acceleration error', `${m.accelError.toFixed(2)} mm/frame²`],
          ['foot skating', `${m.footSkatePct.toFixed(1)} % of frames (truth ${m.truthFootSkatePct.toFixed(1)} %)`],
          ['ground penetration', `${m.penetrationMm.toFixed(1)} mm (truth ${m.truthPenetrationMm.toFixed(1)} mm)`],
          ['ground distance', `${m.groundDistanceMm.toFixed(1)} mm`],
          ['float above ground', `${(m.floatMm ?? 0).toFixed(1)} mm (lowest foot point, contact frames)`],
          ...(m.residual ? [['physics residual', `${m.residual.meanPctBodyWeight.toFixed(1)} % of body weight mean, ${m.residual.maxPctBodyWeight.toFixed(1)} % max, ${m.residual.framesAbove10Pct} frames above 10 % (report.json)`] as [string, string]] : []),
          ['frames', String(m.frames)],
          ['position metrics in', `${m.frame} coordinates`],
        ];
        for (const [k, v] of rows) process.stdout.write(`${k.padEnd(24)}${v}\n`);
        if (opts.json) process.stdout.write(`wrote ${opts.json}\n`);
      }
    });
}
