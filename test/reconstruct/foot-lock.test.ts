import { describe, expect, it } from 'vitest';
import { forwardKinematics } from '../../src/body/fk.ts';
import { legJoints } from '../../src/body/leg-ik.ts';
import { quatRotate, type Vec3 } from '../../src/geometry/quaternion.ts';
import { len, sub } from '../../src/geometry/vec3.ts';
import { contactsFrom, detectContacts, fillShortFlights, runs, SIDES, soleBox } from '../../src/reconstruct/foot-contact.ts';
import { lockFeet } from '../../src/reconstruct/foot-lock.ts';
import { syntheticWalk } from './synthetic-walk.ts';

describe('foot contact detection', () => {
  it('finds the stances of a walk built in code, hovering and gliding feet included', () => {
    for (const noise of [0, 0.02]) {
      const walk = syntheticWalk(3, 30, noise);
      const found = detectContacts(walk.skel, walk.motion, walk.fps);
      let agree = 0;
      found.forEach((c, t) => { agree += Number(c[0] === walk.contacts[t]![0]) + Number(c[1] === walk.contacts[t]![1]); });
      expect(agree / (2 * found.length)).toBeGreaterThan(0.9);
      // One detected stance per true stance of 3 frames or more (a last frame touching down is too short): no flicker.
      for (const i of [0, 1]) expect(runs(found.map((c) => c[i]!)).length).toBe(runs(walk.contacts.map((c) => c[i]!)).filter(([s, e]) => e - s >= 2).length);
    }
  });

  it('finds the same stances at 60 fps as at 30 fps (speeds and run lengths in time, not frames)', () => {
    const at30 = syntheticWalk(3, 30, 0.02), at60 = syntheticWalk(3, 60, 0.02);
    const c30 = detectContacts(at30.skel, at30.motion, 30), c60 = detectContacts(at60.skel, at60.motion, 60);
    for (const i of [0, 1]) {
      const r30 = runs(c30.map((c) => c[i]!)), r60 = runs(c60.map((c) => c[i]!));
      expect(r60.length).toBe(r30.length);
      r30.forEach(([s, e], k) => { expect(Math.abs(r60[k]![0] / 2 - s)).toBeLessThanOrEqual(1); expect(Math.abs(r60[k]![1] / 2 - e)).toBeLessThanOrEqual(1); });
    }
  });

  it('plants the lower foot through a short run without support, not through a long flight', () => {
    const contacts: Array<[boolean, boolean]> = [[false, true], [false, false], [false, false], [true, false], [false, false], [false, false], [false, false], [false, false], [true, false]];
    const lows = contacts.map((_, t) => [0.1, t < 2 ? 0.05 : 0.2]);
    const out = fillShortFlights(contacts, lows, 2);
    expect(out.slice(0, 4)).toEqual([[false, true], [false, true], [true, false], [true, false]]);
    expect(out.slice(4, 8).every((c) => !c[0] && !c[1])).toBe(true);
  });

  it('keeps a stance through a one-frame flicker and drops a two-frame touch', () => {
    const low = [0.2, 0.2, 0, 0, 0, 0.2, 0, 0, 0, 0.2, 0.2, 0.2, 0, 0, 0.2, 0.2, 0.2];
    const c = contactsFrom(low, low.map(() => 0));
    expect(c).toEqual([false, false, true, true, true, true, true, true, true, false, false, false, false, false, false, false, false]);
  });
});

describe('foot lock', () => {
  it('holds each stance foot flat in one place within 1 mm, keeps bone lengths and keeps soles out of the floor', () => {
    const walk = syntheticWalk(3, 30, 0.02);
    const { motion, contacts } = lockFeet(walk.skel, walk.motion, walk.fps);
    const worlds = motion.map((p) => forwardKinematics(walk.skel, p));
    SIDES.forEach((side, i) => {
      const foot = legJoints(side).ankle;
      const corners = soleBox(walk.skel, foot).corners;
      const at = (t: number): Vec3[] => corners.map((c) => { const o = quatRotate(worlds[t]!.rotations[foot]!, c); const p = worlds[t]!.positions[foot]!; return [p[0] + o[0], p[1] + o[1], p[2] + o[2]] as Vec3; });
      const stances = runs(contacts.map((c) => c[i]!));
      expect(stances.length).toBeGreaterThan(2);
      for (const [s, e] of stances) {
        const first = at(s);
        for (const p of first) expect(Math.abs(p[1])).toBeLessThan(1e-3);
        for (let t = s + 1; t <= e; t++) at(t).forEach((p, k) => expect(len(sub(p, first[k]!))).toBeLessThan(1e-3));
      }
      worlds.forEach((_, t) => at(t).forEach((p) => expect(p[1]).toBeGreaterThan(-1e-3)));
    });
    worlds.forEach((w) => walk.skel.joints.forEach((j, k) => {
      if (j.parent >= 0) expect(len(sub(w.positions[k]!, w.positions[j.parent]!))).toBeCloseTo(len(j.offset), 9);
    }));
  });

  it('tilts a stance foot as the reference does up to maxTilt, its sole centre in one place and its lowest corner on the floor', () => {
    const walk = syntheticWalk(2, 30, 0.01, 0.3);
    const maxTilt = 0.1;
    const { motion, contacts } = lockFeet(walk.skel, walk.motion, walk.fps, { maxTilt });
    const worlds = motion.map((p) => forwardKinematics(walk.skel, p));
    SIDES.forEach((side, i) => {
      const foot = legJoints(side).ankle;
      const box = soleBox(walk.skel, foot);
      const point = (t: number, c: Vec3): Vec3 => { const o = quatRotate(worlds[t]!.rotations[foot]!, c); const p = worlds[t]!.positions[foot]!; return [p[0] + o[0], p[1] + o[1], p[2] + o[2]]; };
      let tilted = 0;
      for (const [s, e] of runs(contacts.map((c) => c[i]!))) {
        const centre = point(s, box.centre);
        for (let t = s; t <= e; t++) {
          const up = quatRotate(worlds[t]!.rotations[foot]!, [0, 1, 0]);
          const tilt = Math.acos(Math.min(1, up[1]));
          expect(tilt).toBeLessThan(maxTilt + 1e-6);
          if (tilt > maxTilt / 2) tilted++;
          expect(Math.abs(Math.min(...box.corners.map((c) => point(t, c)[1])))).toBeLessThan(1e-3);
          const c = point(t, box.centre);
          expect(Math.hypot(c[0] - centre[0], c[2] - centre[2])).toBeLessThan(1e-3);
        }
      }
      expect(tilted).toBeGreaterThan(0);
    });
  });

  it('leaves a motion with no contact unchanged', () => {
    const walk = syntheticWalk(1, 30);
    const lifted = walk.motion.map((p) => ({ ...p, rootPosition: [p.rootPosition[0], p.rootPosition[1] + 0.5, p.rootPosition[2]] as Vec3 }));
    const { motion, contacts } = lockFeet(walk.skel, lifted, walk.fps);
    expect(contacts.every((c) => !c[0] && !c[1])).toBe(true);
    expect(motion).toEqual(lifted);
  });
});
