/**
 * The 33 BlazePose / MediaPipe pose landmarks, in their canonical order.
 * Every keypoints.json and every "joints3d" array of the project uses this order.
 */
export const MEDIAPIPE_33 = [
  'nose', 'left_eye_inner', 'left_eye', 'left_eye_outer', 'right_eye_inner', 'right_eye', 'right_eye_outer',
  'left_ear', 'right_ear', 'mouth_left', 'mouth_right',
  'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist',
  'left_pinky', 'right_pinky', 'left_index', 'right_index', 'left_thumb', 'right_thumb',
  'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle',
  'left_heel', 'right_heel', 'left_foot_index', 'right_foot_index',
] as const;

export type LandmarkName = (typeof MEDIAPIPE_33)[number];
export const LANDMARK_COUNT = 33;

/** Index of a landmark by name. */
export const LANDMARK_INDEX: Record<LandmarkName, number> = Object.fromEntries(
  MEDIAPIPE_33.map((name, i) => [name, i]),
) as Record<LandmarkName, number>;

/** The 17 body landmarks: the 33 without the face's ten and the hands' six points, so the head and
 *  hands do not outweigh the body (17 is also the Human3.6M joint count). Scored by the metrics. */
export const BODY_17: readonly LandmarkName[] = [
  'nose',
  'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist',
  'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle',
  'left_heel', 'right_heel', 'left_foot_index', 'right_foot_index',
];

/** Bones drawn between landmarks (for overlays and the viewer). */
export const LANDMARK_EDGES: ReadonlyArray<readonly [number, number]> = [
  [11, 12], [11, 13], [13, 15], [12, 14], [14, 16], [15, 17], [15, 19], [15, 21], [16, 18], [16, 20], [16, 22],
  [11, 23], [12, 24], [23, 24], [23, 25], [25, 27], [24, 26], [26, 28], [27, 29], [29, 31], [27, 31], [28, 30],
  [30, 32], [28, 32], [0, 2], [0, 5], [2, 7], [5, 8], [9, 10],
];

/** Each landmark's mirror image (left ↔ right; the nose is its own), for detections whose sides are swapped. */
export const LANDMARK_MIRROR: readonly number[] = MEDIAPIPE_33.map((name) => {
  const other = name.includes('left') ? name.replace('left', 'right') : name.replace('right', 'left');
  return LANDMARK_INDEX[other as LandmarkName];
});
