import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateFiles, type EvaluationResult } from '../eval/evaluate.ts';
import { synthToDirectory } from '../eval/synth.ts';
import { writeJsonAtomic } from '../formats/io.ts';
import type { PhysicsStageOptions } from './physics-stage.ts';
import { reconstruct, type ReconstructOptions, type ReconstructReport } from './pipeline.ts';

/**
 * The embedded default (`npm run demo`): a sample the project makes itself — synth on the
 * procedural squat clip in data/ (noise and dropout like a detector) — reconstructed with
 * physics on a small budget, then scored against its ground truth.
 */
export interface DemoOptions {
  out: string;
  /** Seconds of the clip to use (default: all of it). */
  seconds?: number;
  /** Physics iterations per window (default: the physics stage's). */
  iterations?: number;
  /** Kinematic iterations per window (default: the kinematic stage's). */
  kinematicIterations?: number;
  optimizer?: string;
  physics?: boolean;
  /** Rollout worker threads of the physics stage (default: one per core; the result does not depend on it). */
  workers?: number;
  /** Physics stage options beyond the iterations (e.g. a smaller budget in tests). */
  physicsStage?: PhysicsStageOptions;
  onProgress?: ReconstructOptions['onProgress'];
}

export const DEMO_DEFAULTS = {
  clip: resolve(dirname(fileURLToPath(import.meta.url)), '../../data/demo-squat.bvh'),
  noisePx: 3,
  dropout: 0.05,
  optimizer: 'optimus',
};

export interface DemoResult {
  out: string;
  keypoints: string;
  truth: string;
  reconstruction: ReconstructReport;
  metrics: EvaluationResult;
  /** The kinematic stage's scores, for comparison (null without physics: same as metrics). */
  kinematicMetrics: EvaluationResult | null;
  metricsPath: string;
  ms: number;
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const started = Date.now();
  const out = resolve(options.out);
  mkdirSync(out, { recursive: true });
  const synth = synthToDirectory(DEMO_DEFAULTS.clip, out, {
    noisePx: DEMO_DEFAULTS.noisePx, dropout: DEMO_DEFAULTS.dropout, seconds: options.seconds, seed: 0,
  });
  const reconstruction = await reconstruct(synth.keypointsPath, {
    out,
    physics: options.physics ?? true,
    optimizer: options.optimizer ?? DEMO_DEFAULTS.optimizer,
    iterations: options.iterations,
    workers: options.workers ?? availableParallelism(),
    ...(options.kinematicIterations ? { kinematic: { iterations: options.kinematicIterations } } : {}),
    ...(options.physicsStage ? { physicsStage: options.physicsStage } : {}),
    onProgress: options.onProgress,
  });
  const metrics = evaluateFiles(reconstruction.outputs.motion!, synth.truthPath);
  const kinematicMetrics = reconstruction.stages.physics ? evaluateFiles(reconstruction.outputs.kinematic!, synth.truthPath) : null;
  const metricsPath = join(out, 'metrics.json');
  writeJsonAtomic(metricsPath, metrics, 2);
  return { out, keypoints: synth.keypointsPath, truth: synth.truthPath, reconstruction, metrics, kinematicMetrics, metricsPath, ms: Date.now() - started };
}
