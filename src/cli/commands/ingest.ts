import type { Command } from 'commander';
import { UserError } from '../../errors.ts';
import { ingest, INGEST_DEFAULTS, type IngestOptions } from '../../ingest/ingest.ts';
import { INTRINSICS_DEFAULTS, type CameraSource } from '../../ingest/intrinsics.ts';
import { KEYPOINT_FORMATS, type KeypointFormat } from '../../ingest/importers/index.ts';
import { LANDMARK_MODELS } from '../../ingest/models.ts';
import { PERSON_DETECTORS } from '../../ingest/person-detectors.ts';
import { choice, nonNegativeNumber, positiveInt } from '../parse.ts';
import { Progress } from '../progress.ts';

function size(value: string): { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/i.exec(value.trim());
  if (!m || Number(m[1]) <= 0 || Number(m[2]) <= 0) throw new UserError(`--size must look like 1280x720, got "${value}"`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new UserError(`${name} must be a positive number, got "${value}"`);
    return n;
  };
}

/** How the summary names where the focal length came from. */
export const CAMERA_FROM: Record<CameraSource, string> = {
  focal: 'from --focal', fov: 'from --fov', metadata: 'from the file\'s metadata (35 mm-equivalent focal length)',
  guess: `default (${INTRINSICS_DEFAULTS.longSideFovDeg}° across the long side)`,
};

/** The options of ingest that `reconstruct` also takes and passes on: model, camera, person and frame range. */
export function withDetectionOptions(cmd: Command): Command {
  return cmd
    .option('--model <name>', 'BlazePose landmark model: lite, full or heavy', choice('--model', LANDMARK_MODELS), INGEST_DEFAULTS.model)
    .option('--fov <deg>', `horizontal field of view of the camera in degrees (default: from metadata, else ${INTRINSICS_DEFAULTS.longSideFovDeg}° across the long side)`, positiveNumber('--fov'))
    .option('--focal <px>', 'focal length of the camera in pixels (wins over --fov)', positiveNumber('--focal'))
    .option('--person <i>', 'which person: "largest" (default) or i ≥ 0, counted from the left (in imports: as listed in the file)', (v: string) => {
      if (v === 'largest') return 'largest' as const;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new UserError(`--person must be "largest" or an integer ≥ 0, got "${v}"`);
      return n;
    })
    .option('--start <s>', 'first time to process, seconds', nonNegativeNumber('--start'))
    .option('--end <s>', 'time to stop before, seconds', positiveNumber('--end'))
    .option('--max-frames <n>', 'stop after n frames', positiveInt('--max-frames'));
}

/** withDetectionOptions' values as ingest options (undefined where not given). */
export function detectionOptionsFrom(o: Record<string, any>): Pick<IngestOptions, 'model' | 'fovDeg' | 'focalPx' | 'person' | 'start' | 'end' | 'maxFrames'> {
  return { model: o.model, fovDeg: o.fov, focalPx: o.focal, person: o.person, start: o.start, end: o.end, maxFrames: o.maxFrames };
}

export function registerIngest(program: Command): void {
  const cmd = program
    .command('ingest')
    .description('detect 33 body landmarks (2D pixels + 3D metres) in a video, image or image folder with BlazePose, or import another tool\'s keypoints; writes OUT/keypoints.json and OUT/overlay.jpg')
    .argument('<input>', 'video (mp4, webm, mov, avi, …), image, folder of images, or keypoint JSON (MediaPipe, COCO-17, OpenPose BODY_25, tfjs pose-detection; a folder of OpenPose files)')
    .requiredOption('--out <dir>', 'output folder');
  withDetectionOptions(cmd)
    .option('--format <name>', 'keypoint file format: auto, mediapipe, coco, openpose or tfjs', choice('--format', KEYPOINT_FORMATS), 'auto' as KeypointFormat)
    .option('--no-tracking', 'run the person detector on every frame instead of following the previous pose')
    .option('--no-filter', 'turn off the One-Euro smoothing of landmarks over time')
    .option('--person-detector <name>', 'who finds people: both (default: BlazePose\'s face-based detector and MoveNet\'s body detector), blazepose or movenet', choice('--person-detector', PERSON_DETECTORS))
    .option('--no-sides', 'take each frame\'s left/right labels as detected (default: chosen over the whole clip, with the body detector\'s vote)')
    .option('--every <n>', 'keep every n-th frame', positiveInt('--every'))
    .option('--max-side <px>', 'scale frames down to this longer side for detection (default 960; raise it for small people in large frames; keypoints stay in source pixels)', positiveInt('--max-side'))
    .option('--fps <n>', 'frame rate of an image folder or of imported keypoints (default 30)', positiveNumber('--fps'))
    .option('--size <WxH>', 'frame size of imported keypoints that do not carry it', size)
    .option('--backend <name>', 'tfjs backend: wasm, tensorflow or cpu', choice('--backend', ['wasm', 'tensorflow', 'cpu'] as const), 'wasm')
    .option('--quiet', 'no progress output')
    .action(async (input: string, o: Record<string, any>) => {
      const progress = new Progress('ingest', 0, { quiet: o.quiet });
      let bar: Progress | null = null;
      const summary = await ingest(input, o.out, {
        ...detectionOptionsFrom(o), format: o.format, tracking: o.tracking, filter: o.filter, personDetector: o.personDetector, sides: o.sides, every: o.every, maxSide: o.maxSide,
        fps: o.fps, width: o.size?.width, height: o.size?.height, backend: o.backend,
        onProgress: (done, total) => {
          bar ??= new Progress('ingest: frames', total, { quiet: o.quiet });
          bar.update(done);
        },
      });
      (bar ?? progress).done();
      const lines = [
        `frames: ${summary.frames}`,
        `frames without a person: ${summary.framesWithoutPerson}`,
        ...(summary.msPerFrame > 0 ? [`ms/frame: ${summary.msPerFrame.toFixed(1)}`] : []),
        `camera: f = ${summary.focalPx.toFixed(0)} px, ${CAMERA_FROM[summary.cameraFrom]}`,
        `wrote ${summary.keypointsPath}`,
        `wrote ${summary.overlayPath}`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
      if (summary.decodeFailure) {
        process.stderr.write(`optimus-motion: warning: ${input}: decoding failed at frame ${summary.decodeFailure.atFrame} (${summary.decodeFailure.message}); kept the ${summary.frames} frames before it\n`);
      }
      if (summary.cameraWarning) process.stderr.write(`optimus-motion: warning: ${input}: ${summary.cameraWarning}\n`);
      if (summary.frames > 0 && summary.framesWithoutPerson === summary.frames) {
        process.stderr.write(`optimus-motion: warning: ${input}: no person found in any frame\n`);
      }
    });
}
