/** The humanoid body: skeleton, poses, forward kinematics (TS). The tfjs FK is in ./fk-tf.ts (imports tfjs). */
export * from './skeleton.ts';
export * from './pose.ts';
export * from './fk.ts';
export * from './procedural.ts';
