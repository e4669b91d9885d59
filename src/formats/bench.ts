import { z } from 'zod';

const num = z.number().nullable();

/** bench output (DESIGN §4.2). */
export const benchRun = z.object({
  objective: z.string(),
  dim: z.number().int().positive(),
  optimizer: z.string(),
  seed: z.number().int().nonnegative(),
  finalValue: num,
  bestValue: num,
  gradEvals: z.number().int().nonnegative(),
  wallMs: z.number(),
  curve: z.array(num),
}).passthrough();

export const benchSummary = z.object({
  objective: z.string(),
  dim: z.number().int().positive(),
  optimizer: z.string(),
  meanLog10Gap: z.number(),
  medianLog10Gap: z.number(),
  successRate: z.number(),
  meanGradEvals: z.number(),
  meanWallMs: z.number(),
}).passthrough();

export const benchFile = z.object({
  config: z.object({
    steps: z.number().int().positive(),
    seeds: z.number().int().positive(),
    dims: z.array(z.number().int().positive()),
    optimizers: z.array(z.string()),
  }).passthrough(),
  runs: z.array(benchRun),
  summary: z.array(benchSummary),
}).passthrough();

export type BenchRun = z.infer<typeof benchRun>;
export type BenchSummary = z.infer<typeof benchSummary>;
export type BenchFile = z.infer<typeof benchFile>;
