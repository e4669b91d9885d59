import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { codeVersion, digest, fingerprintPath } from '../../src/reconstruct/stage-stamp.ts';

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
