export * from './quaternion.ts';
export * from './camera.ts';
export * from './procrustes.ts';
