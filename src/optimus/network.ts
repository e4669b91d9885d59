import { activeBackend, tf } from './backend.ts';
import { WeightLayout, linearRows } from './weights.ts';

/**
 * The Optimus network: every parameter of the optimized problem is one token.
 *   embed:   a shared linear layer, features → width D;
 *   encoder: L pre-LayerNorm Transformer layers, multi-head self-attention ACROSS the
 *            N tokens (this couples the dimensions) and a shared ReLU MLP;
 *   heads:   shared per token → (u_raw, d_raw); mean-pooled over tokens → α_raw.
 * No layer depends on N, so the same weights run on any dimension.
 *
 * Two implementations of the same forward pass, as in learned_optimization (a naive
 * reference beside a fast one, with a test that they agree):
 *  - `forwardTyped`: plain TypeScript over Float64Arrays. tfjs-wasm costs tens of µs
 *    per op before any arithmetic, so for small N this is far faster — it is what the
 *    meta-trainer runs at N = 2…32; attention runs row by row in O(keys) memory.
 *  - `forwardTfjs`: tfjs ops (wasm SIMD matmuls, or the native backend), the reference,
 *    and faster from N ≈ 80 up (see TFJS_MIN_TOKENS).
 * `forward` picks by N. Width 16 / 2 heads / 3 layers (6.7k weights): wider cost more per
 * step for no measured gain (docs/notebook/optimus-network.md).
 *
 * Attention cost: exact attention is O(N²·D), which at N = 1000 alone costs more than
 * the 50 ms target and at N = 10 000 several seconds. Beyond MAX_KEYS tokens the keys
 * and values are therefore mean-pooled over MAX_KEYS contiguous groups of parameters,
 * with log(group size) added to the scores, so each group weighs as much as the tokens
 * it stands for (exact when a group's tokens are alike; identical to exact attention
 * for N ≤ MAX_KEYS, which covers every training size). Cost: O(N·MAX_KEYS·D).
 */
export interface NetworkConfig {
  /** Input features per token. */
  inputs: number;
  /** Token width D. */
  width: number;
  heads: number;
  layers: number;
  /** Hidden width of the per-token MLP in each layer. */
  hidden: number;
}

export const NETWORK_DEFAULTS: Omit<NetworkConfig, 'inputs'> = { width: 16, heads: 2, layers: 3, hidden: 32 };

/** Keys/values beyond which attention runs over pooled groups (see above). */
export const MAX_KEYS = 128;

/** Group of each token when pooling keys (contiguous groups, sizes differ by ≤ 1). */
function keyGroups(n: number): { groups: number; of: Int32Array; count: Float64Array } {
  const groups = Math.min(n, MAX_KEYS);
  const of = new Int32Array(n);
  const count = new Float64Array(groups);
  for (let i = 0; i < n; i++) {
    const g = Math.floor((i * groups) / n);
    of[i] = g;
    count[g]!++;
  }
  return { groups, of, count };
}

/** Mean of rows per group (rows × width → groups × width). */
function poolRows(x: Float64Array, width: number, g: { groups: number; of: Int32Array; count: Float64Array }): Float64Array {
  const out = new Float64Array(g.groups * width);
  const n = g.of.length;
  for (let i = 0; i < n; i++) {
    const o = g.of[i]! * width;
    for (let j = 0; j < width; j++) out[o + j]! += x[i * width + j]!;
  }
  for (let k = 0; k < g.groups; k++) for (let j = 0; j < width; j++) out[k * width + j]! /= g.count[k]!;
  return out;
}

export interface NetworkOutput {
  uRaw: Float64Array;
  dRaw: Float64Array;
  alphaRaw: number;
}

export function networkLayout(c: NetworkConfig): WeightLayout {
  if (c.width % c.heads !== 0) throw new Error(`width ${c.width} is not divisible by heads ${c.heads}`);
  const L = new WeightLayout();
  L.add('embed.w', [c.inputs, c.width], 'glorot');
  L.add('embed.b', [c.width], 'zeros');
  for (let l = 0; l < c.layers; l++) {
    L.add(`l${l}.q`, [c.width, c.width], 'glorot');
    L.add(`l${l}.k`, [c.width, c.width], 'glorot');
    L.add(`l${l}.v`, [c.width, c.width], 'glorot');
    L.add(`l${l}.o`, [c.width, c.width], 'glorot');
    L.add(`l${l}.ff1.w`, [c.width, c.hidden], 'glorot');
    L.add(`l${l}.ff1.b`, [c.hidden], 'zeros');
    L.add(`l${l}.ff2.w`, [c.hidden, c.width], 'glorot');
    L.add(`l${l}.ff2.b`, [c.width], 'zeros');
  }
  // Output heads start at zero: u = 0 (B = I), d = the hand-designed direction, α = base step.
  L.add('head.tok.w', [c.width, 2], 'zeros');
  L.add('head.tok.b', [2], 'zeros');
  L.add('head.alpha.w', [c.width, 1], 'zeros');
  L.add('head.alpha.b', [1], 'zeros');
  return L;
}

/**
 * Tokens at which the tfjs path takes over: below, tfjs's fixed per-op cost loses; above,
 * its SIMD matmuls win (measurements: docs/notebook/optimus-network.md).
 */
export const TFJS_MIN_TOKENS: Record<string, number> = { wasm: 80, tensorflow: 48, cpu: Infinity };

export type ForwardImpl = 'auto' | 'typed' | 'tfjs';

/** A network bound to one weight vector, ready to run on any N. */
export interface BoundNetwork {
  config: NetworkConfig;
  layout: WeightLayout;
  weights: Float32Array;
  /** Float64 copies of the slices for the typed path (made once). */
  typed: Record<string, Float64Array>;
  /** Weight tensors for the tfjs path, uploaded on first use and freed with the network. */
  tensors: Map<string, tf.Tensor>;
}

// An Optimizer has no dispose(), so the cached weight tensors are freed when the bound
// network is garbage-collected.
const freeTensors = new FinalizationRegistry<Map<string, tf.Tensor>>((tensors) => {
  for (const t of tensors.values()) if (!t.isDisposed) t.dispose();
});

export function bindNetwork(config: NetworkConfig, weights: Float32Array): BoundNetwork {
  const layout = networkLayout(config);
  const net = { config, layout, weights, typed: layout.unpack(weights), tensors: new Map<string, tf.Tensor>() };
  freeTensors.register(net, net.tensors);
  return net;
}

export function forward(net: BoundNetwork, tokens: Float32Array, n: number, impl: ForwardImpl = 'auto'): NetworkOutput {
  if (impl === 'tfjs' || (impl === 'auto' && n >= (TFJS_MIN_TOKENS[activeBackend() ?? 'cpu'] ?? Infinity))) {
    return forwardTfjs(net.config, net.layout, net.weights, tokens, n, net.tensors);
  }
  return forwardTyped(net.config, net.typed, tokens, n);
}

function layerNormRows(x: Float64Array, rows: number, width: number): Float64Array {
  const out = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    let mean = 0;
    for (let j = 0; j < width; j++) mean += x[o + j]!;
    mean /= width;
    let varc = 0;
    for (let j = 0; j < width; j++) varc += (x[o + j]! - mean) ** 2;
    const inv = 1 / Math.sqrt(varc / width + 1e-5);
    for (let j = 0; j < width; j++) out[o + j] = (x[o + j]! - mean) * inv;
  }
  return out;
}

/** The fast path: plain typed arrays. */
export function forwardTyped(c: NetworkConfig, w: Record<string, Float64Array>, tokens: Float32Array, n: number): NetworkOutput {
  const D = c.width;
  const H = c.heads;
  const dk = D / H;
  const scale = 1 / Math.sqrt(dk);
  const x = linearRows(Float64Array.from(tokens), n, c.inputs, w['embed.w']!, w['embed.b']!, D);
  const groups = keyGroups(n);
  const grouped = groups.groups < n;
  const nk = groups.groups;
  const bias = grouped ? groups.count.map(Math.log) : new Float64Array(nk);
  const scores = new Float64Array(nk);
  const attn = new Float64Array(n * D);
  for (let l = 0; l < c.layers; l++) {
    const h = layerNormRows(x, n, D);
    const q = linearRows(h, n, D, w[`l${l}.q`]!, null, D);
    let k = linearRows(h, n, D, w[`l${l}.k`]!, null, D);
    let v = linearRows(h, n, D, w[`l${l}.v`]!, null, D);
    if (grouped) {
      k = poolRows(k, D, groups);
      v = poolRows(v, D, groups);
    }
    // Row by row: scores for each head over the (pooled) keys, O(keys) memory.
    attn.fill(0);
    for (let i = 0; i < n; i++) {
      const qi = i * D;
      for (let hd = 0; hd < H; hd++) {
        const c0 = qi + hd * dk;
        let max = -Infinity;
        for (let j = 0; j < nk; j++) {
          const kj = j * D + hd * dk;
          let s = 0;
          for (let e = 0; e < dk; e++) s += q[c0 + e]! * k[kj + e]!;
          s = s * scale + bias[j]!;
          scores[j] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let j = 0; j < nk; j++) {
          const p = Math.exp(scores[j]! - max);
          scores[j] = p;
          sum += p;
        }
        const inv = 1 / sum;
        for (let j = 0; j < nk; j++) {
          const p = scores[j]! * inv;
          const vj = j * D + hd * dk;
          for (let e = 0; e < dk; e++) attn[c0 + e]! += p * v[vj + e]!;
        }
      }
    }
    const o = linearRows(attn, n, D, w[`l${l}.o`]!, null, D);
    for (let i = 0; i < n * D; i++) x[i]! += o[i]!;
    const h2 = layerNormRows(x, n, D);
    const f1 = linearRows(h2, n, D, w[`l${l}.ff1.w`]!, w[`l${l}.ff1.b`]!, c.hidden);
    for (let i = 0; i < f1.length; i++) if (f1[i]! < 0) f1[i] = 0;
    const f2 = linearRows(f1, n, c.hidden, w[`l${l}.ff2.w`]!, w[`l${l}.ff2.b`]!, D);
    for (let i = 0; i < n * D; i++) x[i]! += f2[i]!;
  }
  const hf = layerNormRows(x, n, D);
  const tok = linearRows(hf, n, D, w['head.tok.w']!, w['head.tok.b']!, 2);
  const uRaw = new Float64Array(n);
  const dRaw = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    uRaw[i] = tok[2 * i]!;
    dRaw[i] = tok[2 * i + 1]!;
  }
  const pooled = new Float64Array(D);
  for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) pooled[j]! += hf[i * D + j]! / n;
  const aw = w['head.alpha.w']!;
  let alphaRaw = w['head.alpha.b']![0]!;
  for (let j = 0; j < D; j++) alphaRaw += pooled[j]! * aw[j]!;
  return { uRaw, dRaw, alphaRaw };
}

/** Query block size of the tfjs attention (bounds the N×N score matrix in memory). */
const QUERY_BLOCK = 1024;

/** The reference / large-N path: the same network in tfjs ops. */
export function forwardTfjs(c: NetworkConfig, layout: WeightLayout, w: Float32Array, tokens: Float32Array, n: number, cache?: Map<string, tf.Tensor>): NetworkOutput {
  const D = c.width;
  const H = c.heads;
  const dk = D / H;
  const upload = (name: string) => {
    const e = layout.get(name);
    return tf.tensor(w.subarray(e.offset, e.offset + e.size), e.shape.length > 1 ? (e.shape as [number, number]) : [e.size]);
  };
  if (cache && cache.size === 0) for (const e of layout.entries) cache.set(e.name, upload(e.name)); // outside tidy: kept
  const out = tf.tidy(() => {
    const W = (name: string) => cache?.get(name) ?? upload(name);
    const ln = (t: tf.Tensor2D): tf.Tensor2D => {
      const { mean, variance } = tf.moments(t, -1, true);
      return tf.div(tf.sub(t, mean), tf.sqrt(tf.add(variance, 1e-5))) as tf.Tensor2D;
    };
    const heads = (t: tf.Tensor2D, rows: number): tf.Tensor3D => tf.transpose(tf.reshape(t, [rows, H, dk]), [1, 0, 2]);
    const groups = keyGroups(n);
    let pool: tf.Tensor2D | null = null;
    let bias: tf.Tensor | null = null;
    if (groups.groups < n) {
      // Pooling as a (groups × N) averaging matrix: one matMul per projection.
      const P = new Float32Array(groups.groups * n);
      for (let i = 0; i < n; i++) P[groups.of[i]! * n + i] = 1 / groups.count[groups.of[i]!]!;
      pool = tf.tensor2d(P, [groups.groups, n]);
      bias = tf.tensor3d(Float32Array.from(groups.count, Math.log), [1, 1, groups.groups]);
    }
    const nk = groups.groups;
    let x = tf.add(tf.matMul(tf.tensor2d(tokens, [n, c.inputs]), W('embed.w')), W('embed.b')) as tf.Tensor2D;
    for (let l = 0; l < c.layers; l++) {
      const h = ln(x);
      const q = heads(tf.mul(tf.matMul(h, W(`l${l}.q`)), 1 / Math.sqrt(dk)) as tf.Tensor2D, n);
      const kFull = tf.matMul(h, W(`l${l}.k`));
      const vFull = tf.matMul(h, W(`l${l}.v`));
      const k = heads((pool ? tf.matMul(pool, kFull) : kFull) as tf.Tensor2D, nk);
      const v = heads((pool ? tf.matMul(pool, vFull) : vFull) as tf.Tensor2D, nk);
      const blocks: tf.Tensor3D[] = [];
      for (let s = 0; s < n; s += QUERY_BLOCK) {
        const size = Math.min(QUERY_BLOCK, n - s);
        // Own scope per block: the H×block×N scores are freed before the next block.
        blocks.push(
          tf.tidy(() => {
            const qb = n > QUERY_BLOCK ? tf.slice(q, [0, s, 0], [H, size, dk]) : q;
            const scores = tf.matMul(qb, k, false, true);
            return tf.matMul(tf.softmax(bias ? tf.add(scores, bias) : scores), v);
          }),
        );
      }
      const a = blocks.length === 1 ? blocks[0]! : tf.concat(blocks, 1);
      const merged = tf.reshape(tf.transpose(a, [1, 0, 2]), [n, D]) as tf.Tensor2D;
      x = tf.add(x, tf.matMul(merged, W(`l${l}.o`))) as tf.Tensor2D;
      const h2 = ln(x);
      const f1 = tf.relu(tf.add(tf.matMul(h2, W(`l${l}.ff1.w`)), W(`l${l}.ff1.b`))) as tf.Tensor2D;
      x = tf.add(x, tf.add(tf.matMul(f1, W(`l${l}.ff2.w`)), W(`l${l}.ff2.b`))) as tf.Tensor2D;
    }
    const hf = ln(x);
    const tok = tf.add(tf.matMul(hf, W('head.tok.w')), W('head.tok.b'));
    const pooled = tf.mean(hf, 0, true) as tf.Tensor2D;
    const alpha = tf.add(tf.matMul(pooled, W('head.alpha.w')), W('head.alpha.b'));
    return tf.concat([tf.reshape(tok, [2 * n]), tf.reshape(alpha, [1])]);
  });
  const data = out.dataSync();
  out.dispose();
  const uRaw = new Float64Array(n);
  const dRaw = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    uRaw[i] = data[2 * i]!;
    dRaw[i] = data[2 * i + 1]!;
  }
  return { uRaw, dRaw, alphaRaw: data[2 * n]! };
}
