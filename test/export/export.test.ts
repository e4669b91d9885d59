import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnimationClip, AnimationMixer, Bone, LoopOnce, Object3D, Vector3 } from 'three';
import { BVHLoader } from 'three/examples/jsm/loaders/BVHLoader.js';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { NodeIO } from '@gltf-transform/core';
import { bvhName, motionFrameKinematics, motionToBvh, motionToCsv, motionToGlb, skeletonTopology } from '../../src/export/index.ts';
import { motionFile, type MotionFile } from '../../src/formats/motion.ts';
import { MEDIAPIPE_33 } from '../../src/formats/landmarks.ts';
import { main } from '../../src/cli/main.ts';
import { forwardKinematics as bodyFk } from '../../src/body/fk.ts';
import type { Quat, Vec3 } from '../../src/geometry/quaternion.ts';
import { PROJECT_ROOT } from '../helpers/shared-data.ts';
import { chainMotion, humanoidResult } from './fixtures.ts';

const fixtures: Array<[string, MotionFile]> = [
  ['3-joint chain', chainMotion()],
  ['humanoid', humanoidResult({ seconds: 0.5 }).motion],
];

/** Max distance (in the FK's units × scale) between an animated three.js hierarchy and motion.json FK. */
function maxJointError(motion: MotionFile, root: Object3D, clip: AnimationClip, scale: number): number {
  const topo = skeletonTopology(motion.skeleton);
  const mixer = new AnimationMixer(root);
  // Play once and hold the last key (a repeating action would wrap the last frame to time 0).
  const action = mixer.clipAction(clip);
  action.setLoop(LoopOnce, 1);
  action.clampWhenFinished = true;
  action.play();
  const byName = new Map<string, Object3D>();
  root.traverse((o) => { if (o.name) byName.set(o.name, o); });
  let worst = 0;
  const v = new Vector3();
  motion.frames.forEach((frame, i) => {
    mixer.setTime(i / motion.fps);
    root.updateMatrixWorld(true);
    const fk = motionFrameKinematics(topo, frame);
    topo.names.forEach((name, j) => {
      const node = byName.get(name) ?? byName.get(bvhName(name)) ?? byName.get(name.replace(/\s+/g, '_'));
      expect(node, `joint ${name} in the file`).toBeDefined();
      node!.getWorldPosition(v);
      const p = fk.positions[j]!;
      worst = Math.max(worst, Math.hypot(v.x - p[0] * scale, v.y - p[1] * scale, v.z - p[2] * scale));
    });
  });
  return worst;
}

describe('BVH export', () => {
  it.each(fixtures)('%s: three BVHLoader reads back the same joint positions within 1 mm', (_, motion) => {
    const text = motionToBvh(motion);
    expect(text).toMatch(/^HIERARCHY\n/);
    expect(text).toContain(`Frames: ${motion.frames.length}`);
    expect(text).toContain(`Frame Time: ${(1 / motion.fps).toFixed(8)}`);
    const result = new BVHLoader().parse(text);
    expect(result.skeleton.bones.filter((b: Bone) => b.name !== 'ENDSITE').length).toBe(motion.skeleton.joints.length);
    const root = result.skeleton.bones[0]!;
    // Centimetres: 1 mm = 0.1 units.
    expect(maxJointError(motion, root, result.clip, 100)).toBeLessThan(0.1);
  });

  it('refuses a skeleton with a rotation count that does not match', () => {
    const motion = chainMotion(3);
    motion.frames[1]!.rotations.pop();
    expect(() => motionToBvh(motion)).toThrow(/frame 1 has 2 joint rotations/);
  });
});

describe('GLB export', () => {
  it.each(fixtures)('%s: three GLTFLoader reads back the same joint positions within 1 mm', async (_, motion) => {
    const glb = await motionToGlb(motion);
    expect(new TextDecoder().decode(glb.slice(0, 4))).toBe('glTF');
    const gltf = await new GLTFLoader().parseAsync(glb.buffer.slice(glb.byteOffset, glb.byteOffset + glb.byteLength) as ArrayBuffer, '');
    expect(gltf.animations).toHaveLength(1);
    expect(gltf.animations[0]!.duration).toBeCloseTo((motion.frames.length - 1) / motion.fps, 4);
    let skinned = 0;
    gltf.scene.traverse((o) => { if ((o as { isSkinnedMesh?: boolean }).isSkinnedMesh) skinned++; });
    expect(skinned).toBe(1);
    expect(maxJointError(motion, gltf.scene, gltf.animations[0]!, 1)).toBeLessThan(0.001);
  });

  it('gltf-transform NodeIO reads the skin, the joint hierarchy and one key per frame', async () => {
    const motion = fixtures[1]![1];
    const doc = await new NodeIO().readBinary(await motionToGlb(motion));
    const root = doc.getRoot();
    expect(root.listSkins()[0]!.listJoints().map((n) => n.getName())).toEqual(motion.skeleton.joints.map((j) => j.name));
    const anim = root.listAnimations()[0]!;
    expect(anim.listChannels()).toHaveLength(motion.skeleton.joints.length + 1);
    expect(anim.listSamplers()[0]!.getInput()!.getCount()).toBe(motion.frames.length);
    const thigh = root.listNodes().find((n) => n.getName() === 'left_shin')!;
    expect(thigh.getParentNode()!.getName()).toBe('left_thigh');
  });
});

describe('CSV export', () => {
  it('parses back to the landmark positions (metres) and contact flags', () => {
    const motion = fixtures[1]![1];
    const csv = motionToCsv(motion);
    const lines = csv.trim().split('\n');
    const header = lines[0]!.split(',');
    expect(header.slice(0, 5)).toEqual(['frame', 'time', 'nose_x', 'nose_y', 'nose_z']);
    expect(header).toHaveLength(2 + 3 * MEDIAPIPE_33.length + 2);
    expect(header.at(-1)).toBe('right_foot_contact');
    expect(lines).toHaveLength(motion.frames.length + 1);
    lines.slice(1).forEach((line, i) => {
      const cells = line.split(',').map(Number);
      expect(cells[0]).toBe(i);
      expect(cells[1]).toBeCloseTo(i / motion.fps, 6);
      const frame = motion.frames[i]!;
      frame.joints3d.forEach((p, k) => {
        for (let a = 0; a < 3; a++) expect(Math.abs(cells[2 + 3 * k + a]! - p[a]!)).toBeLessThan(1e-5);
      });
      expect(cells.at(-2)).toBe(frame.contacts.leftFoot ? 1 : 0);
      expect(cells.at(-1)).toBe(frame.contacts.rightFoot ? 1 : 0);
    });
  });

  it('names columns joint<i> for a skeleton that is not the 33 landmarks', () => {
    const header = motionToCsv(chainMotion(2)).split('\n')[0]!;
    expect(header).toBe('frame,time,joint0_x,joint0_y,joint0_z,joint1_x,joint1_y,joint1_z,joint2_x,joint2_y,joint2_z,left_foot_contact,right_foot_contact');
  });
});

describe('optimus-motion export', () => {
  it('writes each format and refuses a bad format and a bad file with one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'om-export-'));
    try {
      const motion = humanoidResult({ seconds: 0.3 }).motion;
      expect(motionFile.safeParse(motion).success).toBe(true);
      const path = join(dir, 'motion.json');
      writeFileSync(path, JSON.stringify(motion));
      for (const format of ['bvh', 'glb', 'csv', 'json']) {
        process.exitCode = undefined;
        await main(['node', 'optimus-motion', 'export', path, '--format', format, '--quiet']);
        expect(process.exitCode ?? 0).toBe(0);
      }
      expect(readFileSync(join(dir, 'motion.bvh'), 'utf8')).toMatch(/^HIERARCHY/);
      expect(readFileSync(join(dir, 'motion.csv'), 'utf8')).toMatch(/^frame,time,nose_x/);
      expect(readFileSync(join(dir, 'motion.glb')).subarray(0, 4).toString()).toBe('glTF');
      expect(JSON.parse(readFileSync(join(dir, 'motion.export.json'), 'utf8')).frames).toHaveLength(motion.frames.length);

      const errors: string[] = [];
      const write = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((s: string) => { errors.push(String(s)); return true; }) as typeof process.stderr.write;
      try {
        await main(['node', 'optimus-motion', 'export', path, '--format', 'fbx']);
        writeFileSync(join(dir, 'broken.json'), '{"format": "optimus-motion/motion@1", "fps": 3');
        await main(['node', 'optimus-motion', 'export', join(dir, 'broken.json'), '--format', 'bvh']);
      } finally {
        process.stderr.write = write;
      }
      expect(errors[0]).toMatch(/--format must be one of bvh, glb, csv, json, got "fbx"/);
      expect(errors[1]).toMatch(/broken\.json: not valid JSON/);
      expect(process.exitCode).toBe(2);
      process.exitCode = undefined;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the project skeleton (synth of data/demo-squat.bvh)', () => {
  const bvh = join(PROJECT_ROOT, 'data/demo-squat.bvh');
  it.skipIf(!existsSync(bvh))('export FK agrees with src/body/fk.ts, and BVH/GLB round-trip within 1 mm', async () => {
    const { writeSynthResultFolder } = await import('../viewer/result-folder.ts');
    const dir = mkdtempSync(join(tmpdir(), 'om-export-synth-'));
    try {
      const r = writeSynthResultFolder(dir, { seconds: 0.5 });
      const topo = skeletonTopology(r.motion.skeleton);
      r.truth.frames.forEach((tf, i) => {
        const frame = tf as unknown as MotionFile['frames'][number];
        const mine = motionFrameKinematics(topo, { ...frame, joints3d: [], contacts: { leftFoot: false, rightFoot: false } }).positions;
        const theirs = bodyFk(r.skeleton, { rootPosition: frame.root.position as Vec3, rootRotation: frame.root.rotation as Quat, rotations: frame.rotations as Quat[] }).positions;
        mine.forEach((p, j) => expect(Math.hypot(p[0] - theirs[j]![0], p[1] - theirs[j]![1], p[2] - theirs[j]![2]), `frame ${i} joint ${j}`).toBeLessThan(1e-9));
      });
      const bvhResult = new BVHLoader().parse(motionToBvh(r.motion));
      expect(maxJointError(r.motion, bvhResult.skeleton.bones[0]!, bvhResult.clip, 100)).toBeLessThan(0.1);
      const glb = await motionToGlb(r.motion);
      const gltf = await new GLTFLoader().parseAsync(glb.buffer.slice(glb.byteOffset, glb.byteOffset + glb.byteLength) as ArrayBuffer, '');
      expect(maxJointError(r.motion, gltf.scene, gltf.animations[0]!, 1)).toBeLessThan(0.001);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
