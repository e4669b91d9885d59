import { join } from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../formats/io.ts';
import type { KeypointsFile } from '../formats/keypoints.ts';
import { MEDIAPIPE_33 } from '../formats/landmarks.ts';
import type { Quat, Vec3 } from '../geometry/quaternion.ts';
import { existsSync, readdirSync } from 'node:fs';
import { measurePlacement, placementOf, recoveryOf, subjectOffsets, worldRotations, type PlacementSequence } from '../eval/landmark-placement.ts';
import { NOISE_MODEL_PLACED_FORMAT, readNoiseModel, type NoiseModel } from '../eval/noise-model.ts';
import type { TruthFile } from '../formats/truth.ts';
import { UserError } from '../errors.ts';

/**
 * The landmark placement of the capture's people (eval/landmark-placement.ts): each view is
 * reconstructed from the person's truth without any detector error (bench:real's synthetic run with
 * eval/noise-model.ts perfectNoiseModel), and what the skeleton cannot reach of the truth is the person's placement.
 */
interface MotionFrames { frames: Array<{ joints3d: Vec3[]; root: { rotation: Quat }; rotations: Quat[] }> }

/** Adds the placement of `people` (their perfect-input runs in WORK/<person>-<view>-synth) to the noise model in `file`. */
export function writePlacement(file: string, workDir: string, runs: Array<{ person: string; views: string[] }>, method: string, log: (l: string) => void): void {
  const people = runs.flatMap(({ person, views }) => {
    const truth = readJsonFile(join(workDir, `truth-${person}.json`)) as Array<Array<Vec3 | null> | null>;
    const seqs: PlacementSequence[] = views.map((view) => {
      const m = readJsonFile(join(workDir, `${person}-${view}-synth`, 'kinematic.json')) as MotionFrames;
      // Only frames the stage had input for: the others are its interpolation, not the person.
      const input = (readJsonFile(join(workDir, `${person}-${view}-synth`, 'keypoints.json')) as KeypointsFile).frames;
      return { truth, model: m.frames.map((f, k) => (input[k]?.keypoints ? { landmarks: f.joints3d, rotations: worldRotations(f.root.rotation, f.rotations) } : null)) };
    });
    const measured = measurePlacement(seqs);
    if (!measured) log(`placement: ${person} has too few frames, left out`);
    return measured ? [{ name: person, ...measured }] : [];
  });
  if (!people.length) { log('placement: nobody measured, nothing written'); return; }
  readNoiseModel(file);
  // The file's own key order kept (the schema's would reorder every landmark), so the change is the placement alone.
  const raw = readJsonFile(file) as Record<string, unknown>;
  writeJsonAtomic(file, { ...raw, format: NOISE_MODEL_PLACED_FORMAT, placement: placementOf(people, method) }, 1);
  log(`placement of ${people.map((p) => `${p.name} (${p.frames} frames)`).join(', ')} added to ${file}`);
}

/**
 * `model` with the placement (and its recovery) that `file` already holds: the placement is measured from perfect-input
 * runs, apart from the detector's errors, so refitting the errors keeps it (--write-placement replaces it).
 */
export function keepPlacement(file: string, model: NoiseModel, log: (l: string) => void): NoiseModel {
  if (!existsSync(file)) return model;
  const placement = readNoiseModel(file).placement;
  if (!placement) return model;
  log(`${file}: its placement kept (measured by ${placement.method})`);
  return { ...model, format: NOISE_MODEL_PLACED_FORMAT, placement: (readJsonFile(file) as { placement: NoiseModel['placement'] }).placement };
}

/**
 * How much of a planted placement the measurement recovers: DIR is a bench:reconstruct work folder run with
 * `--noise-model placement-only` (seed 0) on `file`'s placement; each clip's subject offsets are drawn again
 * as synth drew them and compared with what measurePlacement finds there. Writes the share into `file`.
 */
export function writePlacementRecovery(file: string, dir: string, log: (l: string) => void): number {
  const placement = readNoiseModel(file).placement;
  if (!placement) throw new UserError(`${file}: no placement to measure the recovery of (run --write-placement first)`);
  const clips = readdirSync(dir).filter((d) => existsSync(join(dir, d, 'truth.json')) && existsSync(join(dir, d, 'kinematic.json')));
  const pairs = clips.flatMap((d) => {
    const truth = readJsonFile(join(dir, d, 'truth.json')) as TruthFile;
    const m = readJsonFile(join(dir, d, 'kinematic.json')) as MotionFrames;
    const recovered = measurePlacement([{ truth: truth.frames.map((f) => f.joints3d), model: m.frames.map((f) => ({ landmarks: f.joints3d, rotations: worldRotations(f.root.rotation, f.rotations) })) }], { frame: 'parent' });
    return recovered ? [{ planted: subjectOffsets(placement, 0, truth.source), recovered: recovered.offsets }] : [];
  });
  if (!pairs.length) throw new UserError(`${dir}: no clip with truth.json and kinematic.json (a bench:reconstruct --work folder)`);
  const recovery = Math.round(recoveryOf(pairs) * 1000) / 1000;
  const raw = readJsonFile(file) as Record<string, unknown> & { placement: Record<string, unknown> };
  writeJsonAtomic(file, { ...raw, placement: { ...raw.placement, recovery: Math.min(1, recovery) } }, 1);
  log(`placement recovery ${recovery} over ${pairs.length} clips written to ${file}`);
  return recovery;
}
