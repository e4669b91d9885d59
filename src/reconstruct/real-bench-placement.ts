import { join } from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../formats/io.ts';
import type { KeypointsFile } from '../formats/keypoints.ts';
import { MEDIAPIPE_33 } from '../formats/landmarks.ts';
import type { Quat, Vec3 } from '../geometry/quaternion.ts';
import { measurePlacement, placementOf, worldRotations, type PlacementSequence } from '../eval/landmark-placement.ts';
import { NOISE_MODEL_PLACED_FORMAT, readNoiseModel, type NoiseModel } from '../eval/noise-model.ts';

/**
 * The landmark placement of the capture's people (eval/landmark-placement.ts): each view is
 * reconstructed from the person's truth without any detector error (bench:real's synthetic run with
 * the perfect model below), and what the skeleton cannot reach of the truth is the person's placement.
 */
export function perfectNoiseModel(): NoiseModel {
  return {
    format: 'optimus-motion/noise-model@1', detector: 'perfect', fps: 60, worldScale: 1, provenance: { note: 'no error: the truth itself' },
    landmarks: MEDIAPIPE_33.map((name) => ({ name, samples: 0, bias2d: [0, 0], sigma2d: [0, 0], rho2d: 0, bias3d: [0, 0, 0], sigma3d: [0, 0, 0], rho3d: 0 })),
  };
}

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
