import { z } from 'zod';
import { vec3 } from './common.ts';

/** A joint of a skeleton as stored in motion.json / truth.json (DESIGN §4.4). */
export const skeletonJoint = z.object({
  name: z.string(),
  parent: z.string().nullable(),
  offset: vec3,
  dof: z.number().int().min(0).max(6),
}).passthrough();

export const skeletonDescription = z.object({ joints: z.array(skeletonJoint).min(1) }).passthrough();
export type SkeletonJointDescription = z.infer<typeof skeletonJoint>;
export type SkeletonDescription = z.infer<typeof skeletonDescription>;
