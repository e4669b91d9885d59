/**
 * Who finds people: BlazePose's own detector (it keys on the face), MoveNet's body detector
 * (body-detector.ts; finds people seen from behind), or both (BlazePose's detection where both
 * find a person, so the crop is the one its landmark model was trained on). A module of its own so
 * the command line can list the choices without loading tfjs.
 */
export type PersonDetectorChoice = 'blazepose' | 'movenet' | 'both';
export const PERSON_DETECTORS: readonly PersonDetectorChoice[] = ['blazepose', 'movenet', 'both'];
