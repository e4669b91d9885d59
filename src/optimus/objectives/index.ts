export * from './spec.ts';
export * from './functions.ts';
export * from './registry.ts';
export * from './families.ts';
export * from './module.ts';
