/**
 * `npx tsx scripts/fit-pose-prior.ts [-- --mocap DIR --fps 30 --ridge 0.05 --components 1 --out data/pose-prior/cmu-gaussian.json]`:
 * fits the kinematic stage's pose prior (src/reconstruct/kinematic-prior.ts): every BVH clip of
 * ../shared/data/mocap retargeted to the project's skeleton (1.70 m) at --fps, one joint-angle vector
 * per frame, a Gaussian mixture over them (one component by default). Trained on that shared data only.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBvh } from '../src/body/bvh.ts';
import { anglesFromPose } from '../src/body/pose.ts';
import { retargetBvh } from '../src/body/retarget.ts';
import { writeJsonAtomic } from '../src/formats/io.ts';
import { fitPosePrior, POSE_PRIOR_FIT_DEFAULTS } from '../src/reconstruct/kinematic-prior.ts';
import { arg, helpIfAsked } from './args.ts';

helpIfAsked(import.meta.url);

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const mocap = resolve(root, arg('mocap', '../shared/data/mocap'));
if (!existsSync(mocap)) {
  console.error(`fit-pose-prior: ${mocap} not found (the mocap clips are shared data, not part of the repository)`);
  process.exit(1);
}
const fps = Number(arg('fps', '30'));
const ridge = Number(arg('ridge', String(POSE_PRIOR_FIT_DEFAULTS.ridge)));
const components = Number(arg('components', String(POSE_PRIOR_FIT_DEFAULTS.components)));
const out = resolve(root, arg('out', 'data/pose-prior/cmu-gaussian.json'));
const clips = readdirSync(mocap).filter((f) => f.endsWith('.bvh')).sort();
const samples: Float64Array[] = [];
for (const clip of clips) {
  const r = retargetBvh(readBvh(join(mocap, clip)), { fps });
  for (const pose of r.poses) samples.push(anglesFromPose(r.skeleton, pose));
  console.log(`${clip}: ${r.poses.length} frames`);
}
const prior = fitPosePrior(samples, {
  data: `${clips.length} CMU clips of ../shared/data/mocap (${clips.join(', ')}), retargeted at ${fps} fps`,
  frames: samples.length, ridge, components, command: `npx tsx scripts/fit-pose-prior.ts ${process.argv.slice(2).join(' ')}`.trim(),
}, { ridge, components });
mkdirSync(dirname(out), { recursive: true });
writeJsonAtomic(out, prior, 1);
console.log(`wrote ${out} (${samples.length} frames, ${prior.dim} angles)`);
