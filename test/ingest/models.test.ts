import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultModelCacheDir, ensureModels, readManifest, verifyCache, type ModelManifest } from '../../src/ingest/models.ts';
import { tempDir } from './fixtures.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('model manifest and cache', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  const files = { 'det.json': '{"a":1}', 'det.bin': 'weights-d', 'lite.json': '{"b":2}', 'lite.bin': 'weights-l' };
  const manifest: ModelManifest = {
    package: 'example', version: '1.0.0', pathInPackage: 'package/models',
    models: { detector: ['det.json', 'det.bin'], lite: ['lite.json', 'lite.bin'] },
    files: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, { sha256: sha(v), bytes: v.length }])),
  };

  it('accepts intact files and rejects a tampered or missing one', () => {
    for (const [k, v] of Object.entries(files)) writeFileSync(join(tmp.dir, k), v);
    expect(verifyCache(tmp.dir, manifest, ['lite'])).toEqual([]);
    writeFileSync(join(tmp.dir, 'lite.bin'), 'weights-L');
    const problems = verifyCache(tmp.dir, manifest, ['lite']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'lite.bin' });
    expect(problems[0]!.problem).toMatch(/sha256 mismatch/);
    expect(verifyCache(join(tmp.dir, 'nowhere'), manifest, [])[0]!.problem).toBe('missing');
  });

  it('refuses a bad cache with a message saying how to fetch, when fetching is off', async () => {
    await expect(ensureModels('lite', { cacheDir: tmp.dir, manifest, fetch: false })).rejects.toThrow(/lite\.bin sha256 mismatch.*npm run fetch-models/);
  });

  it('the shipped manifest lists the detector, the three landmark models and the body detector with sha256', () => {
    const m = readManifest();
    for (const model of ['detector', 'lite', 'full', 'heavy', 'movenet']) {
      for (const f of m.models[model]!) expect(m.files[f]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  const real = join(defaultModelCacheDir(), 'blazepose-detector.json');
  it.skipIf(!existsSync(real))('rejects a tampered copy of the real detector weights', () => {
    const m = readManifest();
    const copy = join(tmp.dir, 'real');
    mkdirSync(copy);
    for (const f of m.models.detector!) copyFileSync(join(defaultModelCacheDir(), f), join(copy, f));
    expect(verifyCache(copy, m, [])).toEqual([]);
    writeFileSync(join(copy, 'blazepose-detector.json'), ' ', { flag: 'a' });
    expect(verifyCache(copy, m, []).map((p) => p.file)).toEqual(['blazepose-detector.json']);
  });
});
