import { UserError } from '../../errors.ts';
import { LANDMARK_COUNT } from '../../formats/landmarks.ts';
import { IMPORT_DEFAULTS, choosePerson, isRecord, requireSize, type ImportOptions, type ImportedFrame, type ImportedKeypoints } from './common.ts';

/**
 * MediaPipe Tasks PoseLandmarker results as JSON. Accepted shapes:
 *  - one result: `{ landmarks: [[{x,y,z,visibility,presence}×33], …people], worldLandmarks: [[{x,y,z}×33], …] }`
 *  - a list of results, one per frame (each may carry `timestampMs`)
 *  - `{ width, height, fps, frames: [result, …] }`
 * Image landmarks are normalized to [0, 1] and scaled by the frame size; world
 * landmarks are metres, hip-centred (MediaPipe's axes, like BlazePose's).
 */
export function looksLikeMediapipe(json: unknown): boolean {
  const first = Array.isArray(json) ? json[0] : isRecord(json) && Array.isArray(json.frames) ? json.frames[0] : json;
  return isRecord(first) && Array.isArray(first.landmarks);
}

export function importMediapipe(json: unknown, path: string, options: ImportOptions = {}): ImportedKeypoints {
  const container = isRecord(json) && Array.isArray(json.frames) ? json : null;
  const results: unknown[] = container ? (container.frames as unknown[]) : Array.isArray(json) ? json : [json];
  const { width, height } = requireSize(path, options, { width: container?.width ?? container?.imageWidth, height: container?.height ?? container?.imageHeight });
  const fps = options.fps ?? (Number(container?.fps) > 0 ? Number(container!.fps) : IMPORT_DEFAULTS.fps);
  const person = options.person ?? IMPORT_DEFAULTS.person;
  if (results.length === 0) throw new UserError(`${path}: no frames in the MediaPipe file`);

  const frames: ImportedFrame[] = results.map((r, index) => {
    const where = `${path}: frame ${index}`;
    if (!isRecord(r) || !Array.isArray(r.landmarks)) throw new UserError(`${where}: not a PoseLandmarker result (no "landmarks" list)`);
    const people = (r.landmarks as unknown[]).map((lm, p) => ({ p, image: toImage(lm, width, height, `${where} person ${p}`) }));
    const chosen = choosePerson(people, (x) => x.image, person);
    const time = Number.isFinite(Number(r.timestampMs)) ? Number(r.timestampMs) / 1000 : index / fps;
    if (!chosen) return { index, time, keypoints: null, world: null };
    const worldList = Array.isArray(r.worldLandmarks) ? (r.worldLandmarks as unknown[]) : [];
    const world = worldList[chosen.p] != null ? toWorld(worldList[chosen.p], `${where} person ${chosen.p}`) : null;
    return { index, time, keypoints: chosen.image, world };
  });
  return { format: 'mediapipe', detector: 'mediapipe-pose-landmarker', width, height, fps, frames };
}

function landmarkList(lm: unknown, where: string): Array<Record<string, unknown>> {
  if (!Array.isArray(lm) || lm.length !== LANDMARK_COUNT || !lm.every(isRecord)) {
    throw new UserError(`${where}: expected ${LANDMARK_COUNT} landmarks {x, y, z}, got ${Array.isArray(lm) ? lm.length : typeof lm}`);
  }
  for (const p of lm) {
    if (![p.x, p.y].every((v) => typeof v === 'number' && Number.isFinite(v))) throw new UserError(`${where}: a landmark has no finite x/y`);
  }
  return lm;
}

function toImage(lm: unknown, width: number, height: number, where: string): Array<[number, number, number]> {
  return landmarkList(lm, where).map((p) => {
    const score = typeof p.visibility === 'number' ? p.visibility : typeof p.presence === 'number' ? p.presence : 1;
    return [(p.x as number) * width, (p.y as number) * height, Math.max(0, Math.min(1, score))];
  });
}

function toWorld(lm: unknown, where: string): Array<[number, number, number]> {
  return landmarkList(lm, where).map((p) => [p.x as number, p.y as number, typeof p.z === 'number' ? p.z : 0]);
}
