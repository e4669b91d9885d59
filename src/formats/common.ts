import { z } from 'zod';

export const finite = z.number().refine(Number.isFinite, 'must be a finite number');
export const vec3 = z.tuple([finite, finite, finite]);
export const quat = z.tuple([finite, finite, finite, finite]);
export type Vec3 = z.infer<typeof vec3>;
export type Quat = z.infer<typeof quat>;

/** Pinhole intrinsics in pixels. */
export const intrinsics = z.object({ fx: finite, fy: finite, cx: finite, cy: finite });
export type Intrinsics = z.infer<typeof intrinsics>;
