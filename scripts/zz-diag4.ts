import { readTruth } from '../src/formats/truth.ts';
import { readMotion } from '../src/formats/motion.ts';
import { createSkeleton, JOINT_NAMES } from '../src/body/skeleton.ts';
import { anglesFromPose } from '../src/body/pose.ts';
const dir = process.argv[2]!;
const truth = readTruth(`${dir}/truth.json`) as any;
const m = readMotion(`${dir}/kinematic.json`) as any;
const skel = createSkeleton({ height: 1.7 });
for (const t of [8, 28]) {
  const ta = anglesFromPose(skel, { rootPosition: truth.frames[t].root.position, rootRotation: truth.frames[t].root.rotation, rotations: truth.frames[t].rotations });
  const ma = anglesFromPose(skel, { rootPosition: m.frames[t].root.position, rootRotation: m.frames[t].root.rotation, rotations: m.frames[t].rotations });
  console.log(t, 'truth', Array.from(ta).map((v) => v.toFixed(2)).join(' '));
  console.log(t, 'ours ', Array.from(ma).map((v) => v.toFixed(2)).join(' '));
  console.log('root y truth', truth.frames[t].root.position[1].toFixed(2), 'ours', m.frames[t].root.position[1].toFixed(2));
}
console.log(truth.skeleton.joints.map((j: any) => j.name).join(','));
