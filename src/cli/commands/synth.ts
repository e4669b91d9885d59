import { basename } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../errors.ts';
import { nonNegativeNumber } from '../parse.ts';
import { readJointMap } from '../../body/retarget.ts';
import { resolveNoiseModel } from '../../eval/noise-model.ts';
import { SYNTH_DEFAULTS, synthToDirectory, type SynthCamera } from '../../eval/synth.ts';
import { retargetWarnings } from '../../eval/retarget-check.ts';

function cameraOption(value: string): Partial<SynthCamera> {
  const parts = value.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.length !== 4 || nums.some((n) => !Number.isFinite(n))) {
    throw new UserError(`--camera must be distance,height,yaw,fov (metres, metres, degrees, degrees), got "${value}"`);
  }
  return { distance: nums[0]!, height: nums[1]!, yawDeg: nums[2]!, fovDeg: nums[3]! };
}

function sizeOption(value: string): { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/i.exec(value.trim());
  if (!m || Number(m[1]) <= 0 || Number(m[2]) <= 0) throw new UserError(`--size must be WIDTHxHEIGHT in pixels, e.g. 1280x720, got "${value}"`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

function seedOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UserError(`--seed must be a non-negative integer, got "${value}"`);
  return n;
}

function fraction(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new UserError(`--dropout must be between 0 and 1, got "${value}"`);
  return n;
}

function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new UserError(`${name} must be a positive number, got "${value}"`);
    return n;
  };
}

export function registerSynth(program: Command): void {
  const d = SYNTH_DEFAULTS;
  program
    .command('synth')
    .description('retarget a BVH clip onto the project skeleton and write synthetic detector keypoints + 3D ground truth')
    .argument('<clip.bvh>', 'motion capture clip (any rig family; units inferred from the rest-pose height)')
    .requiredOption('--out <dir>', 'output folder for keypoints.json and truth.json')
    .option('--fps <n>', 'output frame rate', positiveNumber('--fps'), d.fps)
    .option('--seconds <s>', 'keep only the first S seconds', positiveNumber('--seconds'))
    .option('--noise-px <sigma>', 'Gaussian pixel noise σ of the 2D keypoints', nonNegativeNumber('--noise-px'), d.noisePx)
    .option('--dropout <p>', 'probability that a landmark is lost (low score, wrong position)', fraction, d.dropout)
    .option('--world-noise <m>', 'noise σ of the detector-like 3D world landmarks, metres', nonNegativeNumber('--world-noise'), d.worldNoise)
    .option('--camera <d,h,yaw,fov>', 'camera distance (m) from the subject, height (m), yaw (deg, 0 = in front), horizontal fov (deg); default: height 1.2, yaw 0, fov 60, distance so the whole motion stays in view', cameraOption)
    .option('--size <WxH>', 'image size in pixels', sizeOption, { width: d.width, height: d.height })
    .option('--seed <s>', 'random seed of the noise and dropout', seedOption, d.seed)
    .option('--height <m>', 'subject stature in metres', positiveNumber('--height'), d.subjectHeight)
    .option('--noise-model <name|file>', 'detector noise measured on real video (replaces --noise-px and --world-noise): blazepose, blazepose-structured (correlated, gross failures), blazepose-placed (that + real people\'s landmark placement), placement-only, blazepose-heavy, a noise-model JSON, or none', 'none')
    .option('--joint-map <file>', 'JSON { "source joint": "project joint" } for rigs whose names are not recognised')
    .option('--quiet', 'print nothing but errors')
    .action((clip: string, opts: {
      out: string; fps: number; seconds?: number; noisePx: number; dropout: number; worldNoise: number;
      camera?: Partial<SynthCamera>; size: { width: number; height: number }; seed: number; height: number; jointMap?: string; noiseModel: string; quiet?: boolean;
    }) => {
      const result = synthToDirectory(clip, opts.out, {
        fps: opts.fps, seconds: opts.seconds, noisePx: opts.noisePx, dropout: opts.dropout, worldNoise: opts.worldNoise,
        camera: opts.camera, width: opts.size.width, height: opts.size.height, seed: opts.seed, subjectHeight: opts.height,
        jointMap: opts.jointMap ? readJointMap(opts.jointMap) : undefined, noiseModel: resolveNoiseModel(opts.noiseModel),
      });
      // A truth that fails a retarget check is still written (it may be what the user wants), but said so.
      for (const w of retargetWarnings(basename(clip), result.checks)) process.stderr.write(`${w}\n`);
      if (!opts.quiet) {
        const r = result.retarget;
        const c = result.camera;
        process.stdout.write(
          `${clip}: ${result.truth.frames.length} frames at ${r.fps} fps (${r.rigFamily} rig, source ${r.sourceFps.toFixed(2)} fps, up ${r.upAxis}, ` +
          `${r.metresPerUnit.toPrecision(4)} m per unit for a ${opts.height} m subject)\n` +
          `camera at [${c.position.map((v) => v.toFixed(2)).join(', ')}], f = ${c.fx.toFixed(1)} px, ${opts.size.width}×${opts.size.height}\n` +
          `wrote ${result.keypointsPath}\nwrote ${result.truthPath}\n`,
        );
      }
    });
}
