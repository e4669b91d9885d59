import type { BvhClip } from './bvh.ts';

/**
 * The rig family of a BVH clip, from its joint names: reported by synth and the benchmarks so a
 * number can be traced to the rig it came from. Retargeting itself never branches on it (rest
 * poses and local axes are read from the rig's own joints, see rig-frames.ts).
 */
export type RigFamily =
  | 'cgspeed-motionbuilder' | 'cgspeed-3dsmax' | 'daz' | 'mixamo' | 'cc-base' | 'rigify' | 'optimus-motion' | 'unknown';

/** What each family looks like, first match wins (prefixes before the generic layouts they resemble). */
const RULES: Array<{ family: RigFamily; test: (names: Set<string>, raw: string[]) => boolean }> = [
  { family: 'cc-base', test: (_, raw) => raw.some((n) => n.toLowerCase().startsWith('cc_base_')) },
  { family: 'rigify', test: (_, raw) => raw.some((n) => n.toLowerCase().startsWith('def-')) },
  { family: 'mixamo', test: (_, raw) => raw.some((n) => n.toLowerCase().includes('mixamorig')) },
  { family: 'cgspeed-motionbuilder', test: (n) => n.has('lhipjoint') && n.has('leftupleg') },
  { family: 'cgspeed-3dsmax', test: (n) => n.has('lefthip') && n.has('leftknee') },
  { family: 'daz', test: (n) => (n.has('lthigh') || n.has('lthighbend')) && (n.has('abdomen') || n.has('abdomenlower')) },
  { family: 'mixamo', test: (n) => n.has('leftupleg') && n.has('spine2') },
  { family: 'optimus-motion', test: (n) => n.has('left_thigh') && n.has('pelvis') && n.has('left_upper_arm') },
];

export function rigFamily(clip: BvhClip): RigFamily {
  const raw = clip.joints.filter((j) => !j.endSite).map((j) => j.name);
  const names = new Set(raw.map((n) => n.toLowerCase().slice(n.lastIndexOf(':') + 1)));
  return RULES.find((r) => r.test(names, raw))?.family ?? 'unknown';
}
