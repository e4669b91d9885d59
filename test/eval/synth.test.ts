import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseBvh } from '../../src/body/bvh.ts';
import { projectPoint } from '../../src/geometry/camera.ts';
import { readKeypoints } from '../../src/formats/keypoints.ts';
import { readTruth } from '../../src/formats/truth.ts';
import { LANDMARK_INDEX } from '../../src/formats/landmarks.ts';
import { evaluate, evaluateFiles, readLandmarkSequence } from '../../src/eval/evaluate.ts';
import { proceduralBvh, PROCEDURAL_SECONDS } from '../../src/eval/procedural.ts';
import { synthesize, synthToDirectory } from '../../src/eval/synth.ts';
import { registerSynth } from '../../src/cli/commands/synth.ts';
import { registerEval } from '../../src/cli/commands/eval.ts';
import { UserError } from '../../src/errors.ts';
import type { Vec3 } from '../../src/geometry/quaternion.ts';
import { PROJECT_ROOT, sharedDataPath } from '../helpers/shared-data.ts';

const DEMO_TEXT = proceduralBvh();
const demo = () => parseBvh(DEMO_TEXT, 'demo-squat.bvh');

describe('procedural demo clip', () => {
  it('is deterministic, small, and data/demo-squat.bvh is up to date', () => {
    expect(proceduralBvh()).toBe(DEMO_TEXT);
    const file = resolve(PROJECT_ROOT, 'data/demo-squat.bvh');
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).size).toBeLessThan(200_000);
    expect(readFileSync(file, 'utf8')).toBe(DEMO_TEXT); // regenerate: npx tsx scripts/make-demo-clip.ts
  });

  it('round-trips through the BVH parser', () => {
    const clip = demo();
    expect(clip.frameCount).toBe(Math.round(PROCEDURAL_SECONDS * 30) + 1);
    expect(clip.joints.filter((j) => !j.endSite).length).toBe(17);
    expect(clip.joints[0]!.name).toBe('pelvis');
    expect(1 / clip.frameTime).toBeCloseTo(30, 4);
  });
});

describe('synth', () => {
  it('projects the truth exactly when there is no noise, keeps every landmark in view, and eval(truth, truth) = 0', () => {
    const { keypoints, truth, camera } = synthesize(demo(), { worldNoise: 0 });
    expect(keypoints.frames.length).toBe(truth.frames.length);
    expect(truth.fps).toBe(30);
    let worst = 0;
    keypoints.frames.forEach((f, k) => f.keypoints!.forEach((kp, i) => {
      const uv = projectPoint(camera, truth.frames[k]!.joints3d[i] as Vec3)!;
      worst = Math.max(worst, Math.hypot(kp[0] - uv[0], kp[1] - uv[1]));
      expect(kp[0]).toBeGreaterThan(0); expect(kp[0]).toBeLessThan(1280);
      expect(kp[1]).toBeGreaterThan(0); expect(kp[1]).toBeLessThan(720);
      expect(kp[2]).toBeGreaterThanOrEqual(0.8);
    }));
    expect(worst).toBeLessThan(1e-9);
    // World landmarks: hip-centred, camera axes with y down (the head is above the hips: negative y).
    const w = keypoints.frames[0]!.world!;
    const hip = w[LANDMARK_INDEX.left_hip]!.map((v, i) => (v + w[LANDMARK_INDEX.right_hip]![i]!) / 2);
    for (const v of hip) expect(Math.abs(v)).toBeLessThan(1e-9);
    expect(w[LANDMARK_INDEX.nose]![1]).toBeLessThan(-0.4);
    const seq = { source: 'truth', kind: 'truth' as const, fps: truth.fps, frames: truth.frames.map((f) => f.joints3d as Vec3[]) };
    const m = evaluate(seq, seq);
    expect(m.mpjpe).toBe(0);
    expect(m.mpjpeG).toBe(0);
    expect(m.paMpjpe).toBeCloseTo(0, 6);
    expect(m.accelError).toBe(0);
    expect(m.footSkatePct).toBe(0);
    expect(m.penetrationMm).toBe(0);
    expect(m.groundDistanceMm).toBe(0);
  });

  it('adds seeded Gaussian noise and detector-like dropout', () => {
    const clean = synthesize(demo(), { seed: 1 });
    const a = synthesize(demo(), { noisePx: 3, dropout: 0.1, seed: 7 });
    const b = synthesize(demo(), { noisePx: 3, dropout: 0.1, seed: 7 });
    const c = synthesize(demo(), { noisePx: 3, dropout: 0.1, seed: 8 });
    expect(JSON.stringify(a.keypoints)).toBe(JSON.stringify(b.keypoints));
    expect(JSON.stringify(a.keypoints)).not.toBe(JSON.stringify(c.keypoints));
    let kept = 0, lost = 0, sq = 0;
    a.keypoints.frames.forEach((f, k) => f.keypoints!.forEach((kp, i) => {
      const ref = clean.keypoints.frames[k]!.keypoints![i]!;
      if (kp[2] >= 0.8) { kept++; sq += (kp[0] - ref[0]) ** 2 + (kp[1] - ref[1]) ** 2; } else { lost++; expect(kp[2]).toBeLessThan(0.3); }
    }));
    const rate = lost / (kept + lost);
    expect(rate).toBeGreaterThan(0.08);
    expect(rate).toBeLessThan(0.12);
    const sigma = Math.sqrt(sq / (2 * kept));
    expect(sigma).toBeGreaterThan(2.8);
    expect(sigma).toBeLessThan(3.2);
  });

  it('places the camera from --camera (distance, height, yaw, fov) and refuses bad values', () => {
    const { camera } = synthesize(demo(), { camera: { distance: 5, height: 1.5, yawDeg: 90, fovDeg: 50 } });
    expect(camera.position[1]).toBeCloseTo(1.5, 9);
    expect(camera.position[0]).toBeGreaterThan(4.9); // yaw 90°: on the subject's left (+x)
    expect(camera.fx).toBeCloseTo(640 / Math.tan((25 * Math.PI) / 180), 6);
    expect(() => synthesize(demo(), { dropout: 1.5 })).toThrow(UserError);
    expect(() => synthesize(demo(), { camera: { fovDeg: 0 } })).toThrow(/field of view/);
  });

  it('CLI: synth writes keypoints.json and truth.json, eval scores truth against itself as 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synth-'));
    const bvh = join(dir, 'demo.bvh');
    (await import('node:fs')).writeFileSync(bvh, DEMO_TEXT);
    const program = new Command('optimus-motion').exitOverride();
    registerSynth(program);
    registerEval(program);
    const out = join(dir, 'out');
    await program.parseAsync(['synth', bvh, '--out', out, '--noise-px', '3', '--dropout', '0.05', '--seconds', '2', '--size', '720x1280', '--seed', '3', '--quiet'], { from: 'user' });
    const kp = readKeypoints(join(out, 'keypoints.json'));
    const truth = readTruth(join(out, 'truth.json'));
    expect(kp.frames.length).toBe(61);
    expect(kp.source.width).toBe(720);
    expect(kp.camera).not.toBeNull();
    expect(truth.frames.length).toBe(61);
    const metricsPath = join(out, 'metrics.json');
    await program.parseAsync(['eval', join(out, 'truth.json'), '--truth', join(out, 'truth.json'), '--json', metricsPath, '--quiet'], { from: 'user' });
    const m = JSON.parse(readFileSync(metricsPath, 'utf8'));
    expect(m.mpjpe).toBe(0);
    expect(m.frames).toBe(61);
    await expect(program.parseAsync(['synth', bvh, '--out', out, '--camera', '3,1.2'], { from: 'user' })).rejects.toThrow(/--camera must be distance,height,yaw,fov/);
  });

  const clips = ['cmu_02_01_walk', 'cmu_60_02_salsa_lead_scaled'];
  for (const name of clips) {
    const path = sharedDataPath('mocap', `${name}.bvh`);
    it.skipIf(!path)(`synth of the shared clip ${name} at 30 fps evaluates to 0 against itself`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'synth-cmu-'));
      const r = synthToDirectory(path!, dir, { noisePx: 3, dropout: 0.05, seconds: 3 });
      expect(r.truth.frames.length).toBe(name.includes('walk') ? 86 : 91);
      const m = evaluateFiles(r.truthPath, r.truthPath);
      expect(m.mpjpe + m.mpjpeG + m.accelError + m.groundDistanceMm).toBe(0);
      expect(readLandmarkSequence(r.truthPath).fps).toBe(30);
      console.log(`${name}: truth foot skating ${m.truthFootSkatePct.toFixed(1)} %, penetration ${m.truthPenetrationMm.toFixed(2)} mm, camera at ${r.camera.position.map((v) => v.toFixed(2)).join(', ')}`);
    });
  }
});
