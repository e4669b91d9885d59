import { describe, expect, it } from 'vitest';
import { BODY_DETECTOR_DEFAULTS, bodyToAlignment, type BodyPerson } from '../../src/ingest/body-detector.ts';
import { mergePeople } from '../../src/ingest/detector.ts';
import { detectSource, openSource } from '../../src/ingest/ingest.ts';
import { defaultModelCacheDir, readManifest, verifyCache } from '../../src/ingest/models.ts';
import { sharedDataPath } from '../helpers/shared-data.ts';

/** An upright COCO-17 body: hips at (500, 1000), shoulders 300 px above, ankles 400 px below. */
function upright(score = 0.9): BodyPerson {
  const k: Array<[number, number, number]> = Array.from({ length: 17 }, () => [500, 1000, score]);
  const set = (i: number, x: number, y: number) => { k[i] = [x, y, score]; };
  set(0, 500, 600); // nose
  set(5, 560, 700); set(6, 440, 700); // shoulders
  set(11, 540, 1000); set(12, 460, 1000); // hips
  set(15, 540, 1400); set(16, 460, 1400); // ankles
  return { keypoints: k, score };
}

describe('body detector → BlazePose region of interest', () => {
  it('places the alignment points at the hip centre and toward the head, one enclosing radius away', () => {
    const d = bodyToAlignment(upright(), 1000, 2000)!;
    const [hip, edge] = d.locationData.relativeKeypoints;
    expect(hip).toEqual({ x: 0.5, y: 0.5 });
    // Farthest keypoint: the ankles, hypot(40, 400) px from the hip centre.
    const radius = Math.hypot(40, 400) * BODY_DETECTOR_DEFAULTS.radiusMargin;
    expect(edge!.x).toBeCloseTo(0.5, 6);
    expect(edge!.y).toBeCloseTo((1000 - radius) / 2000, 6);
  });

  it('gives no region when the hips or shoulders are not seen', () => {
    const p = upright();
    p.keypoints[11] = [540, 1000, 0.05];
    expect(bodyToAlignment(p, 1000, 2000)).toBeNull();
  });

  it('merges: one entry per body, BlazePose\'s detection where it found that body, its far-away finds kept', () => {
    const body = (x: number, size = 100) => ({ x, y: 500, size, id: `body${x}` });
    const face = (x: number, size = 100) => ({ x, y: 500, size, id: `face${x}` });
    // Two bodies; BlazePose found the first twice (a duplicate) and someone far from both.
    const people = mergePeople([face(105), face(120), face(900)], [body(100), body(400)]);
    expect(people.map((p) => p.id)).toEqual(['face105', 'body400', 'face900']);
  });
});

const cam01 = sharedDataPath('multiview', 'pose2sim_multiperson', 'cam01.mp4');
const modelsReady = verifyCache(defaultModelCacheDir(), readManifest(), ['full', 'movenet']).length === 0;
if (!modelsReady) console.warn(`[skip] pose weights not cached in ${defaultModelCacheDir()}: run npm run fetch-models; the body detector test is skipped`);

describe.skipIf(!cam01 || !modelsReady)('body detector on the multi-view capture', () => {
  it('finds the man BlazePose\'s face-based detector misses in cam01', async () => {
    const first = async (personDetector: 'blazepose' | 'both', person: number) =>
      (await detectSource(await openSource(cam01!, { maxFrames: 1 }), { person, personDetector, overlayTiles: 0 })).keypoints.frames[0]!.keypoints;
    const hipX = (kp: number[][]) => (kp[23]![0]! + kp[24]![0]!) / 2;
    // BlazePose's detector alone finds one person (the woman): there is no second from the left.
    const woman = (await first('blazepose', 0))!;
    expect(await first('blazepose', 1)).toBeNull();
    // With the body detector the man (left of her) is found, and she is the same detection as before.
    const [a, b] = [(await first('both', 0))!, (await first('both', 1))!];
    expect(hipX(a)).toBeLessThan(hipX(b) - 100);
    expect(Math.abs(hipX(b) - hipX(woman))).toBeLessThan(10);
  }, 60_000);
});
