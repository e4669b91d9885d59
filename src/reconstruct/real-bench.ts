import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { cameraCentre, readCalibration, type CalibratedCamera } from '../formats/calibration.ts';
import { readJsonFile, writeJsonAtomic } from '../formats/io.ts';
import type { KeypointsFile } from '../formats/keypoints.ts';
import { LANDMARK_INDEX, LANDMARK_MIRROR, MEDIAPIPE_33 } from '../formats/landmarks.ts';
import type { Vec3 } from '../geometry/quaternion.ts';
import { projectCalibrated, toCamera } from '../geometry/triangulate.ts';
import { measureNoiseModel, type NoiseSample } from '../eval/noise-model-fit.ts';
import { perfectNoiseModel, resolveNoiseModel, type NoiseModel } from '../eval/noise-model.ts';
import { synthFromTruth } from './real-bench-synth.ts';
import { keepPlacement, writePlacement } from './real-bench-placement.ts';
import { buildMultiviewTruth, median, type PersonTruth, type ViewTracks } from '../eval/multiview-truth.ts';
import { bundleAdjust, type BundleOptions } from '../eval/multiview-bundle.ts';
import { segmentSpread, smoothTruth, type SmoothOptions } from '../eval/multiview-smooth.ts';
import { heldOutReprojection } from '../eval/multiview-evidence.ts';
import { detectCandidates, type DetectionOptions } from '../eval/real-detections.ts';
import { meanFootHeightMm, scoreSequence, stanceFrames, type Frame33, type RealScore } from '../eval/real-score.ts';
import { cameraIntrinsics } from '../ingest/intrinsics.ts';
import { reconstruct, type ReconstructOptions } from './pipeline.ts';

/**
 * The real-video benchmark (`npm run bench:real`): a calibrated multi-view capture gives a
 * triangulated 3D pseudo ground truth per person (eval/multiview-truth.ts); each single view
 * is then reconstructed as a user would (one camera, no calibration) and scored against it,
 * next to BlazePose's own 3D.
 */
export interface RealBenchOptions {
  /** Folder with the calibration file and one video per camera, named after the camera (cam01.mp4 …). */
  dataDir: string;
  workDir: string;
  calibrationFile?: string;
  /** People to score, by name. */
  people?: string[];
  /** Run the physics stage too (the kinematic stage always runs). */
  physics?: boolean;
  /** Also reconstruct with the calibrated focal length given (the "true focal" column). */
  trueFocal?: boolean;
  /** Refine the cameras on both people before triangulating (a bundle adjustment, eval/multiview-bundle.ts). */
  refineCameras?: boolean;
  /** Which camera parameters the bundle adjustment moves (default: eval/multiview-bundle.ts BUNDLE_DEFAULTS). */
  bundle?: BundleOptions;
  /** Re-fit the truth over the clip: robust to every sighting, rigid segment lengths, smooth (eval/multiview-smooth.ts); null: off. */
  smoothTruth?: SmoothOptions | null;
  detection?: DetectionOptions;
  /** Build the truth from other detections than the ones scored (e.g. another landmark model); default: the same. */
  truthDetection?: DetectionOptions;
  /** Measure the detector's noise model against the truth (every person, every view) and write it here. */
  writeNoiseModel?: string;
  /** Fit the noise model on these people only (default: all); the series of all go to WORK/noise-samples.json. */
  noisePeople?: string[];
  /** Also reconstruct each view from the truth made noisy by this noise model (name or file): what the model predicts there. */
  synthNoiseModel?: string;
  /** Add the people's landmark placement, measured on perfect-input runs of every view (real-bench-placement.ts), to this noise-model file (people: noisePeople). */
  writePlacement?: string;
  /** The command line recorded in the noise model's provenance. */
  command?: string;
  reconstruct?: Partial<ReconstructOptions>;
  log?: (line: string) => void;
}

export const REAL_BENCH_DEFAULTS = {
  calibrationFile: 'Calib.qca.txt',
  /**
   * The capture's two movers. The README of the data says the woman is the closer, larger
   * person in the first camera; that is how the two triangulated people are named.
   */
  people: ['man', 'woman'],
  physics: false,
  trueFocal: true,
  /** Off: it fits the man's views tighter and the woman's looser (docs/notebook/real-video.md). */
  refineCameras: false,
  /**
   * On: against the per-frame triangulation it predicts a left-out view better (man 31.6 / 26.5 / 42.7 /
   * 36.5 → 28.5 / 22.8 / 38.1 / 33.3 px, woman 6 of 8 cells better in all) and its segments keep their
   * length (spread 24 % → 4 %); docs/notebook/real-video.md.
   */
  smoothTruth: {} as SmoothOptions | null,
  /** A view is scored only where the detector found the person in at least this share of frames (%). */
  minMatchedPct: 50,
  /**
   * Where the truth left a view out (its detection disagreed with the others beyond the association's
   * threshold), that view's detection of the person is still scored: the one whose body landmarks lie
   * within this (px, median, either labelling) of the truth's projection. The truth is then independent of it.
   */
  sightedPx: 60,
};

export interface ViewQuality {
  view: string;
  /** Frames where this view's detection was associated with the person. */
  matched: number;
  /** Frames where this view has a detection of the person (associated, or near the truth's projection where the truth left the view out). */
  sighted?: number;
  /** Frames where it was not (missing, or its detection belonged to someone else). */
  missing: number[];
  /** Frames where the candidate track followed changed identity (a swap inside `--person i`). */
  trackSwitches: number;
  /** Median reprojection error (px) of the body landmarks in this view. */
  medianPx: number;
  /** Share of landmark sightings this view contributed that triangulation rejected. */
  rejectedPct: number;
  /** Median distance (px) of this view's detections from the truth built without this view (multiview-evidence.ts). */
  heldOutPx?: number;
}

export interface PersonReport {
  name: string;
  frames: number;
  fps: number;
  views: ViewQuality[];
  perLandmarkPx: Array<{ landmark: string; medianPx: number }>;
  /** Mean lowest-foot height of the triangulated truth above the lab floor in stance (mm). */
  truthFootMm: number;
  /** How much the truth's limb segments change length over the clip: (p90 − p10) / median, mean over segments (%). */
  segmentSpreadPct: number;
  runs: ViewRun[];
}

export interface ViewRun {
  view: string;
  blazepose: RealScore;
  kinematic: RealScore & { footMm: number };
  physics?: RealScore & { footMm: number };
  /** Why the physics stage gave no result for this view. */
  physicsError?: string;
  trueFocal?: RealScore & { footMm: number };
  /** The kinematic stage on the truth made noisy by the noise model (real-bench-synth.ts), same frames and intrinsics. */
  synthetic?: RealScore & { footMm: number; inputPaMpjpe: number };
  focalPx: { used: number; true: number };
}

const LAB_UP: Vec3 = [0, 0, 1];
const WORLD_UP: Vec3 = [0, 1, 0];

export async function benchReal(options: RealBenchOptions): Promise<PersonReport[]> {
  const o = { ...REAL_BENCH_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as RealBenchOptions & typeof REAL_BENCH_DEFAULTS;
  const log = o.log ?? (() => {});
  const calibrated = readCalibration(join(o.dataDir, o.calibrationFile));
  const videos = calibrated.map((c) => join(o.dataDir, `${c.name}.mp4`));
  for (const v of videos) if (!existsSync(v)) throw new UserError(`${v}: video of camera ${v} not found next to the calibration`);
  const candidates = [];
  for (const v of videos) candidates.push(await detectCandidates(v, o.detection));
  const views = candidates.map((c) => ({ tracks: c.map((t) => t.keypoints) }));
  // The truth's own detections; scored views then take, frame by frame, the track nearest the truth's projection.
  const truthViews: ViewTracks[] = [];
  if (o.truthDetection) for (const v of videos) truthViews.push({ tracks: (await detectCandidates(v, o.truthDetection)).map((t) => t.keypoints) });
  const separate = truthViews.length > 0;
  let cams = calibrated;
  if (o.refineCameras) {
    const tv = separate ? truthViews : views;
    const refined = bundleAdjust(calibrated, tv, buildMultiviewTruth(calibrated, tv), o.bundle);
    cams = refined.cams;
    log(`cameras refined on the people: ${cams.map((c, v) => { const d = refined.change[v]!; return `${c.name} ${d.rotationDeg.toFixed(2)}°, principal point ${d.principalPx.map((x) => x.toFixed(1)).join(', ')} px, ${d.positionMm.toFixed(0)} mm`; }).join('; ')}; median reprojection of every sighting ${refined.medianPxBefore.map((x) => x.toFixed(1)).join(' / ')} -> ${refined.medianPxAfter.map((x) => x.toFixed(1)).join(' / ')} px`);
  }
  const build = (vs: readonly ViewTracks[]) => {
    const plain = buildMultiviewTruth(cams, vs);
    return o.smoothTruth ? plain.map((t) => smoothTruth(cams, vs, t, o.smoothTruth!)) : plain;
  };
  const built = build(separate ? truthViews : views);
  const heldOut = heldOutReprojection(cams, separate ? truthViews : views, built, build);
  const truths = nameByFirstCamera(built, cams);
  if (o.writeNoiseModel) {
    const labelled = truths.flatMap(([person, truth]) => cams.map((cam, v) => ({ person, view: cam.name, ...noiseSample(truth, views[v]!.tracks, cam, v) })));
    // The series themselves, so a model can be refitted on a subset (e.g. one person) without the truth.
    writeJsonAtomic(join(o.workDir, 'noise-samples.json'), labelled);
    const samples = labelled.filter((s) => !o.noisePeople || o.noisePeople.includes(s.person));
    const model = measureNoiseModel(samples, {
      detector: views[0]!.tracks[0]!.detector.name, fps: views[0]!.tracks[0]!.source.fps,
      provenance: {
        data: 'pose2sim Demo_MultiPerson (BSD-3-Clause), 4 calibrated views × 100 frames, 2 people', truth: 'confidence-weighted DLT of the 4 views with view rejection (src/eval/multiview-truth.ts)',
        command: o.command ?? 'npm run bench:real -- --write-noise-model FILE', measured: new Date().toISOString().slice(0, 10),
        sequences: samples.length, people: [...new Set(samples.map((x) => x.person))],
      },
    });
    writeJsonAtomic(o.writeNoiseModel, keepPlacement(o.writeNoiseModel, model, log), 1);
    log(`wrote ${o.writeNoiseModel}`);
  }
  if (o.writePlacement && o.synthNoiseModel) throw new UserError('--write-placement runs each view from the perfect truth; it cannot take --synth-noise-model too');
  const synthModel = o.writePlacement ? perfectNoiseModel() : o.synthNoiseModel ? resolveNoiseModel(o.synthNoiseModel) : null;
  const reports: PersonReport[] = [];
  for (const [name, truth] of truths) {
    if (!o.people.includes(name)) continue;
    const report = { ...describeTruth(name, truth, cams), fps: views[0]!.tracks[0]!.source.fps };
    heldOut[built.indexOf(truth)]!.forEach((px, v) => { report.views[v]!.heldOutPx = px; });
    // The truth each view is scored against, for scoring other runs on the same keypoints (lab frame, metres).
    writeJsonAtomic(join(o.workDir, `truth-${name}.json`), truth.frames);
    log(`${name}: ${report.views.map((v) => `${v.view} ${v.matched} frames, ${v.medianPx.toFixed(1)} px${v.missing.length ? `, missing in ${v.missing.length}` : ''}${v.trackSwitches ? `, ${v.trackSwitches} track switches` : ''}`).join('; ')}`);
    for (let v = 0; v < cams.length; v++) {
      const q = report.views[v]!;
      q.sighted = personKeypoints(truth, views[v]!.tracks, v, cams[v]!, o.sightedPx, separate).frames.filter((f) => f.keypoints).length;
      if (q.sighted < o.minMatchedPct / 100 * report.frames) {
        log(`${name} ${q.view}: not scored, the detector found this person in ${q.sighted} of ${report.frames} frames`);
        continue;
      }
      const run = await runView(o, name, truth, views[v]!.tracks, cams[v]!, v, separate, synthModel);
      report.runs.push(run);
      log(`${name} ${cams[v]!.name}: PA-MPJPE BlazePose ${run.blazepose.paMpjpe.toFixed(0)} mm, kinematic ${run.kinematic.paMpjpe.toFixed(0)} mm, WA ${run.kinematic.waMpjpe?.toFixed(0)} mm`);
    }
    reports.push(report);
  }
  writeJsonAtomic(join(o.workDir, 'bench-real.json'), reports, 2);
  if (o.writePlacement) {
    const runs = reports.filter((r) => !o.noisePeople || o.noisePeople.includes(r.name)).map((r) => ({ person: r.name, views: r.runs.map((v) => v.view) }));
    writePlacement(o.writePlacement, o.workDir, runs, o.command ?? 'npm run bench:real -- --write-placement FILE', log);
  }
  return reports;
}

/** Names the two triangulated people: the woman is the one closer to the first camera (its data README). */
function nameByFirstCamera(people: PersonTruth[], cams: CalibratedCamera[]): Array<[string, PersonTruth]> {
  const c = cameraCentre(cams[0]!);
  const distance = (p: PersonTruth) => median(p.frames.map((f) => {
    const hip = f?.[LANDMARK_INDEX.left_hip];
    return hip ? Math.hypot(hip[0] - c[0], hip[1] - c[1], hip[2] - c[2]) : NaN;
  }));
  const [a, b] = people;
  if (!a || !b || !a.frames.some(Boolean) || !b.frames.some(Boolean)) throw new UserError('the multi-view capture did not yield two people seen in at least two views');
  return distance(a) < distance(b) ? [['woman', a], ['man', b]] : [['man', a], ['woman', b]];
}

function describeTruth(name: string, truth: PersonTruth, cams: CalibratedCamera[]): Omit<PersonReport, 'fps'> {
  const frames = truth.frames.length;
  const views: ViewQuality[] = cams.map((c, v) => {
    const errs: number[] = [];
    let offered = 0;
    let rejected = 0;
    const missing: number[] = [];
    let switches = 0;
    let last: number | null = null;
    truth.assignments.forEach((a, f) => {
      const k = a.track[v];
      if (k == null) { missing.push(f); return; }
      if (last != null && k !== last) switches += 1;
      last = k;
      truth.reprojection[f]!.forEach((perView, i) => {
        const e = perView[v]!;
        if (!Number.isFinite(e)) return;
        offered += 1;
        if (truth.viewsUsed[f]![i]!.includes(v)) errs.push(e);
        else rejected += 1;
      });
    });
    return { view: c.name, matched: frames - missing.length, missing, trackSwitches: switches, medianPx: median(errs), rejectedPct: offered ? (100 * rejected) / offered : 0 };
  });
  const perLandmarkPx = MEDIAPIPE_33.map((landmark, i) => ({
    landmark,
    medianPx: median(truth.reprojection.flatMap((f, k) => (f[i] ? f[i]!.filter((_, v) => truth.viewsUsed[k]![i]!.includes(v)) : []))),
  }));
  const stance = stanceFrames(truth.frames, LAB_UP);
  return { name, frames, views, perLandmarkPx, truthFootMm: meanFootHeightMm(truth.frames, stance, LAB_UP), segmentSpreadPct: 100 * segmentSpread(truth.frames), runs: [] };
}

/** One view as a user would run it: this person's detections only, default intrinsics, then scored. */
async function runView(o: RealBenchOptions & typeof REAL_BENCH_DEFAULTS, name: string, truth: PersonTruth, tracks: KeypointsFile[], cam: CalibratedCamera, view: number, nearestOnly: boolean, synthModel: NoiseModel | null): Promise<ViewRun> {
  const kp = personKeypoints(truth, tracks, view, cam, o.sightedPx, nearestOnly);
  const dir = resolve(o.workDir, `${name}-${cam.name}`);
  mkdirSync(dir, { recursive: true });
  const kpPath = join(dir, 'keypoints.json');
  writeJsonAtomic(kpPath, kp);
  const stance = stanceFrames(truth.frames, LAB_UP);
  const worlds: Array<Frame33 | null> = kp.frames.map((f) => (f.world ? (f.world as Vec3[]) : null));
  const blazepose = scoreSequence(worlds, truth.frames, { rootCentred: true });
  const score = (path: string) => {
    const m = readJsonFile(path) as { frames: Array<{ joints3d: Vec3[] }> };
    const frames = m.frames.map((f) => f.joints3d);
    return { ...scoreSequence(frames, truth.frames), footMm: meanFootHeightMm(frames, stance, WORLD_UP) };
  };
  const common = { exports: [], checkSheet: false, physics: o.physics, ...(o.reconstruct ?? {}) };
  let physicsError: string | undefined;
  try {
    await reconstruct(kpPath, { ...common, out: dir });
  } catch (err) {
    // A physics failure is a result of this view, not the end of the benchmark.
    if (!o.physics) throw err;
    physicsError = (err as Error).message;
    await reconstruct(kpPath, { ...common, physics: false, out: dir });
  }
  const run: ViewRun = {
    view: cam.name, blazepose, kinematic: score(join(dir, 'kinematic.json')),
    focalPx: { used: kp.camera?.fx ?? NaN, true: (cam.fx + cam.fy) / 2 },
  };
  if (physicsError) run.physicsError = physicsError;
  else if (o.physics) run.physics = score(join(dir, 'motion.json'));
  if (synthModel) {
    const sdir = resolve(o.workDir, `${name}-${cam.name}-synth`);
    mkdirSync(sdir, { recursive: true });
    const sPath = join(sdir, 'keypoints.json');
    const skp = synthFromTruth(truth, kp, cam, synthModel, view + (name === 'man' ? 0 : 100));
    writeJsonAtomic(sPath, skp);
    await reconstruct(sPath, { ...common, physics: false, out: sdir });
    const input = scoreSequence(skp.frames.map((f) => (f.world ? (f.world as Vec3[]) : null)), truth.frames, { rootCentred: true });
    run.synthetic = { ...score(join(sdir, 'kinematic.json')), inputPaMpjpe: input.paMpjpe };
  }
  if (o.trueFocal) {
    const fdir = resolve(o.workDir, `${name}-${cam.name}-true-focal`);
    mkdirSync(fdir, { recursive: true });
    const fPath = join(fdir, 'keypoints.json');
    writeJsonAtomic(fPath, { ...kp, camera: { fx: cam.fx, fy: cam.fy, cx: cam.cx, cy: cam.cy }, source: { ...kp.source, cameraFrom: 'focal' } });
    await reconstruct(fPath, { ...common, physics: false, out: fdir });
    run.trueFocal = score(join(fdir, 'kinematic.json'));
  }
  return run;
}

/** The detector against the truth in one view's camera frame (OpenCV axes match BlazePose's world axes). */
function noiseSample(truth: PersonTruth, tracks: KeypointsFile[], cam: CalibratedCamera, v: number): NoiseSample {
  const kp = personKeypoints(truth, tracks, v, cam, REAL_BENCH_DEFAULTS.sightedPx);
  return {
    truthPx: truth.frames.map((f) => (f ? f.map((p) => (p ? projectCalibrated(cam, p) : null)) : null)),
    truthCam: truth.frames.map((f) => (f ? f.map((p) => (p ? toCamera(cam, p) : null)) : null)),
    detectedPx: kp.frames.map((f) => f.keypoints),
    detectedWorld: kp.frames.map((f) => f.world ?? null),
  };
}

/**
 * The person's keypoints in one view, frame by frame from whichever candidate track was associated
 * with them, or, where the truth left this view out, the track nearest the truth's projection.
 */
function personKeypoints(truth: PersonTruth, tracks: KeypointsFile[], v: number, cam: CalibratedCamera, sightedPx: number, nearestOnly = false): KeypointsFile {
  const base = tracks[0]!;
  // The intrinsics a user gets today without --focal (the cached detections may predate them).
  const { camera, from } = cameraIntrinsics(base.source.width, base.source.height, {});
  const frames = truth.assignments.map((a, f) => {
    const k = (nearestOnly ? null : a.track[v]) ?? nearestTrack(truth.frames[f] ?? null, tracks, f, cam, sightedPx);
    const src = k == null ? null : tracks[k]!.frames[f]!;
    return { index: base.frames[f]!.index, time: base.frames[f]!.time, keypoints: src?.keypoints ?? null, world: src?.world ?? null };
  });
  return { ...base, camera, source: { ...base.source, cameraFrom: from }, frames };
}

const BODY_POINTS = ['left_shoulder', 'right_shoulder', 'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle'].map((n) => LANDMARK_INDEX[n as keyof typeof LANDMARK_INDEX]);

/** The track whose detection in frame f lies nearest the truth's projection (either labelling), if within maxPx. */
function nearestTrack(truth: ReadonlyArray<Vec3 | null> | null, tracks: KeypointsFile[], f: number, cam: CalibratedCamera, maxPx: number): number | null {
  if (!truth) return null;
  const proj = BODY_POINTS.map((i) => (truth[i] ? projectCalibrated(cam, truth[i]!) : null));
  let best: { k: number; px: number } | null = null;
  tracks.forEach((t, k) => {
    const kp = t.frames[f]?.keypoints;
    if (!kp) return;
    const err = (mirror: boolean) => median(BODY_POINTS.flatMap((i, j) => {
      const q = proj[j];
      const p = kp[mirror ? LANDMARK_MIRROR[i]! : i]!;
      return q ? [Math.hypot(p[0] - q[0], p[1] - q[1])] : [];
    }));
    const px = Math.min(err(false), err(true));
    if (px <= maxPx && (!best || px < best.px)) best = { k, px };
  });
  return best ? (best as { k: number }).k : null;
}
