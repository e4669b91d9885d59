import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { evaluateFiles, type EvaluationResult } from '../eval/evaluate.ts';
import { synthToDirectory } from '../eval/synth.ts';
import { readKeypoints } from '../formats/keypoints.ts';
import { initBackend } from '../optimus/backend.ts';
import { KINEMATIC_DEFAULTS, kinematicWindowProblem } from './kinematic.ts';
import { prepareObservations } from './observations.ts';
import { createOptimizer } from './optimizers.ts';
import { reconstruct, type ReconstructOptions, type ReconstructReport } from './pipeline.ts';
import { runOptimizer } from './run-optimizer.ts';
import { buildScene } from './scene.ts';
import { makeWindows } from './windows.ts';

/**
 * The reconstruction benchmark (`npm run bench:reconstruct`): synth on mocap clips with
 * detector-like noise (3 px, 5 % dropout, 30 fps), reconstruct, and score the kinematic and
 * physics stages against the truth; then the optimizers side by side on the same windows.
 */
export interface ReconstructBenchOptions {
  clips: string[];
  workDir: string;
  seconds?: number;
  noisePx?: number;
  dropout?: number;
  reconstruct?: Partial<ReconstructOptions>;
  /** Optimizer comparison on kinematic windows of the first clip. */
  compare?: { optimizers: string[]; iterations: number; windows: number };
  log?: (line: string) => void;
}

export const RECONSTRUCT_BENCH_DEFAULTS = {
  seconds: 4,
  noisePx: 3,
  dropout: 0.05,
  compare: { optimizers: ['optimus', 'adam', 'lbfgs'], iterations: 60, windows: 4 },
};

export interface ClipBench {
  clip: string;
  frames: number;
  kinematic: EvaluationResult;
  physics: EvaluationResult | null;
  report: ReconstructReport;
}

export interface OptimizerComparison {
  optimizer: string;
  /** Σ over windows of the best loss after each iteration. */
  curve: number[];
  finalLoss: number;
  evaluations: number;
  wallMs: number;
  /** First iteration (1-based) at which the summed curve reaches Adam's final loss, or null. */
  itersToAdamFinal: number | null;
  msToAdamFinal: number | null;
}

export async function benchReconstruct(options: ReconstructBenchOptions): Promise<{ clips: ClipBench[]; optimizers: OptimizerComparison[] }> {
  const o = { ...RECONSTRUCT_BENCH_DEFAULTS, ...options };
  const log = options.log ?? (() => {});
  await initBackend('wasm');
  const clips: ClipBench[] = [];
  for (const clip of o.clips) {
    const dir = join(o.workDir, basename(clip).replace(/\.bvh$/i, ''));
    mkdirSync(dir, { recursive: true });
    const synth = synthToDirectory(clip, dir, { noisePx: o.noisePx, dropout: o.dropout, seconds: o.seconds, fps: 30, seed: 0 });
    const report = await reconstruct(synth.keypointsPath, { out: dir, exports: [], ...(o.reconstruct ?? {}) });
    const kinematic = evaluateFiles(join(dir, 'kinematic.json'), synth.truthPath);
    const physics = report.stages.physics ? evaluateFiles(join(dir, 'motion.json'), synth.truthPath) : null;
    clips.push({ clip: basename(clip), frames: report.frames, kinematic, physics, report });
    log(`${basename(clip)}: kinematic MPJPE ${kinematic.mpjpe.toFixed(1)} mm` + (physics ? `, physics MPJPE ${physics.mpjpe.toFixed(1)} mm` : ''));
  }

  const optimizers: OptimizerComparison[] = [];
  if (o.compare && clips.length) {
    const dir = join(o.workDir, clips[0]!.clip.replace(/\.bvh$/i, ''));
    const kpPath = join(dir, 'keypoints.json');
    const obs = prepareObservations(readKeypoints(kpPath), kpPath);
    const scene = buildScene(obs, readKeypoints(kpPath).camera, kpPath);
    const windows = makeWindows(obs.frameCount, KINEMATIC_DEFAULTS.windowSize, KINEMATIC_DEFAULTS.overlap).slice(0, o.compare.windows);
    for (const name of o.compare.optimizers) {
      const curves: number[][] = [];
      const times: number[][] = [];
      let evaluations = 0;
      let wallMs = 0;
      for (const win of windows) {
        const p = kinematicWindowProblem(obs, scene, win);
        try {
          const opt = createOptimizer(name, { seed: win.index, dim: p.objective.dim, learningRate: KINEMATIC_DEFAULTS.learningRate });
          const t0 = Date.now();
          const stamps: number[] = [];
          const timed = { ...opt, step: (obj: Parameters<typeof opt.step>[0], s: Parameters<typeof opt.step>[1]) => { const r = opt.step(obj, s); stamps.push(Date.now() - t0); return r; } };
          const r = runOptimizer(timed, p.objective, p.x0, o.compare.iterations, KINEMATIC_DEFAULTS.paramScale);
          wallMs += Date.now() - t0;
          evaluations += r.evaluations;
          curves.push(r.curve);
          times.push(stamps);
        } finally {
          p.dispose();
        }
      }
      const curve = curves[0]!.map((_, i) => curves.reduce((s, c) => s + c[i]!, 0));
      const cumMs = curve.map((_, i) => times.reduce((s, t) => s + (t[Math.min(i, t.length - 1)] ?? 0), 0));
      optimizers.push({ optimizer: name, curve, finalLoss: curve[curve.length - 1]!, evaluations, wallMs, itersToAdamFinal: null, msToAdamFinal: null, ...{ cumMs } } as OptimizerComparison);
      log(`${name}: final summed loss ${curve[curve.length - 1]!.toExponential(3)} after ${o.compare.iterations} iterations × ${windows.length} windows, ${evaluations} evaluations, ${(wallMs / 1000).toFixed(1)} s`);
    }
    const adamFinal = optimizers.find((r) => r.optimizer === 'adam')?.finalLoss;
    if (adamFinal !== undefined) {
      for (const r of optimizers) {
        const i = r.curve.findIndex((v) => v <= adamFinal);
        r.itersToAdamFinal = i < 0 ? null : i + 1;
        r.msToAdamFinal = i < 0 ? null : (r as unknown as { cumMs: number[] }).cumMs[i]!;
      }
    }
  }
  return { clips, optimizers };
}
