import { z } from 'zod';
import { vec3 } from '../formats/common.ts';
import { BODY_17, LANDMARK_COUNT, LANDMARK_INDEX, MEDIAPIPE_33 } from '../formats/landmarks.ts';
import { quatConjugate, quatMultiply, quatRotate, type Quat, type Vec3 } from '../geometry/quaternion.ts';
import { applyRotation, applySimilarity, fitSimilarity } from '../geometry/similarity.ts';
import { JOINT_INDEX, JOINT_NAMES, createSkeleton, type JointName } from '../body/skeleton.ts';
import type { WorldPose } from '../body/fk.ts';
import { Rng, mixSeed } from '../random.ts';
import { median } from './multiview-truth.ts';

/**
 * Where a real person's landmarks sit on their body against the skeleton's: one constant offset per
 * landmark in the frame of a body segment (so it moves with the limb), measured per person as what
 * the skeleton fitted to that person's perfect observations cannot reach. A synthetic subject draws
 * its own offsets from the measured people, so the synthetic truth, like a real one, is not the
 * skeleton's own landmarks.
 */
export const placementSchema = z.object({
  /** How the offsets were measured (command, data). */
  method: z.string(),
  /** Per landmark (MediaPipe order): the joint whose frame carries its offset. */
  joints: z.array(z.enum(JOINT_NAMES)).length(LANDMARK_COUNT),
  /** Each measured person's offsets (m, in the joint's frame; MediaPipe order) and the frames they rest on. */
  people: z.array(z.object({ name: z.string(), offsets: z.array(vec3).length(LANDMARK_COUNT), frames: z.number().int().nonnegative() })).min(1),
  /**
   * The share of a planted offset that the measurement recovers (the kinematic stage and the per-frame similarity
   * absorb the rest), measured by planting drawn offsets on synthetic clips (`bench:real -- --placement-recovery`);
   * a subject's offsets are the drawn ones divided by it. Without: 1.
   */
  recovery: z.number().positive().max(1).optional(),
});
export type Placement = z.infer<typeof placementSchema>;

export const PLACEMENT_DEFAULTS = {
  /** Fewer measured frames than this for a person: not measured. */
  minFrames: 20,
  /**
   * The frame of a landmark at a joint's origin (shoulder, elbow, wrist, hip, knee, ankle): 'parent', the
   * segment it ends (elbow on the upper arm), 'own' (the skeleton's, elbow on the forearm) or 'least', the one where
   * the residual varies least for this person.
   */
  frame: 'parent' as 'parent' | 'own' | 'least',
  /** Rounds of measuring the residual on the skeleton moved by the offsets so far (1: the plain median residual). */
  rounds: 1,
};

const SKELETON = createSkeleton();
const BODY = BODY_17.map((n) => LANDMARK_INDEX[n]);

/** Candidate frames of a landmark: its own joint and, for a landmark at a joint's origin, the parent's too. */
function candidates(i: number): number[] {
  const def = SKELETON.landmarks[i]!;
  const parent = SKELETON.joints[def.joint]!.parent;
  return def.offset.every((v) => v === 0) && parent >= 0 ? [def.joint, parent] : [def.joint];
}

/** One reconstruction of a person from perfect observations, beside the person's truth (same frames). */
export interface PlacementSequence {
  /** Per frame the skeleton's landmarks (33) and every joint's world rotation; null: no frame. */
  model: Array<{ landmarks: Vec3[]; rotations: Quat[] } | null>;
  /** Per frame the true landmarks (33, any frame of reference); null: no truth. */
  truth: Array<ReadonlyArray<Vec3 | null> | null>;
}

/** World rotations of the joints from local ones (root: rootRotation · q_0), as in forward kinematics. */
export function worldRotations(rootRotation: Quat, local: readonly Quat[]): Quat[] {
  const out: Quat[] = [];
  SKELETON.joints.forEach((j, i) => out.push(quatMultiply(j.parent < 0 ? rootRotation : out[j.parent]!, local[i]!)));
  return out;
}

/**
 * Per landmark the residual of the truth against the skeleton after one similarity per frame (the 17
 * body landmarks), in its joint's frame, in the skeleton's metres; the offset is the median per axis. The
 * similarity absorbs part of any offset, so the skeleton moved by the offsets so far is aligned again and
 * the median residual added, `rounds` times.
 */
export function measurePlacement(seqs: readonly PlacementSequence[], options: Partial<typeof PLACEMENT_DEFAULTS> = {}): { joints: JointName[]; offsets: Vec3[]; frames: number } | null {
  const o = { ...PLACEMENT_DEFAULTS, ...options };
  const rows = seqs.flatMap((s) => s.model.flatMap((m, f) => {
    const t = s.truth[f];
    return m && t && BODY.every((i) => t[i]) ? [{ m, t }] : [];
  }));
  if (rows.length < o.minFrames) return null;
  const offsets = MEDIAPIPE_33.map((_, i) => candidates(i).map(() => [0, 0, 0] as Vec3));
  const moved = (m: PlacementSequence['model'][number] & object, i: number, c: number): Vec3 => {
    const d = quatRotate(m.rotations[candidates(i)[c]!]!, offsets[i]![c]!);
    return [m.landmarks[i]![0] + d[0], m.landmarks[i]![1] + d[1], m.landmarks[i]![2] + d[2]];
  };
  let spreads: number[][] = [];
  for (let round = 0; round < o.rounds; round++) {
    const residuals = MEDIAPIPE_33.map((_, i) => candidates(i).map(() => [] as Vec3[]));
    for (const { m, t } of rows) {
      // Aligned on the body as currently placed in the chosen frames (the last candidate: the parent, as in 'parent').
      const pick = (i: number) => (o.frame === 'own' ? 0 : candidates(i).length - 1);
      const sim = fitSimilarity(BODY.map((i) => moved(m, i, pick(i))), BODY.map((i) => t[i]!));
      const Rt = [0, 3, 6, 1, 4, 7, 2, 5, 8].map((k) => sim.R[k]!);
      m.landmarks.forEach((_, i) => {
        const ti = t[i];
        if (!ti) return;
        candidates(i).forEach((j, c) => {
          const q = applySimilarity(sim, moved(m, i, c));
          const inModel = applyRotation(Rt, [0, 1, 2].map((k) => (ti[k]! - q[k]!) / sim.scale) as Vec3);
          residuals[i]![c]!.push(quatRotate(quatConjugate(m.rotations[j]!), inModel));
        });
      });
    }
    spreads = residuals.map((perJoint, i) => perJoint.map((r, c) => {
      if (!r.length) return Infinity;
      const step = [0, 1, 2].map((k) => median(r.map((v) => v[k]!))) as Vec3;
      offsets[i]![c] = offsets[i]![c]!.map((v, k) => v + step[k]!) as Vec3;
      return median(r.map((v) => Math.hypot(v[0] - step[0], v[1] - step[1], v[2] - step[2])));
    }));
  }
  const joints: JointName[] = [];
  const chosen = offsets.map((perJoint, i) => {
    const sp = spreads[i]!;
    const best = o.frame === 'own' ? 0 : o.frame === 'parent' ? perJoint.length - 1 : sp.reduce((b, x, c) => (x < sp[b]! ? c : b), 0);
    joints.push(JOINT_NAMES[candidates(i)[best]!]!);
    return perJoint[best]!.map(round) as Vec3;
  });
  return { joints, offsets: chosen, frames: rows.length };
}

/**
 * Combines people measured one by one into the file's section. Every person's joints must agree for a
 * landmark to carry offsets of more than one person: where they differ, the first person's frame is kept
 * and the others' offsets there are set to the first's (two frames' offsets do not mix).
 */
export function placementOf(people: Array<{ name: string; joints: JointName[]; offsets: Vec3[]; frames: number }>, method: string): Placement {
  const joints = people[0]!.joints;
  return {
    method, joints,
    people: people.map((p) => ({ name: p.name, frames: p.frames, offsets: p.offsets.map((off, i) => (p.joints[i] === joints[i] ? off : people[0]!.offsets[i]!)) })),
  };
}

/**
 * One synthetic subject's offsets: a Gaussian with the measured people's mean and sample covariance
 * (rank n − 1: with two people, the line through both, spread |a − b|/√2 per coordinate; one person: theirs).
 * One draw for all landmarks keeps a person's offsets together.
 */
export function drawPlacement(p: Placement, rng: Rng): Vec3[] {
  const n = p.people.length;
  const gain = 1 / (p.recovery ?? 1);
  const mean = MEDIAPIPE_33.map((_, i) => [0, 1, 2].map((k) => p.people.reduce((s, q) => s + q.offsets[i]![k]!, 0) / n) as Vec3);
  const z = p.people.map(() => (n > 1 ? rng.normal() / Math.sqrt(n - 1) : 0));
  return mean.map((m, i) => m.map((v, k) => gain * (v + p.people.reduce((s, q, c) => s + z[c]! * (q.offsets[i]![k]! - v), 0))) as Vec3);
}

/** The offsets synth gives the subject of one clip: seeded by the synth seed and the clip's file name. */
export function subjectOffsets(p: Placement, seed: number, source: string): Vec3[] {
  return drawPlacement(p, new Rng(mixSeed(seed, 0x91ac, ...[...source].map((c) => c.charCodeAt(0)))));
}

/** Pooled slope of recovered on planted offsets over the 17 body landmarks: the share the measurement recovers. */
export function recoveryOf(pairs: ReadonlyArray<{ planted: readonly Vec3[]; recovered: readonly Vec3[] }>): number {
  let num = 0;
  let den = 0;
  for (const { planted, recovered } of pairs) for (const i of BODY) for (let k = 0; k < 3; k++) {
    num += planted[i]![k]! * recovered[i]![k]!;
    den += planted[i]![k]! ** 2;
  }
  return den > 0 ? num / den : 1;
}

/** The landmarks of a world pose moved by the subject's offsets, each in its joint's frame. */
export function placeLandmarks(landmarks: readonly Vec3[], world: WorldPose, p: Placement, offsets: readonly Vec3[]): Vec3[] {
  return landmarks.map((l, i) => {
    const d = quatRotate(world.rotations[JOINT_INDEX[p.joints[i]!]]!, offsets[i]!);
    return [l[0] + d[0], l[1] + d[1], l[2] + d[2]] as Vec3;
  });
}

function round(v: number): number {
  return Math.round(v * 1e5) / 1e5;
}
