import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBvh, readBvh } from '../../src/body/bvh.ts';
import { landmarkPositions } from '../../src/body/fk.ts';
import { retargetBvh } from '../../src/body/retarget.ts';
import { rigFamily } from '../../src/body/rig-family.ts';
import { evaluateFiles } from '../../src/eval/evaluate.ts';
import { mpjpe, paMpjpe } from '../../src/eval/metrics.ts';
import { eulerZXY, proceduralBvh } from '../../src/eval/procedural.ts';
import { quatFromAxisAngle, quatFromEuler, quatMultiply } from '../../src/geometry/quaternion.ts';
import { synthToDirectory } from '../../src/eval/synth.ts';
import { reconstruct } from '../../src/reconstruct/pipeline.ts';
import { sharedDataPath } from '../helpers/shared-data.ts';

/** Lower-body landmarks: below the trunk, where two captures of one motion differ only by the rigs. */
const LOWER_BODY = ['left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle',
  'left_heel', 'right_heel', 'left_foot_index', 'right_foot_index'] as const;

describe('retargeting across rig families', () => {
  it('names the rig family of a clip from its joints', () => {
    expect(rigFamily(parseBvh(proceduralBvh(), 'demo.bvh'))).toBe('optimus-motion');
    const expected: Record<string, string> = {
      cmu_01_01_forward_jumps: 'cgspeed-motionbuilder', cmu_02_01_walk: 'cgspeed-motionbuilder', cmu_22_14_squat: 'cgspeed-motionbuilder',
      cmu_131_03_mj_start_hop_stop_scaled: 'cgspeed-3dsmax', cmu_60_02_salsa_lead_scaled: 'daz',
      cmu_01_01_forward_jumps_iclone60: 'cc-base', cmu_07_12_brisk_walk_iclone60: 'cc-base',
    };
    for (const [name, family] of Object.entries(expected)) {
      const path = sharedDataPath('mocap', `${name}.bvh`);
      if (path) expect(rigFamily(readBvh(path)), name).toBe(family);
    }
  });

  it('retargets a rig whose zero pose has its legs up and its feet turned over (as CC_Base) to the same motion', () => {
    // The demo clip rewritten so each leg's zero pose is its real one turned 180° about z: every leg
    // offset below the hip flipped (x, y → −x, −y), the thigh rotation followed by that turn and the
    // shin and foot rotations conjugated by it. Forward kinematics gives the same positions.
    const text = proceduralBvh();
    const clip = parseBvh(text, 'demo.bvh');
    const Rz = quatFromAxisAngle([0, 0, 1], Math.PI);
    const legs = ['left_thigh', 'left_shin', 'left_foot', 'right_thigh', 'right_shin', 'right_foot'];
    const flipOffset = new Set(['left_shin', 'left_foot', 'right_shin', 'right_foot', 'left_foot_End', 'right_foot_End']);
    let joint = '';
    let motion = false;
    const flipped = text.split('\n').map((line) => {
      if (line.startsWith('MOTION')) motion = true;
      if (!motion) {
        const named = /^\s*(?:ROOT|JOINT) (\S+)/.exec(line);
        if (named) joint = named[1]!;
        if (/^\s*End Site/.test(line)) joint = `${joint}_End`;
        return flipOffset.has(joint) ? line.replace(/OFFSET (\S+) (\S+) (\S+)/, (_, x: string, y: string, z: string) => `OFFSET ${-Number(x)} ${-Number(y)} ${z}`) : line;
      }
      const v = line.trim().split(/\s+/).map(Number);
      if (v.length !== clip.channelCount) return line;
      for (const name of legs) {
        const j = clip.joints.find((b) => b.name === name)!;
        const order = j.channels.map((c) => c[0]).join('');
        const q = quatFromEuler(j.channels.map((_, c) => (v[j.channelStart + c]! * Math.PI) / 180), order);
        const q2 = name.endsWith('thigh') ? quatMultiply(q, Rz) : quatMultiply(quatMultiply(Rz, q), Rz);
        expect(order).toBe('ZXY');
        eulerZXY(q2).forEach((d, c) => { v[j.channelStart + c] = d; });
      }
      return v.join(' ');
    }).join('\n');
    const upLegs = parseBvh(flipped, 'legs-up.bvh');
    const plain = retargetBvh(clip, { fps: 30 });
    const r = retargetBvh(upLegs, { fps: 30 });
    expect(r.rigFrames.origin.left_foot).toBe('motion');
    expect(r.upAxis).toBe('+y');
    expect(r.metresPerUnit).toBeCloseTo(plain.metresPerUnit, 3);
    const a = plain.poses.map((p) => landmarkPositions(plain.skeleton, p));
    const b = r.poses.map((p) => landmarkPositions(r.skeleton, p));
    let worst = 0;
    a.forEach((f, k) => f.forEach((p, i) => { worst = Math.max(worst, Math.hypot(p[0] - b[k]![i]![0], p[1] - b[k]![i]![1], p[2] - b[k]![i]![2])); }));
    expect(worst).toBeLessThan(0.005);
  });

  it('skips a leading bind pose (a T-pose the motion jumps away from), as iClone exports start', () => {
    const text = proceduralBvh();
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.startsWith('Frame Time'));
    const first = lines[at + 1]!.trim().split(/\s+/);
    // The rig's zero pose where the motion's first frame stands: root position kept, every rotation 0.
    const bind = first.map((v, i) => (i < 3 ? v : '0')).join(' ');
    const withBind = [...lines.slice(0, at + 1), bind, ...lines.slice(at + 1)].join('\n')
      .replace(/^Frames:\s*(\d+)/m, (_, n: string) => `Frames: ${Number(n) + 1}`);
    const plain = retargetBvh(parseBvh(text, 'demo.bvh'), { fps: 30 });
    const bound = retargetBvh(parseBvh(withBind, 'bind.bvh'), { fps: 30 });
    expect(plain.bindFrames).toBe(0);
    expect(bound.bindFrames).toBe(1);
    expect(bound.poses.length).toBe(plain.poses.length);
    const a = plain.poses.map((p) => landmarkPositions(plain.skeleton, p));
    const b = bound.poses.map((p) => landmarkPositions(bound.skeleton, p));
    expect(mpjpe(a, b)).toBeLessThan(1);
  });

  const cg = sharedDataPath('mocap', 'cmu_01_01_forward_jumps.bvh');
  const cc = sharedDataPath('mocap', 'cmu_01_01_forward_jumps_iclone60.bvh');

  it.skipIf(!cc)('reads the CC_Base rig (zero pose with its legs up) from a standing frame: y up, centimetres, an upright subject', () => {
    const r = retargetBvh(readBvh(cc!), { fps: 30, seconds: 1 });
    expect(r.upAxis).toBe('+y');
    // The avatar is ~1.8 m tall in centimetres: ~0.0095 m per unit for a 1.70 m subject (0.0226 before the fix).
    expect(r.metresPerUnit).toBeGreaterThan(0.008);
    expect(r.metresPerUnit).toBeLessThan(0.011);
    expect(r.rigFrames.origin).toEqual({ head: 'rest', left_foot: 'motion', right_foot: 'motion' });
    expect(r.bindFrames).toBe(0);
    const walk = sharedDataPath('mocap', 'cmu_07_12_brisk_walk_iclone60.bvh');
    if (walk) expect(retargetBvh(readBvh(walk), { seconds: 0.5 }).bindFrames).toBe(1);
    const nose = landmarkPositions(r.skeleton, r.poses[0]!)[0]!;
    expect(nose[1]).toBeGreaterThan(1.4);
  });

  it.skipIf(!cg || !cc)('the forward jumps in the cgspeed and CC_Base rigs give the same truth and the same kinematic scores', async () => {
    const seconds = 2;
    const a = retargetBvh(readBvh(cg!), { fps: 30, seconds });
    const b = retargetBvh(readBvh(cc!), { fps: 30, seconds });
    expect(b.poses.length).toBe(a.poses.length);
    const la = a.poses.map((p) => landmarkPositions(a.skeleton, p));
    const lb = b.poses.map((p) => landmarkPositions(b.skeleton, p));
    // Both are on one project skeleton (bone lengths equal: the avatars' proportions are gone);
    // root-aligned they agree within 30 mm, per-frame similarity-aligned and in the lower body closer.
    const pa = paMpjpe(la, lb);
    const lower = mpjpe(la, lb, { landmarks: LOWER_BODY });
    const all = mpjpe(la, lb);
    expect(all).toBeLessThan(30);
    expect(pa).toBeLessThan(20);
    expect(lower).toBeLessThan(20);
    console.log(`forward jumps, cgspeed vs CC_Base truth: PA ${pa.toFixed(1)} mm, root-aligned lower body ${lower.toFixed(1)} mm, all ${all.toFixed(1)} mm`);

    // synth + reconstruct --no-physics + eval on both: the kinematic scores agree within 3 mm.
    const dir = mkdtempSync(join(tmpdir(), 'rig-pair-'));
    const scores = [];
    for (const [name, clip] of [['cg', cg!], ['cc', cc!]] as const) {
      const out = join(dir, name);
      const s = synthToDirectory(clip, out, { fps: 30, seconds, noisePx: 3, dropout: 0.05, seed: 7 });
      expect(s.checks.every((c) => c.ok), s.checks.map((c) => c.detail).join('; ')).toBe(true);
      await reconstruct(s.keypointsPath, { out: join(out, 'rec'), physics: false, exports: [], checkSheet: false, workers: 0 });
      scores.push(evaluateFiles(join(out, 'rec', 'motion.json'), s.truthPath));
    }
    const [x, y] = scores as [typeof scores[number], typeof scores[number]];
    console.log(`kinematic MPJPE / PA: cgspeed ${x.mpjpe.toFixed(1)} / ${x.paMpjpe.toFixed(1)} mm, CC_Base ${y.mpjpe.toFixed(1)} / ${y.paMpjpe.toFixed(1)} mm`);
    expect(Math.abs(x.mpjpe - y.mpjpe)).toBeLessThan(3);
    expect(Math.abs(x.paMpjpe - y.paMpjpe)).toBeLessThan(3);
  }, 300_000);
});
