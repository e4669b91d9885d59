import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBvh, readBvh } from '../../src/body/bvh.ts';
import { forwardKinematics, landmarkPositions } from '../../src/body/fk.ts';
import { footSliding, lowestSolePoint, readJointMap, retargetBvh, sourceBodyAt } from '../../src/body/retarget.ts';
import { createSkeleton } from '../../src/body/skeleton.ts';
import { squatMotion } from '../../src/body/procedural.ts';
import { JOINT_INDEX } from '../../src/body/skeleton.ts';
import { anglesFromPose, poseFromAngles } from '../../src/body/pose.ts';
import { mpjpe } from '../../src/eval/metrics.ts';
import { quatAngle, quatConjugate, quatFromAxisAngle, quatFromEuler, quatMultiply, quatRotate, type Vec3 } from '../../src/geometry/quaternion.ts';
import { UserError } from '../../src/errors.ts';
import { eulerZXY, posesToBvh, proceduralBvh, proceduralMotion } from '../../src/eval/procedural.ts';
import { sharedDataPath } from '../helpers/shared-data.ts';

const DEMO = proceduralBvh();
// The exactness tests below retarget a clip written in the project skeleton itself: they test the
// direction-preserving mapping alone (foot locking, off by default, re-plants contact feet).
const EXACT = { footLock: false } as const;
const motion = proceduralMotion();
const expected = motion.poses.map((p) => landmarkPositions(motion.skeleton, p));

function maxLandmarkError(a: Vec3[][], b: Vec3[][]): number {
  let m = 0;
  a.forEach((f, k) => f.forEach((p, i) => { m = Math.max(m, Math.hypot(p[0] - b[k]![i]![0], p[1] - b[k]![i]![1], p[2] - b[k]![i]![2])); }));
  return m;
}

/** Multiplies every length of a BVH (OFFSETs and the root's three position channels) by s. */
function scaleBvh(text: string, s: number): string {
  let motionPart = false;
  let header = 0;
  return text.split('\n').map((line) => {
    if (line.startsWith('MOTION')) { motionPart = true; return line; }
    if (!motionPart) return line.replace(/OFFSET (.*)$/, (_, v: string) => `OFFSET ${v.split(' ').map((x) => String(Number(x) * s)).join(' ')}`);
    if (header < 2) { header++; return line; }
    if (!line.trim()) return line;
    const vals = line.split(' ');
    return vals.map((v, i) => (i < 3 ? String(Number(v) * s) : v)).join(' ');
  }).join('\n');
}

/** The same motion in a Z-up world: every position rotated by +90° about x, every rotation conjugated. */
function toZUp(text: string): string {
  const Q = quatFromAxisAngle([1, 0, 0], Math.PI / 2);
  const rot = (v: number[]): number[] => quatRotate(Q, v as Vec3);
  let motionPart = false;
  let header = 0;
  const d2r = Math.PI / 180;
  return text.split('\n').map((line) => {
    if (line.startsWith('MOTION')) { motionPart = true; return line; }
    if (!motionPart) return line.replace(/OFFSET (.*)$/, (_, v: string) => `OFFSET ${rot(v.split(' ').map(Number)).join(' ')}`);
    if (header < 2) { header++; return line; }
    if (!line.trim()) return line;
    const v = line.split(' ').map(Number);
    const out = rot(v.slice(0, 3));
    for (let i = 3; i < v.length; i += 3) {
      const q = quatFromEuler([v[i]! * d2r, v[i + 1]! * d2r, v[i + 2]! * d2r], 'ZXY');
      out.push(...eulerZXY(quatMultiply(quatMultiply(Q, q), quatConjugate(Q))));
    }
    return out.join(' ');
  }).join('\n');
}

function rename(text: string, names: Record<string, string>): string {
  return text.replace(/^(\s*(?:ROOT|JOINT)) (\S+)/gm, (_, kw: string, name: string) => `${kw} ${names[name] ?? name}`);
}

const SEGMENTS: Array<[string, string]> = [
  ['pelvis', 'spine'], ['spine', 'chest'], ['chest', 'neck'], ['neck', 'head'],
  ['left_thigh', 'left_shin'], ['left_shin', 'left_foot'], ['right_thigh', 'right_shin'], ['right_shin', 'right_foot'],
  ['left_upper_arm', 'left_forearm'], ['left_forearm', 'left_hand'], ['right_upper_arm', 'right_forearm'], ['right_forearm', 'right_hand'],
];

/**
 * Largest angle (degrees) between a project bone and the source bone it was retargeted from.
 * `legs`: 'all' frames, 'free' (only frames where foot locking left that leg alone) or 'locked'.
 */
function maxDirectionError(clip: ReturnType<typeof parseBvh>, result: ReturnType<typeof retargetBvh>, step: number, legs: 'all' | 'free' | 'locked' = 'all'): number {
  let worst = 0;
  for (let k = 0; k < result.poses.length; k += step) {
    const src = sourceBodyAt(clip, k).points;
    const pos = forwardKinematics(result.skeleton, result.poses[k]!).positions;
    for (const [a, b] of SEGMENTS) {
      const leg: number = a.endsWith('thigh') || a.endsWith('shin') ? (a.startsWith('left') ? 0 : 1) : -1;
      if (leg < 0 ? legs === 'locked' : (legs === 'free' && result.footLock[k]![leg]! > 0) || (legs === 'locked' && result.footLock[k]![leg]! === 0)) continue;
      const s = quatRotate(result.groundRotation, src[b as keyof typeof src]!.map((v, i) => v - src[a as keyof typeof src]![i]!) as Vec3);
      const p = pos[JOINT_INDEX[b as 'spine']]!.map((v, i) => v - pos[JOINT_INDEX[a as 'spine']]![i]!);
      const c = (s[0]! * p[0]! + s[1]! * p[1]! + s[2]! * p[2]!) / (Math.hypot(...s) * Math.hypot(...p));
      worst = Math.max(worst, (Math.acos(Math.min(1, c)) * 180) / Math.PI);
    }
  }
  return worst;
}

describe('retargeting BVH onto the project skeleton', () => {
  it('reproduces a motion written in the project skeleton (procedural demo clip) within 5 mm', () => {
    const r = retargetBvh(parseBvh(DEMO, 'demo.bvh'), { ...EXACT, fps: 30 });
    expect(r.poses.length).toBe(motion.poses.length);
    expect(r.metresPerUnit).toBeCloseTo(0.01, 6); // written in centimetres
    expect(r.upAxis).toBe('+y');
    const got = r.poses.map((p) => landmarkPositions(r.skeleton, p));
    expect(maxLandmarkError(got, expected)).toBeLessThan(0.005);
    // With foot locking the clip's own planted feet stay nearly as they were.
    const locked = retargetBvh(parseBvh(DEMO, 'demo.bvh'), { fps: 30, footLock: true });
    expect(maxLandmarkError(locked.poses.map((p) => landmarkPositions(locked.skeleton, p)), expected)).toBeLessThan(0.03);
  });

  it('infers the unit from the rest-pose height: inches, metres and arbitrary units give the same motion', () => {
    const ref = retargetBvh(parseBvh(DEMO, 'cm.bvh'), EXACT);
    const refLm = ref.poses.map((p) => landmarkPositions(ref.skeleton, p));
    for (const s of [1 / 2.54, 0.01, 37.5]) {
      const r = retargetBvh(parseBvh(scaleBvh(DEMO, s), 'scaled.bvh'), EXACT);
      expect(r.metresPerUnit).toBeCloseTo(0.01 / s, 6);
      expect(maxLandmarkError(r.poses.map((p) => landmarkPositions(r.skeleton, p)), refLm)).toBeLessThan(1e-6);
    }
  });

  it('detects a Z-up file and converts it to y up', () => {
    const r = retargetBvh(parseBvh(toZUp(DEMO), 'zup.bvh'), { ...EXACT, fps: 30 });
    expect(r.upAxis).toBe('+z');
    expect(maxLandmarkError(r.poses.map((p) => landmarkPositions(r.skeleton, p)), expected)).toBeLessThan(0.005);
  });

  it('retargets to the requested subject height', () => {
    const r = retargetBvh(parseBvh(DEMO, 'demo.bvh'), { height: 1.5 });
    expect(r.skeleton.height).toBeCloseTo(1.5, 6);
    const nose = landmarkPositions(r.skeleton, r.poses[0]!)[0]!;
    expect(nose[1]).toBeGreaterThan(1.3);
    expect(nose[1]).toBeLessThan(1.5);
  });

  it('maps the rig families by name (Mixamo, Character Creator, Rigify, DAZ)', () => {
    const families: Record<string, Record<string, string>> = {
      mixamo: { pelvis: 'mixamorig:Hips', spine: 'mixamorig:Spine', chest: 'mixamorig:Spine2', neck: 'mixamorig:Neck', head: 'mixamorig:Head', left_upper_arm: 'mixamorig:LeftArm', left_forearm: 'mixamorig:LeftForeArm', left_hand: 'mixamorig:LeftHand', right_upper_arm: 'mixamorig:RightArm', right_forearm: 'mixamorig:RightForeArm', right_hand: 'mixamorig:RightHand', left_thigh: 'mixamorig:LeftUpLeg', left_shin: 'mixamorig:LeftLeg', left_foot: 'mixamorig:LeftFoot', right_thigh: 'mixamorig:RightUpLeg', right_shin: 'mixamorig:RightLeg', right_foot: 'mixamorig:RightFoot' },
      cc: { pelvis: 'CC_Base_Hip', spine: 'CC_Base_Waist', chest: 'CC_Base_Spine02', neck: 'CC_Base_NeckTwist01', head: 'CC_Base_Head', left_upper_arm: 'CC_Base_L_Upperarm', left_forearm: 'CC_Base_L_Forearm', left_hand: 'CC_Base_L_Hand', right_upper_arm: 'CC_Base_R_Upperarm', right_forearm: 'CC_Base_R_Forearm', right_hand: 'CC_Base_R_Hand', left_thigh: 'CC_Base_L_Thigh', left_shin: 'CC_Base_L_Calf', left_foot: 'CC_Base_L_Foot', right_thigh: 'CC_Base_R_Thigh', right_shin: 'CC_Base_R_Calf', right_foot: 'CC_Base_R_Foot' },
      rigify: { pelvis: 'DEF-spine', spine: 'DEF-spine.001', chest: 'DEF-spine.003', neck: 'DEF-spine.004', head: 'DEF-spine.006', left_upper_arm: 'DEF-upper_arm.L', left_forearm: 'DEF-forearm.L', left_hand: 'DEF-hand.L', right_upper_arm: 'DEF-upper_arm.R', right_forearm: 'DEF-forearm.R', right_hand: 'DEF-hand.R', left_thigh: 'DEF-thigh.L', left_shin: 'DEF-shin.L', left_foot: 'DEF-foot.L', right_thigh: 'DEF-thigh.R', right_shin: 'DEF-shin.R', right_foot: 'DEF-foot.R' },
      daz: { pelvis: 'hip', spine: 'abdomen', chest: 'chest', neck: 'neck', head: 'head', left_upper_arm: 'lShldr', left_forearm: 'lForeArm', left_hand: 'lHand', right_upper_arm: 'rShldr', right_forearm: 'rForeArm', right_hand: 'rHand', left_thigh: 'lThigh', left_shin: 'lShin', left_foot: 'lFoot', right_thigh: 'rThigh', right_shin: 'rShin', right_foot: 'rFoot' },
    };
    for (const [family, names] of Object.entries(families)) {
      const r = retargetBvh(parseBvh(rename(DEMO, names), `${family}.bvh`), { ...EXACT, fps: 30 });
      expect(r.mapping.left_shin, family).toBe(names.left_shin);
      expect(r.mapping.right_upper_arm, family).toBe(names.right_upper_arm);
      expect(maxLandmarkError(r.poses.map((p) => landmarkPositions(r.skeleton, p)), expected), family).toBeLessThan(0.005);
    }
  });

  it('refuses an unknown layout, and a --joint-map file fixes it', () => {
    const names: Record<string, string> = { left_shin: 'bone_7', right_shin: 'bone_8' };
    const weird = rename(DEMO, names);
    expect(() => retargetBvh(parseBvh(weird, 'weird.bvh'))).toThrow(UserError);
    expect(() => retargetBvh(parseBvh(weird, 'weird.bvh'))).toThrow(/weird\.bvh:2: unknown joint layout: no joint found for left_shin, right_shin/);
    const dir = mkdtempSync(join(tmpdir(), 'jointmap-'));
    const file = join(dir, 'map.json');
    writeFileSync(file, JSON.stringify({ bone_7: 'left_shin', bone_8: 'right_shin' }));
    const r = retargetBvh(parseBvh(weird, 'weird.bvh'), { ...EXACT, fps: 30, jointMap: readJointMap(file) });
    expect(maxLandmarkError(r.poses.map((p) => landmarkPositions(r.skeleton, p)), expected)).toBeLessThan(0.005);
    writeFileSync(file, JSON.stringify({ bone_7: 'knee' }));
    expect(() => readJointMap(file)).toThrow(/map\.json: "bone_7" maps to "knee", expected one of/);
  });

  it('resamples with slerp: 60 fps from a 30 fps clip keeps the original frames', () => {
    const clip = parseBvh(DEMO, 'demo.bvh');
    const r30 = retargetBvh(clip, { fps: 30 });
    const r60 = retargetBvh(clip, { fps: 60 });
    expect(r60.poses.length).toBe(2 * r30.poses.length - 1);
    const a = r30.poses.map((p) => landmarkPositions(r30.skeleton, p));
    const b = r60.poses.filter((_, k) => k % 2 === 0).map((p) => landmarkPositions(r60.skeleton, p));
    expect(maxLandmarkError(a, b)).toBeLessThan(1e-6);
    const r10 = retargetBvh(clip, { fps: 10, seconds: 2 });
    expect(r10.poses.length).toBe(21);
  });

  it('keeps a planted source foot planted on a skeleton with other leg proportions (foot locking)', () => {
    // Source rig: long thighs, short shanks (same hip height ± a few cm); a flat-footed squat keeps its ankles still.
    const src = createSkeleton();
    for (const side of ['left', 'right'] as const) {
      const shin = src.joints[JOINT_INDEX[`${side}_shin`]]!, foot = src.joints[JOINT_INDEX[`${side}_foot`]]!;
      shin.offset = [0, shin.offset[1] * 1.3, 0];
      foot.offset = [0, foot.offset[1] * 0.7, 0];
      src.segments[JOINT_INDEX[`${side}_thigh`]]!.end = [...shin.offset];
      src.segments[JOINT_INDEX[`${side}_shin`]]!.end = [...foot.offset];
    }
    src.rootHeight = src.rootHeight + src.joints[JOINT_INDEX.left_shin]!.offset[1] / 1.3 * 0.3 + src.joints[JOINT_INDEX.left_foot]!.offset[1] / 0.7 * -0.3;
    const poses = squatMotion(src, { seconds: 3, fps: 30, depth: 0.9 });
    const clip = parseBvh(posesToBvh(src, poses, 30), 'long-thighs.bvh');
    const ankleSlide = (r: ReturnType<typeof retargetBvh>): number => {
      let worst = 0;
      r.poses.forEach((p, k) => {
        if (k === 0) return;
        const a = forwardKinematics(r.skeleton, r.poses[k - 1]!).positions, b = forwardKinematics(r.skeleton, p).positions;
        for (const j of [JOINT_INDEX.left_foot, JOINT_INDEX.right_foot]) worst = Math.max(worst, Math.hypot(b[j]![0] - a[j]![0], b[j]![2] - a[j]![2]));
      });
      return worst;
    };
    const free = retargetBvh(clip);
    const locked = retargetBvh(clip, { footLock: true });
    // Without locking the feet slide (the test can fail); with it they stay within 5 mm per frame.
    expect(ankleSlide(free)).toBeGreaterThan(0.005);
    expect(ankleSlide(locked)).toBeLessThan(0.005);
    expect(footSliding(locked.skeleton, locked.poses) * 1000).toBeLessThan(5);
    expect(locked.footLock.every((w) => w[0] === 1 && w[1] === 1)).toBe(true);
    // Soles on the ground, the trunk and arms untouched.
    for (const p of locked.poses) expect(Math.abs(lowestSolePoint(locked.skeleton, p))).toBeLessThan(0.005);
    expect(maxDirectionError(clip, locked, 3, 'free')).toBeLessThan(1);
  });

  const clips = ['cmu_02_01_walk', 'cmu_22_14_squat', 'cmu_01_01_forward_jumps', 'cmu_60_02_salsa_lead_scaled', 'cmu_131_03_mj_start_hop_stop_scaled'];
  for (const name of clips) {
    const path = sharedDataPath('mocap', `${name}.bvh`);
    it.skipIf(!path)(`keeps the source segment directions of ${name} and stands it on the ground`, () => {
      const clip = readBvh(path!);
      const r = retargetBvh(clip);
      expect(r.poses.length).toBe(clip.frameCount);
      // Limbs, trunk and neck point along the source bones.
      expect(maxDirectionError(clip, r, 5)).toBeLessThan(1);
      // With foot locking: the same except legs bent by the IK, which stay close to them (it only
      // absorbs the bone-length differences), and planted feet slide less.
      const rl = retargetBvh(clip, { footLock: true });
      expect(maxDirectionError(clip, rl, 5, 'free')).toBeLessThan(1);
      const locked = maxDirectionError(clip, rl, 5, 'locked');
      expect(locked).toBeLessThan(25);
      const planted = rl.footLock.map((w): [boolean, boolean] => [w[0] === 1, w[1] === 1]);
      const slideOff = footSliding(r.skeleton, r.poses, 0.04, planted), slideOn = footSliding(rl.skeleton, rl.poses, 0.04, planted);
      expect(slideOn).toBeLessThan(0.005);
      // Feet on the ground: no frame sinks, and most frames have a foot on it (within 3 cm).
      const soles = r.poses.map((p) => lowestSolePoint(r.skeleton, p));
      expect(Math.min(...soles)).toBeGreaterThan(-1e-9);
      const touching = soles.filter((h) => h < 0.03).length / soles.length;
      expect(touching).toBeGreaterThan(0.5);
      // Units inferred: a 1.70 m subject's nose reaches a standing height (90th percentile; jumps go higher).
      const noses = r.poses.map((p) => landmarkPositions(r.skeleton, p)[0]![1]).sort((a, b) => a - b);
      const upright = noses[Math.floor(0.9 * (noses.length - 1))]!;
      expect(upright).toBeGreaterThan(1.4);
      expect(upright).toBeLessThan(name.includes('jumps') ? 1.9 : 1.7);
      // The poses fit the skeleton's DoF model (knees and elbows are hinges): projecting onto the DoF axes moves nothing.
      const lm = r.poses.filter((_, k) => k % 4 === 0).map((p) => landmarkPositions(r.skeleton, p));
      const projected = r.poses.filter((_, k) => k % 4 === 0)
        .map((p) => landmarkPositions(r.skeleton, poseFromAngles(r.skeleton, p.rootPosition, p.rootRotation, anglesFromPose(r.skeleton, p))));
      // (exact for bent limbs; near-straight ones blend in a default twist, a few mm at most)
      expect(mpjpe(projected, lm)).toBeLessThan(0.5);
      expect(maxLandmarkError(projected, lm)).toBeLessThan(0.01);
      const tiltDeg = (quatAngle(r.groundRotation, [0, 0, 0, 1]) * 180) / Math.PI;
      console.log(`${name}: ${r.poses.length} frames, ${r.metresPerUnit.toPrecision(4)} m/unit, up ${r.upAxis}, root scale ${r.rootScale.toPrecision(4)}, ` +
        `floor tilt ${tiltDeg.toFixed(2)}°, foot lock: legs within ${locked.toFixed(1)}°, planted feet slide ${(1000 * slideOff).toFixed(1)} → ${(1000 * slideOn).toFixed(1)} mm/frame, nose p90 ${upright.toFixed(3)} m, ${(100 * touching).toFixed(0)} % frames with a sole < 3 cm`);
    });
  }
});
