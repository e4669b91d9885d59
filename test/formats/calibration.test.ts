import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cameraCentre, parseCalibration, readCalibration } from '../../src/formats/calibration.ts';
import { UserError } from '../../src/errors.ts';
import { sharedDataPath } from '../helpers/shared-data.ts';

const ONE_CAMERA = `<?xml version='1.0' encoding='ASCII'?>
<calibration type="regular"><cameras>
  <camera active="1" serial="camA" viewrotation="0">
    <fov_video bottom="1919" left="0" right="1087" top="0"/>
    <transform r11="0" r12="1" r13="0" r21="0" r22="0" r23="1" r31="1" r32="0" r33="0" x="3000" y="0" z="1500"/>
    <intrinsic centerPointU="34816" centerPointV="61440" focalLengthU="107520" focalLengthV="107520"
      radialDistortion1="-0.05" radialDistortion2="0.13" radialDistortion3="0" tangentalDistortion1="0.0006" tangentalDistortion2="0.0007"/>
  </camera>
</cameras></calibration>`;

describe('readCalibration (Qualisys QTM XML)', () => {
  it('converts units (64 sub-pixels per pixel, millimetres) and axes (R = diag(1,−1,−1)·M)', () => {
    const [cam] = parseCalibration(ONE_CAMERA, 'inline');
    expect(cam!.name).toBe('camA');
    expect([cam!.width, cam!.height]).toEqual([1088, 1920]);
    expect(cam!.fx).toBeCloseTo(1680, 9);
    expect([cam!.cx, cam!.cy]).toEqual([544, 960]);
    expect(cam!.distortion).toEqual([-0.05, 0.13, 0.0006, 0.0007, 0]);
    expect(cam!.R).toEqual([0, 1, 0, -0, -0, -1, -1, -0, -0]);
    cameraCentre(cam!).forEach((v, i) => expect(v).toBeCloseTo([3, 0, 1.5][i]!, 12));
    // The camera at x = 3 m looks back along −x: the lab origin (1.5 m below) is in front of it.
    const o = [0, 0, 0];
    const z = cam!.R[6]! * o[0]! + cam!.R[7]! * o[1]! + cam!.R[8]! * o[2]! + cam!.t[2];
    expect(z).toBeCloseTo(3, 12);
  });

  it('an unknown format is one line naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'om-calib-'));
    for (const [name, text] of [['a.toml', '[cam_1]\nmatrix = [[1,0,0]]\n'], ['b.xml', '<opencv_storage><K>1</K></opencv_storage>'], ['c.txt', '']]) {
      writeFileSync(join(dir, name!), text!);
      let err: unknown;
      try { readCalibration(join(dir, name!)); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(new RegExp(`${name}: unknown calibration format`));
      expect((err as Error).message).not.toContain('\n');
    }
    expect(() => readCalibration(join(dir, 'missing.qca.txt'))).toThrow(/file not found/);
    expect(() => parseCalibration(ONE_CAMERA.replace('focalLengthU="107520"', 'focalLengthU="abc"'), 'x.qca.txt')).toThrow(/camera 1: invalid at intrinsic.focalLengthU/);
  });

  it('reads the shared four-camera capture with its documented numbers', () => {
    const path = sharedDataPath('multiview/pose2sim_multiperson/Calib.qca.txt');
    if (!path) return;
    const cams = readCalibration(path);
    expect(cams.map((c) => c.name)).toEqual(['cam01', 'cam02', 'cam03', 'cam04']);
    expect(cams[0]!.fx).toBeCloseTo(1681.2, 1);
    for (const c of cams) {
      // Every camera is 1.6–2.2 m up and looks toward the capture volume around the lab origin.
      expect(cameraCentre(c)[2]).toBeGreaterThan(1.6);
      expect(cameraCentre(c)[2]).toBeLessThan(2.2);
      const zOrigin = c.t[2];
      expect(zOrigin).toBeGreaterThan(2);
    }
  });
});
