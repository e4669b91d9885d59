import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reconstruct } from '../../src/reconstruct/pipeline.ts';

describe('reconstruct given another tool\'s keypoints', () => {
  const dir = mkdtempSync(join(tmpdir(), 'om-foreign-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says to convert them with ingest, and writes nothing', async () => {
    const input = join(dir, 'movenet.json');
    writeFileSync(input, JSON.stringify([{ nose: { x: 1, y: 2 } }]));
    const out = join(dir, 'out');
    await expect(reconstruct(input, { out })).rejects.toThrow(/movenet\.json: not a keypoints\.json .*optimus-motion ingest .*movenet\.json --out DIR/);
    expect(existsSync(out)).toBe(false);
  });
});
