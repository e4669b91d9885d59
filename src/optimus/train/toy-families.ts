import { Rng } from '../../random.ts';
import type { Objective, Task, TaskFamily } from '../types.ts';

/**
 * A small task family owned by the trainer, for its tests and for development
 * before the library's families are wired in: f(x) = ½ Σ aᵢ (xᵢ − cᵢ)², with
 * curvatures aᵢ log-uniform in [1, condition], a random shift c and start point.
 */
export interface ToyQuadraticOptions {
  condition: number;
  /** Scale of the shift and the start point. */
  spread: number;
}

export const TOY_QUADRATIC_DEFAULTS: ToyQuadraticOptions = { condition: 10, spread: 1 };

export function toyQuadraticFamily(options: Partial<ToyQuadraticOptions> = {}): TaskFamily {
  const { condition, spread } = { ...TOY_QUADRATIC_DEFAULTS, ...options };
  return {
    name: 'toy-quadratic',
    sample(seed: number, dim = 2): Task {
      const rng = new Rng(seed);
      const a = new Float64Array(dim);
      const c = new Float64Array(dim);
      const x0 = new Float64Array(dim);
      for (let i = 0; i < dim; i++) {
        a[i] = Math.exp(rng.uniform(0, Math.log(condition)));
        c[i] = spread * rng.normal();
        x0[i] = c[i]! + spread * rng.normal();
      }
      const objective: Objective = {
        name: 'toy-quadratic',
        dim,
        minimum: 0,
        valueAndGrad(x: Float64Array) {
          let value = 0;
          const grad = new Float64Array(dim);
          for (let i = 0; i < dim; i++) {
            const d = x[i]! - c[i]!;
            value += 0.5 * a[i]! * d * d;
            grad[i] = a[i]! * d;
          }
          return { value, grad };
        },
      };
      return { objective, x0 };
    },
  };
}
