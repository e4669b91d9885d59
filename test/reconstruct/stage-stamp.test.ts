import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { landmarkPositions } from '../../src/body/fk.ts';
import { createSkeleton } from '../../src/body/skeleton.ts';
import { PHYSICS_DEFAULTS } from '../../src/physics/humanoid.ts';
import { KINEMATIC_DEFAULTS } from '../../src/reconstruct/kinematic.ts';
import { PHYSICS_STAGE_DEFAULTS } from '../../src/reconstruct/physics-stage.ts';
import { kinematicStamp, physicsStamp, reconstruct, type ReconstructOptions } from '../../src/reconstruct/pipeline.ts';
import { canonicalJson, codeVersion, digest, fingerprintPath, resolvedOptions } from '../../src/reconstruct/stage-stamp.ts';
import { keypointsFromLandmarks, squatPoses, testCamera } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'om-stamp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stage stamps', () => {
  it('digests parts in order, with boundaries', () => {
    expect(digest('ab', 'c')).not.toBe(digest('a', 'bc'));
    expect(digest('a', 'b')).toBe(digest('a', 'b'));
  });

  it('fingerprints a file by its bytes and a folder by its files', () => {
    const f = join(dir, 'clip.mp4');
    writeFileSync(f, 'one');
    const before = fingerprintPath(f);
    writeFileSync(f, 'two');
    expect(fingerprintPath(f)).not.toBe(before);

    const folder = mkdtempSync(join(dir, 'frames-'));
    writeFileSync(join(folder, '0001.png'), 'a');
    const one = fingerprintPath(folder);
    writeFileSync(join(folder, '0002.png'), 'b');
    const two = fingerprintPath(folder);
    expect(two).not.toBe(one);
    writeFileSync(join(folder, '0002.png'), 'c');
    expect(fingerprintPath(folder)).not.toBe(two);
  });

  it('gives the code a stable version within a process', () => {
    expect(codeVersion()).toMatch(/^[0-9a-f]{16}$/);
    expect(codeVersion()).toBe(codeVersion());
  });
});

describe('stage stamps digest the resolved options', () => {
  it('merges defaults and options key by key, without callbacks, in a canonical order', () => {
    const r = resolvedOptions({ a: 1, nested: { x: 1, y: 2 }, list: [1, 2] }, { nested: { y: 3 }, cb: () => 0, z: undefined });
    expect(r).toEqual({ a: 1, nested: { x: 1, y: 3 }, list: [1, 2] });
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe(canonicalJson({ a: { c: 3, d: 2 }, b: 1 }));
  });

  it('changes the kinematic and physics stamps when a default changes in code, not only when an option does', () => {
    const bytes = new TextEncoder().encode('keypoints');
    const kin = kinematicStamp(bytes, { out: dir });
    expect(kinematicStamp(bytes, { out: dir })).toBe(kin);
    expect(kinematicStamp(bytes, { out: dir, kinematic: { iterations: KINEMATIC_DEFAULTS.iterations } })).toBe(kin);
    const phys = physicsStamp(kin, { out: dir });
    withChanged(KINEMATIC_DEFAULTS, () => expect(kinematicStamp(bytes, { out: dir })).not.toBe(kin));
    withChanged(PHYSICS_STAGE_DEFAULTS, () => expect(physicsStamp(kin, { out: dir })).not.toBe(phys));
    withChanged(PHYSICS_DEFAULTS, () => expect(physicsStamp(kin, { out: dir })).not.toBe(phys));
    expect(physicsStamp(kin, { out: dir })).toBe(phys);
  });

  it('redoes the kinematic stage of an output folder after a default changed', async () => {
    const skel = createSkeleton({ height: 1.72 });
    const input = join(dir, 'keypoints.json');
    writeFileSync(input, JSON.stringify(keypointsFromLandmarks(squatPoses(skel, 5).map((p) => landmarkPositions(skel, p)), testCamera())));
    const options: ReconstructOptions = {
      out: join(dir, 'run'), physics: false, exports: [], checkSheet: false,
      kinematic: { iterations: 2, initIterations: 1, windowSize: 4, overlap: 1 },
    };
    expect((await reconstruct(input, options)).stages.kinematic!.skipped).toBe(false);
    expect((await reconstruct(input, options)).stages.kinematic!.skipped).toBe(true);
    const margin = KINEMATIC_DEFAULTS.limitMargin;
    KINEMATIC_DEFAULTS.limitMargin = margin + 0.01;
    try {
      expect((await reconstruct(input, options)).stages.kinematic!.skipped).toBe(false);
    } finally {
      KINEMATIC_DEFAULTS.limitMargin = margin;
    }
  });
});

/** Runs `check` with the first numeric default found in `defaults` nudged, then restores it. */
function withChanged(defaults: object, check: () => void): void {
  const find = (o: Record<string, unknown>): [Record<string, unknown>, string] | null => {
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === 'number') return [o, k];
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        const inner = find(v as Record<string, unknown>);
        if (inner) return inner;
      }
    }
    return null;
  };
  const found = find(defaults as Record<string, unknown>);
  expect(found).not.toBeNull();
  const [holder, key] = found!;
  const before = holder[key] as number;
  holder[key] = before + 1;
  try {
    check();
  } finally {
    holder[key] = before;
  }
}
