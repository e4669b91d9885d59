import { z } from 'zod';
import { finite } from './common.ts';

/** metrics.json (DESIGN §4.5). Lengths in millimetres, skating in percent of frames. */
export const metricsFile = z.object({
  mpjpe: finite,
  paMpjpe: finite,
  mpjpeG: finite,
  accelError: finite,
  footSkatePct: finite,
  penetrationMm: finite,
  groundDistanceMm: finite,
  frames: z.number().int().nonnegative(),
}).passthrough();

export type Metrics = z.infer<typeof metricsFile>;
