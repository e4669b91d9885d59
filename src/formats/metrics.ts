import { z } from 'zod';
import { finite } from './common.ts';
import { physicsAccounting } from './motion.ts';

/** metrics.json (DESIGN §4.5). Lengths in millimetres, skating in percent of frames. */
export const metricsFile = z.object({
  mpjpe: finite,
  paMpjpe: finite,
  mpjpeG: finite,
  accelError: finite,
  footSkatePct: finite,
  penetrationMm: finite,
  groundDistanceMm: finite,
  /** Mean height (mm) of the lowest foot point above the ground over the contact frames (hovering shows here). */
  floatMm: finite.optional(),
  frames: z.number().int().nonnegative(),
  /** The physics stage's residual, copied from the report.json beside a motion.json with a physics stage. */
  residual: physicsAccounting.shape.residual.optional(),
}).passthrough();

export type Metrics = z.infer<typeof metricsFile>;
