import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Vector3 } from 'three';
import { BVHLoader } from 'three/examples/jsm/loaders/BVHLoader.js';
import { bvhFramePose, bvhFps, bvhJointCount, bvhRestPositions, parseBvh, readBvh } from '../../src/body/bvh.ts';
import { UserError } from '../../src/errors.ts';
import { sharedDataPath } from '../helpers/shared-data.ts';

/** Root with channels in a scrambled order and an offset, one 1-channel joint, an End Site; CRLF and tabs. */
const SMALL = [
  'HIERARCHY',
  'ROOT root',
  '{',
  '\tOFFSET 1 2 3',
  '\tCHANNELS 6 Yrotation Xposition Zrotation Yposition Zposition Xrotation',
  '\tJOINT arm',
  '\t{',
  '  \t\tOFFSET 10 0 0',
  '\t\tCHANNELS 1 Zrotation',
  '\t\tEnd Site',
  '\t\t{',
  '\t\t\tOFFSET 5 0 0',
  '\t\t}',
  '\t}',
  '}',
  'MOTION',
  'Frames: 2',
  'Frame Time: 0.04',
  '0 0 0 0 0 0 0',
  '90\t1 0 0 0 0 90',
  '',
].join('\r\n');

function expectVec(a: number[], b: number[], digits = 9): void {
  for (let i = 0; i < 3; i++) expect(a[i]).toBeCloseTo(b[i]!, digits);
}

describe('BVH parser', () => {
  it('parses a small hand-written file (CRLF, tabs, channels in any order)', () => {
    const clip = parseBvh(SMALL, 'small.bvh');
    expect(clip.frameCount).toBe(2);
    expect(clip.channelCount).toBe(7);
    expect(bvhFps(clip)).toBeCloseTo(25, 9);
    expect(clip.joints.map((j) => j.name)).toEqual(['root', 'arm', 'arm_End']);
    expect(bvhJointCount(clip)).toBe(2);
    expect(clip.joints[0]!.channels).toEqual(['Yrotation', 'Xposition', 'Zrotation', 'Yposition', 'Zposition', 'Xrotation']);
    expect(clip.joints[1]!.channelStart).toBe(6);
    expectVec(bvhRestPositions(clip)[2]!, [16, 2, 3]);
  });

  it('forward kinematics matches hand-computed positions', () => {
    const clip = parseBvh(SMALL, 'small.bvh');
    const f0 = bvhFramePose(clip, 0).positions;
    expectVec(f0[0]!, [1, 2, 3]);
    expectVec(f0[1]!, [11, 2, 3]);
    expectVec(f0[2]!, [16, 2, 3]);
    // Frame 1: root yaw 90° (x → −z), root moved +1 in x (added to the OFFSET), arm roll 90° (x → y).
    const f1 = bvhFramePose(clip, 1).positions;
    expectVec(f1[0]!, [2, 2, 3]);
    expectVec(f1[1]!, [2, 2, -7]);
    expectVec(f1[2]!, [2, 7, -7]);
  });

  it('applies rotation channels in the listed order (intrinsic)', () => {
    const text = SMALL.replace('CHANNELS 1 Zrotation', 'CHANNELS 2 Zrotation Yrotation').replace('0 0 0 0 0 0 0', '0 0 0 0 0 0 0 0').replace('90\t1 0 0 0 0 90', '0 0 0 0 0 0 90 90');
    const f = bvhFramePose(parseBvh(text, 'zy.bvh'), 1).positions;
    // R = Rz(90)·Ry(90): (5,0,0) → Ry → (0,0,−5) → Rz → (0,0,−5).
    expectVec(f[2]!, [11, 2, -2]);
  });

  it('refuses bad files with the file and line', () => {
    const bad = (text: string): string => {
      try { parseBvh(text, 'bad.bvh'); } catch (e) { expect(e).toBeInstanceOf(UserError); return (e as Error).message; }
      throw new Error('expected a UserError');
    };
    expect(bad(SMALL.replace('\tOFFSET 1 2 3', '\tOFFSET 1 two 3'))).toMatch(/^bad\.bvh:4: expected a number/);
    expect(bad(SMALL.replace('\tJOINT arm', '\tJIONT arm'))).toMatch(/^bad\.bvh:6: unexpected "JIONT"/);
    expect(bad(SMALL.replace('0 0 0 0 0 0 0', '0 0 0 0 0 0'))).toMatch(/^bad\.bvh:19: frame 0 has 6 values, the hierarchy has 7 channels/);
    expect(bad(SMALL.replace('90\t1 0 0 0 0 90', '90\t1 0 NaN 0 0 90'))).toMatch(/^bad\.bvh:20: frame 1, channel 4: "NaN"/);
    expect(bad(SMALL.replace('Frames: 2', 'Frames: 0'))).toMatch(/^bad\.bvh:17: the clip has zero frames/);
    expect(bad(SMALL.replace('Frames: 2', 'Frames: 3'))).toMatch(/only 2 frame lines/);
    expect(bad(SMALL.replace('Frame Time: 0.04', 'Frame Time: 0'))).toMatch(/^bad\.bvh:18: bad frame time/);
    expect(bad(SMALL.replace('MOTION', 'MOTON'))).toMatch(/MOTON|no MOTION/);
    expect(bad('hello')).toMatch(/^bad\.bvh:1: expected HIERARCHY/);
    expect(() => readBvh('/nonexistent/clip.bvh')).toThrow(/clip\.bvh: file not found/);
  });

  const walk = sharedDataPath('mocap', 'cmu_02_01_walk.bvh');
  it.skipIf(!walk)('parses the shared CMU walk: counts and first-frame positions (checked against three.js BVHLoader)', () => {
    const clip = readBvh(walk!);
    expect(clip.frameCount).toBe(343);
    expect(bvhJointCount(clip)).toBe(31);
    expect(clip.joints.length).toBe(38); // + 7 End Sites
    expect(clip.channelCount).toBe(96);
    expect(bvhFps(clip)).toBeCloseTo(120, 2);
    const ours = bvhFramePose(clip, 0).positions;
    // The root has a zero OFFSET: its position is the first three values of the first frame line.
    expectVec(ours[0]!, [10.4194, 16.7048, -30.1003], 4);
    const head = clip.joints.findIndex((j) => j.name === 'Head_End');
    expectVec(ours[head]!, [10.1891, 25.5443, -30.1627], 3);

    // Independent check: three.js' BVHLoader, first keyframe applied to its bones.
    const { skeleton, clip: anim } = new BVHLoader().parse(readFileSync(walk!, 'utf8'));
    for (const track of anim.tracks) {
      const [boneName, prop] = track.name.split('.');
      const bone = skeleton.bones.find((b) => b.name === boneName)!;
      if (prop === 'position') bone.position.fromArray(Array.from(track.values.slice(0, 3)));
      else bone.quaternion.fromArray(Array.from(track.values.slice(0, 4)));
    }
    skeleton.bones[0]!.updateMatrixWorld(true);
    expect(skeleton.bones.length).toBe(clip.joints.length);
    skeleton.bones.forEach((bone, i) => {
      const p = bone.getWorldPosition(new Vector3());
      expectVec(ours[i]!, [p.x, p.y, p.z], 2);
    });
  });
});
