import type * as THREE from 'three';

/** Landmark positions of one frame, from joints3d. */
export type Points = ReadonlyArray<readonly number[]>;

/** A landmark index, or a point between two landmarks. */
export type Anchor = number | readonly [number, number];
export const MID_HIP = [23, 24] as const;
/** Each foot's point between heel and toe. */
export const FOOT = { left: [29, 31] as const, right: [30, 32] as const };

export function anchor(points: Points, a: Anchor, out: THREE.Vector3): THREE.Vector3 {
  if (typeof a === 'number') return out.fromArray(points[a] as number[]);
  const p = points[a[0]]!;
  const q = points[a[1]]!;
  return out.set((p[0]! + q[0]!) / 2, (p[1]! + q[1]!) / 2, (p[2]! + q[2]!) / 2);
}
