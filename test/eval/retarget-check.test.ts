import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerSynth } from '../../src/cli/commands/synth.ts';
import { describe, expect, it } from 'vitest';
import { parseBvh, readBvh } from '../../src/body/bvh.ts';
import { landmarkPositions } from '../../src/body/fk.ts';
import { retargetBvh } from '../../src/body/retarget.ts';
import { JOINT_INDEX } from '../../src/body/skeleton.ts';
import { checkRetarget, retargetWarnings, type RetargetCheck } from '../../src/eval/retarget-check.ts';
import { footSkatePct } from '../../src/eval/metrics.ts';
import { proceduralBvh } from '../../src/eval/procedural.ts';
import { quatFromAxisAngle, quatMultiply, type Vec3 } from '../../src/geometry/quaternion.ts';
import { LANDMARK_INDEX } from '../../src/formats/landmarks.ts';
import { sharedDataPath } from '../helpers/shared-data.ts';

const byName = (checks: RetargetCheck[]): Record<string, RetargetCheck> => Object.fromEntries(checks.map((c) => [c.name, c]));

describe('retarget checks', () => {
  const r = retargetBvh(parseBvh(proceduralBvh(), 'demo.bvh'), { fps: 30 });
  const frames = (poses = r.poses): Vec3[][] => poses.map((p) => landmarkPositions(r.skeleton, p));
  const clone = () => r.poses.map((p) => ({ ...p, rotations: [...p.rotations] }));

  it('pass on a clip written in the project skeleton itself', () => {
    const checks = checkRetarget(frames(), r.fps, {}, r.sourceFeet);
    expect(checks.map((c) => c.name)).toEqual(['stance', 'face', 'skating', 'bones']);
    for (const c of checks) expect(c.ok, c.detail).toBe(true);
    expect(retargetWarnings('demo.bvh', checks)).toEqual([]);
  });

  it('fail a foot in the wrong local frame (toes up) and a face turned backwards, each with a one-line warning', () => {
    const flipped = clone();
    for (const p of flipped) {
      for (const j of [JOINT_INDEX.left_foot, JOINT_INDEX.right_foot]) p.rotations[j] = quatMultiply(p.rotations[j]!, quatFromAxisAngle([1, 0, 0], -Math.PI / 2));
      p.rotations[JOINT_INDEX.head] = quatMultiply(p.rotations[JOINT_INDEX.head]!, quatFromAxisAngle([0, 1, 0], Math.PI));
    }
    const checks = byName(checkRetarget(frames(flipped), r.fps, {}, r.sourceFeet));
    expect(checks.stance!.ok).toBe(false);
    expect(checks.face!.ok).toBe(false);
    expect(checks.bones!.ok).toBe(true);
    const warnings = retargetWarnings('demo.bvh', Object.values(checks));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^warning: demo\.bvh: retarget check "stance" failed: .*toe/);
    expect(warnings[1]).toMatch(/^warning: demo\.bvh: retarget check "face" failed: face vs chest direction: median 1[0-9]{2}°/);
    for (const w of warnings) expect(w).not.toContain('\n');
  });

  it('fail planted feet that slide and a bone that changes length', () => {
    // The whole body glides 3 cm per frame (0.9 m/s at 30 fps) while the source feet stand still.
    const gliding = clone().map((p, k) => ({ ...p, rootPosition: [p.rootPosition[0] + 0.03 * k, p.rootPosition[1], p.rootPosition[2]] as Vec3 }));
    expect(byName(checkRetarget(frames(gliding), r.fps, {}, r.sourceFeet)).skating!.ok).toBe(false);
    // …but not when the source glides too (a dancer's own slide).
    const sourceGliding = r.sourceFeet.map((f, k) => f.map((s) => ({
      ankle: [s.ankle[0] + 0.03 * k, s.ankle[1], s.ankle[2]] as Vec3,
      toe: s.toe ? [s.toe[0] + 0.03 * k, s.toe[1], s.toe[2]] as Vec3 : null,
    })) as typeof f);
    expect(byName(checkRetarget(frames(gliding), r.fps, {}, sourceGliding)).skating!.ok).toBe(true);
    const stretched = frames().map((f, k) => f.map((p, i) => (i === LANDMARK_INDEX.left_knee ? [p[0], p[1] - 0.0002 * k, p[2]] as Vec3 : p)));
    const bones = byName(checkRetarget(stretched, r.fps)).bones!;
    expect(bones.ok).toBe(false);
    expect(bones.detail).toMatch(/left_(hip|knee)–left_(knee|ankle)/);
  });

  it('synth prints one warning line per failed check to stderr, naming the clip, and still writes the truth', async () => {
    // The demo clip with its head turned backwards on the neck (180° about the head's vertical
    // axis) from 60 % of the clip on (turned throughout, it would read as a rig whose head axes are).
    const clip = parseBvh(proceduralBvh(), 'demo.bvh');
    const head = clip.joints.findIndex((j) => j.name === 'head');
    const yCol = clip.joints[head]!.channelStart + clip.joints[head]!.channels.indexOf('Yrotation');
    const lines = proceduralBvh().split('\n');
    const at = lines.findIndex((l) => l.startsWith('Frame Time'));
    const frames = lines.length - at - 1;
    const turned = lines.map((l, i) => {
      if (i <= at + 0.6 * frames || !l.trim()) return l;
      const v = l.trim().split(/\s+/);
      v[yCol] = String(Number(v[yCol]) + 180);
      return v.join(' ');
    }).join('\n');
    const dir = mkdtempSync(join(tmpdir(), 'check-cli-'));
    writeFileSync(join(dir, 'turned.bvh'), turned);
    const program = new Command('optimus-motion').exitOverride();
    registerSynth(program);
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => { errors.push(String(chunk)); return true; }) as typeof process.stderr.write;
    try {
      await program.parseAsync(['synth', join(dir, 'turned.bvh'), '--out', join(dir, 'out'), '--quiet'], { from: 'user' });
    } finally {
      process.stderr.write = write;
    }
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^warning: turned\.bvh: retarget check "face" failed: face vs chest direction: median \d+° \(limit 45°\), max 1\d\d°.*\n$/);
    expect(existsSync(join(dir, 'out', 'truth.json'))).toBe(true);
  });

  const dir = sharedDataPath('mocap');
  const clips = dir ? readdirSync(dir).filter((f) => f.endsWith('.bvh')).sort() : [];
  it.skipIf(!dir)('every shared clip passes, whole clips at 30 fps; walking and jumping clips skate ≤ 2 % by the metric', () => {
    expect(clips.length).toBeGreaterThanOrEqual(11);
    for (const clip of clips) {
      const res = retargetBvh(readBvh(join(dir!, clip)), { fps: 30 });
      const lm = res.poses.map((p) => landmarkPositions(res.skeleton, p));
      const checks = checkRetarget(lm, res.fps, {}, res.sourceFeet);
      for (const c of checks) expect(c.ok, `${clip}: ${c.name}: ${c.detail}`).toBe(true);
      const skate = footSkatePct(lm);
      if (/walk|jump/.test(clip)) expect(skate, `${clip}: truth foot skating`).toBeLessThanOrEqual(2);
      console.log(`${clip} (${res.rigFamily}): ${checks.map((c) => c.detail.split(';')[0]).join(' | ')} | metric skating ${skate.toFixed(1)} %`);
    }
  }, 120_000);
});
