import { Rng } from '../random.ts';

/**
 * A flat weight vector with named slices: networks keep all their meta-parameters in
 * one Float32Array so the meta-trainer can perturb them as a single vector.
 */
export interface WeightEntry {
  name: string;
  shape: number[];
  offset: number;
  size: number;
  /** 'glorot': N(0, 1/fanIn); 'zeros': output layers that start the network as a hand-designed step. */
  init: 'glorot' | 'zeros';
}

export class WeightLayout {
  readonly entries: WeightEntry[] = [];
  private readonly byName = new Map<string, WeightEntry>();
  size = 0;

  add(name: string, shape: number[], init: WeightEntry['init']): WeightEntry {
    const size = shape.reduce((a, b) => a * b, 1);
    const entry = { name, shape, offset: this.size, size, init };
    this.entries.push(entry);
    this.byName.set(name, entry);
    this.size += size;
    return entry;
  }

  get(name: string): WeightEntry {
    const e = this.byName.get(name);
    if (!e) throw new Error(`no weight named ${name}`);
    return e;
  }

  /** A view (no copy) of one named slice of a weight vector. */
  view(weights: Float32Array, name: string): Float32Array {
    const e = this.get(name);
    return weights.subarray(e.offset, e.offset + e.size);
  }

  /** Deterministic initial weights: scaled normals for hidden layers, zeros where asked. */
  init(seed: number): Float32Array {
    const rng = new Rng(seed);
    const w = new Float32Array(this.size);
    for (const e of this.entries) {
      if (e.init === 'zeros') continue;
      const fanIn = e.shape.length > 1 ? e.shape[0]! : 1;
      const std = e.shape.length > 1 ? 1 / Math.sqrt(fanIn) : 0;
      for (let i = 0; i < e.size; i++) w[e.offset + i] = std * rng.normal();
    }
    return w;
  }

  /** All slices as Float64Array copies, for the typed-array forward passes (one copy per optimizer). */
  unpack(weights: Float32Array): Record<string, Float64Array> {
    if (weights.length !== this.size) throw new Error(`expected ${this.size} weights, got ${weights.length}`);
    const out: Record<string, Float64Array> = {};
    for (const e of this.entries) out[e.name] = Float64Array.from(weights.subarray(e.offset, e.offset + e.size));
    return out;
  }
}

/**
 * out[n, :] = x[n, :] · W + b for row-major x (rows × inDim) and W (inDim × outDim).
 * Float64Array only: mixing element types at one call site makes V8's element access
 * polymorphic and several times slower.
 */
export function linearRows(x: Float64Array, rows: number, inDim: number, w: Float64Array, b: Float64Array | null, outDim: number): Float64Array {
  const out = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    const o = r * outDim;
    if (b) for (let j = 0; j < outDim; j++) out[o + j] = b[j]!;
    const xi = r * inDim;
    for (let k = 0; k < inDim; k++) {
      const a = x[xi + k]!;
      if (a === 0) continue;
      const wk = k * outDim;
      for (let j = 0; j < outDim; j++) out[o + j]! += a * w[wk + j]!;
    }
  }
  return out;
}
