import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { UserError } from '../../errors.ts';
import type { ExportFormat } from '../../export/index.ts';
import { parseBackend } from '../../optimus/backend.ts';
import { KINEMATIC_DEFAULTS } from '../../reconstruct/kinematic.ts';
import { OPTIMIZER_NAMES, parseOptimizerName } from '../../optimus/optimizers.ts';
import { PHYSICS_STAGE_DEFAULTS } from '../../reconstruct/physics-stage.ts';
import { CONTROLLERS, type ControllerName } from '../../reconstruct/physics-options.ts';
import type { PhysicsAccounting } from '../../formats/motion.ts';
import { chooseStageCheckpoint, describeOptimizer } from '../../reconstruct/optimizers.ts';
import { reconstruct, type ReconstructReport } from '../../reconstruct/pipeline.ts';
import { choice, exportList, nonNegativeInt, positiveInt } from '../parse.ts';
import { Progress } from '../progress.ts';
import { detectionOptionsFrom, withDetectionOptions } from './ingest.ts';

export function registerReconstruct(program: Command): void {
  const cmd = program
    .command('reconstruct')
    .description('reconstruct physically plausible 3D motion from a video or a keypoints.json: kinematic fit, then physics fit (a simulated body driven by joint torques; the chosen optimizer refines its controls with --iterations N)')
    .argument('<input>', 'a video (ingested first) or a keypoints.json')
    .requiredOption('--out <dir>', 'output folder (keypoints.json, kinematic.json, motion.json, exports, report.json)');
  // A video is ingested first: the detection options pass through to ingest.
  withDetectionOptions(cmd)
    .option('--no-physics', 'stop after the kinematic stage (motion.json = kinematic fit)')
    .option('--optimizer <name>', `optimizer of the physics stage: ${OPTIMIZER_NAMES.join(', ')}`, parseOptimizerName, 'optimus')
    .option('--kinematic-optimizer <name>', 'optimizer of the kinematic stage (exact gradients)', parseOptimizerName, 'lbfgs')
    .option('--checkpoint <file>', 'Optimus checkpoint for both stages (default: models/optimus-bench.json in the kinematic stage, models/optimus-motion.json, trained on reconstruction windows, in the physics stage); report.json names it with its hash')
    .option('--controller <name>', 'physics controller: physical (no external force: joint torques, balance layer and sampling search) or puppet (a root PD force holds the pelvis up, reported as residual; not physical)', choice('--controller', Object.keys(CONTROLLERS) as ControllerName[]), 'physical')
    .option('--iterations <n>', `optimizer iterations per physics window on top of the sampling search (default ${PHYSICS_STAGE_DEFAULTS.iterations}, guarded: a window keeps them only if they track better without falling sooner; 0: the search alone)`, nonNegativeInt('--iterations'))
    .option('--kinematic-iterations <n>', `kinematic iterations per window (default ${KINEMATIC_DEFAULTS.iterations})`, positiveInt('--kinematic-iterations'))
    .option('--workers <w>', 'rollout worker threads for the physics stage (0: main thread only; the result does not depend on it)', nonNegativeInt('--workers'), availableParallelism())
    .option('--height <m>', 'subject stature in metres, when known (otherwise estimated from bone lengths)', Number)
    .option('--exports <list>', 'export formats written next to motion.json: bvh,glb,csv or none', exportList, ['bvh', 'glb', 'csv'] as ExportFormat[])
    .option('--backend <name>', 'tfjs backend: wasm, cpu, tensorflow', parseBackend, 'wasm')
    .option('--resume', 'continue an interrupted run from its last finished window')
    .option('--force', 'redo every stage even when its output is up to date')
    .option('--quiet', 'no progress output')
    .action(async (input: string, opts: Record<string, any> & {
      out: string; physics: boolean; optimizer: string; kinematicOptimizer: string; checkpoint?: string; iterations?: number; kinematicIterations?: number; workers?: number;
      height?: number; exports: ExportFormat[]; backend: 'wasm' | 'cpu' | 'tensorflow'; resume?: boolean; force?: boolean; quiet?: boolean;
    }) => {
      if (opts.height !== undefined && !(opts.height > 0.5 && opts.height < 2.5)) throw new UserError(`--height must be between 0.5 and 2.5 metres, got ${opts.height}`);
      const bars: Record<string, Progress> = {};
      // The checkpoint's bytes ride in both stages' options, so their stamps change with it.
      const tag = opts.checkpoint ? checkpointTag(opts.checkpoint) : {};
      const report = await reconstruct(input, {
        out: opts.out,
        physics: opts.physics,
        optimizer: opts.optimizer,
        kinematicOptimizer: opts.kinematicOptimizer,
        iterations: opts.iterations,
        physicsStage: { ...CONTROLLERS[opts.controller as ControllerName], ...tag },
        workers: opts.workers,
        kinematic: opts.kinematicIterations || opts.checkpoint ? { ...(opts.kinematicIterations ? { iterations: opts.kinematicIterations } : {}), ...tag } : undefined,
        subjectHeight: opts.height,
        ingest: detectionOptionsFrom(opts),
        exports: opts.exports,
        backend: opts.backend,
        resume: opts.resume,
        force: opts.force,
        onProgress: (stage, done, total) => {
          bars[stage] ??= new Progress(stage, total, { quiet: opts.quiet });
          bars[stage]!.update(done);
          if (done >= total) bars[stage]!.done();
        },
      });
      if (!opts.quiet) process.stdout.write(summary(report));
    });
}

/** Makes `path` the stages' Optimus checkpoint (refused with one line if it does not load) and returns the option that stamps it. */
function checkpointTag(path: string): Record<string, string> {
  chooseStageCheckpoint(path);
  return { optimusCheckpoint: describeOptimizer('optimus') };
}

export function summary(r: ReconstructReport): string {
  const lines = [`reconstructed ${r.frames} frames (${(r.frames / r.fps).toFixed(1)} s at ${r.fps} fps) into ${r.out}`];
  if (r.framesWithoutPerson.length) lines.push(`  frames without a person (filled, flagged in motion.json): ${r.framesWithoutPerson.length}`);
  lines.push(`  subject ${r.subject.height.toFixed(2)} m; camera ${r.camera.height.toFixed(2)} m high, pitched ${r.camera.pitchDeg.toFixed(1)}° down${r.camera.focalPx ? `, f = ${r.camera.focalPx.toFixed(0)} px${r.camera.intrinsicsFrom ? ` (${r.camera.intrinsicsFrom === 'guess' ? 'default' : `from ${r.camera.intrinsicsFrom}`})` : ''}` : ''}`);
  if (r.camera.warning) lines.push(`  warning: ${r.camera.warning}`);
  for (const [name, s] of Object.entries(r.stages)) {
    lines.push(s.skipped
      ? `  ${name}: up to date (skipped)`
      // With no iterations no optimizer ran (the physics stage's search chose the controls): do not name one.
      : `  ${name}: ${s.iterations > 0 ? `${s.optimizer}, ${s.windows} windows × ${s.iterations} iterations` : `${s.windows} windows, no optimizer iterations`}, loss ${s.loss.toExponential(3)}, ${(s.ms / 1000).toFixed(1)} s`);
  }
  if (r.physics) lines.push(...physicsLines(r.physics));
  else if (r.residualForce) lines.push(`  residual root force ${r.residualForce.meanN.toFixed(1)} N, torque ${r.residualForce.meanNm.toFixed(1)} N·m (mean)`);
  if (r.blowUps.length) lines.push(`  simulation blow-ups: ${r.blowUps.map((b) => `window ${b.window}${b.frame !== undefined ? ` at frame ${b.frame}` : ''} (${b.reason}${b.recovered ? ', recovered with softer gains' : ', kept the kinematic frames'})`).join('; ')}`);
  if (r.resets.length) {
    const moved = r.restartShifts.some((d) => d > 0) ? ` (moved ${r.restartShifts.map((d) => `${(d * 100).toFixed(1)}`).join(', ')} cm to keep the planted feet in place)` : '';
    lines.push(`  the simulation drifted off the kinematic motion and was restarted after ${r.resets.length} window(s): ${r.resets.join(', ')}${moved}${r.blendedFrames.length ? `; frames ${r.blendedFrames.join(', ')} blended into the restart pose` : ''}`);
  }
  for (const [k, p] of Object.entries(r.outputs)) lines.push(`  ${k}: ${p}`);
  lines.push(`  view it: optimus-motion view ${r.out}`);
  return lines.join('\n') + '\n';
}

/** How physical the result is: the residual, the ground's share of the weight, restarts and falls. */
function physicsLines(p: PhysicsAccounting): string[] {
  const r = p.residual;
  const physical = r.meanPctBodyWeight === 0 && p.restarts === 0;
  const driven = p.controller === 'puppet' ? 'puppet (a root PD force on the pelvis, not physical)' : p.controller === 'physical' ? 'physical (joint torques and contact only)' : p.controller;
  return [
    ...(driven ? [`  controller: ${driven}`] : []),
    `  residual (external force other than gravity and contact): ${r.meanPctBodyWeight.toFixed(1)} % of body weight mean, ${r.maxPctBodyWeight.toFixed(1)} % max, ${r.framesAbove10Pct} of ${p.simulatedFrames} frames above 10 % (${r.meanN.toFixed(1)} N, ${r.meanNm.toFixed(1)} N·m; body ${p.massKg.toFixed(1)} kg)`,
    `  contact support ${p.contactSupportPct.toFixed(0)} % of body weight over stance frames; restarts ${p.restarts}, falls ${p.falls}${physical ? ' (fully physical)' : ''}`,
  ];
}
