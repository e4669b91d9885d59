/**
 * Per-parameter input features of the learned optimizers, in the style of the
 * Adafactor-MLP optimizer of Metz et al. ("Practical tradeoffs between memory, compute,
 * and performance in learned optimizers", 2022): gradient, parameter, momentum at
 * several decays, second-moment accumulators and their ratios, plus the last step and
 * gradient change (the BFGS pair s, y). Each per-parameter feature is normalised across
 * the N parameters (divided by its root mean square), so one network sees every
 * problem at the same scale. A few global features (tanh time features of the step
 * count, whether the last step improved f, how the gradient norm changed) are the same
 * for every parameter and are appended unnormalised.
 */

export interface FeatureConfig {
  /** Decays of the momentum accumulators m. */
  momentumDecays: number[];
  /** Decays of the second-moment accumulators v; the last one is the Adam denominator. */
  rmsDecays: number[];
  /** Time scales τ of the tanh(t / τ) time features. */
  timescales: number[];
}

export const FEATURE_DEFAULTS: FeatureConfig = {
  momentumDecays: [0.5, 0.9, 0.99],
  rmsDecays: [0.9, 0.999],
  timescales: [1, 3, 10, 30, 100, 300, 1000],
};

/** Adam's ε in the direction m̂ / (√v̂ + ε). */
export const ADAM_EPS = 1e-8;

/** The optimizer-state part the features need (arrays and numbers only). */
export interface FeatureState {
  m: Float64Array[];
  v: Float64Array[];
  /** Previous iterate and gradient (empty arrays before the first step). */
  prevX: Float64Array;
  prevGrad: Float64Array;
  prevValue: number;
  prevGradNorm: number;
}

/** Number of per-parameter (normalised) features. */
export function perParameterFeatureCount(c: FeatureConfig): number {
  // g, x, m_k, √v_k, m_k/√v_last, 1/√v_last, s, y
  return 2 + c.momentumDecays.length + c.rmsDecays.length + c.momentumDecays.length + 1 + 2;
}

/** Number of global features appended to every token. */
export function globalFeatureCount(c: FeatureConfig): number {
  return c.timescales.length + 2;
}

/** Total width of one token's feature vector. */
export function featureCount(c: FeatureConfig): number {
  return perParameterFeatureCount(c) + globalFeatureCount(c);
}

export function initFeatureState(dim: number, c: FeatureConfig): FeatureState {
  return {
    m: c.momentumDecays.map(() => new Float64Array(dim)),
    v: c.rmsDecays.map(() => new Float64Array(dim)),
    prevX: new Float64Array(0),
    prevGrad: new Float64Array(0),
    prevValue: NaN,
    prevGradNorm: NaN,
  };
}

export interface Features {
  /** N × featureCount, row-major (one row per parameter = one token). */
  tokens: Float32Array;
  width: number;
  /** Adam's bias-corrected direction m̂_β1 / (√v̂_β2 + ε) with β1 = 0.9-ish, β2 = last rms decay. */
  adamDirection: Float64Array;
  /** Accumulators after this step's gradient (the caller stores them in its new state). */
  next: FeatureState;
}

/**
 * Updates the accumulators with the gradient at the current iterate (step t ≥ 1,
 * counting this one) and builds the normalised token features. Pure: `state` is not
 * modified.
 */
export function computeFeatures(c: FeatureConfig, state: FeatureState, x: Float64Array, grad: Float64Array, value: number, t: number): Features {
  const n = x.length;
  const nm = c.momentumDecays.length;
  const nv = c.rmsDecays.length;
  const m = c.momentumDecays.map((b, k) => {
    const prev = state.m[k]!;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = b * prev[i]! + (1 - b) * grad[i]!;
    return out;
  });
  const v = c.rmsDecays.map((b, k) => {
    const prev = state.v[k]!;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = b * prev[i]! + (1 - b) * grad[i]! * grad[i]!;
    return out;
  });
  // Bias corrections (as in Adam), so early steps are not shrunk towards zero.
  const mCorr = c.momentumDecays.map((b) => 1 / (1 - b ** t));
  const vCorr = c.rmsDecays.map((b) => 1 / (1 - b ** t));
  const vLast = v[nv - 1]!;
  const vLastCorr = vCorr[nv - 1]!;
  const adamK = Math.min(1, nm - 1); // the 0.9 momentum in the default decays
  const adamDirection = new Float64Array(n);
  let gradNorm2 = 0;

  const perParam = perParameterFeatureCount(c);
  const width = featureCount(c);
  const cols: Float64Array[] = [];
  for (let f = 0; f < perParam; f++) cols.push(new Float64Array(n));
  const hasPrev = state.prevX.length === n;
  for (let i = 0; i < n; i++) {
    const g = grad[i]!;
    gradNorm2 += g * g;
    const rms = Math.sqrt(vLast[i]! * vLastCorr);
    const inv = 1 / (rms + ADAM_EPS);
    let f = 0;
    cols[f++]![i] = g;
    cols[f++]![i] = x[i]!;
    for (let k = 0; k < nm; k++) cols[f++]![i] = m[k]![i]! * mCorr[k]!;
    for (let k = 0; k < nv; k++) cols[f++]![i] = Math.sqrt(v[k]![i]! * vCorr[k]!);
    for (let k = 0; k < nm; k++) cols[f++]![i] = m[k]![i]! * mCorr[k]! * inv;
    cols[f++]![i] = inv;
    cols[f++]![i] = hasPrev ? x[i]! - state.prevX[i]! : 0;
    cols[f++]![i] = hasPrev ? g - state.prevGrad[i]! : 0;
    adamDirection[i] = m[adamK]![i]! * mCorr[adamK]! * inv;
  }

  const tokens = new Float32Array(n * width);
  for (let f = 0; f < perParam; f++) {
    const col = normalizeAcrossParameters(cols[f]!);
    for (let i = 0; i < n; i++) tokens[i * width + f] = col[i]!;
  }
  const gradNorm = Math.sqrt(gradNorm2);
  const globals: number[] = c.timescales.map((tau) => Math.tanh(t / tau));
  const rel = Number.isFinite(state.prevValue) ? (value - state.prevValue) / (Math.abs(state.prevValue) + 1e-12) : 0;
  globals.push(Math.tanh(rel));
  const gr = Number.isFinite(state.prevGradNorm) && state.prevGradNorm > 0 && gradNorm > 0 ? Math.log(gradNorm / state.prevGradNorm) : 0;
  globals.push(Math.tanh(gr));
  for (let i = 0; i < n; i++) for (let k = 0; k < globals.length; k++) tokens[i * width + perParam + k] = globals[k]!;

  return {
    tokens,
    width,
    adamDirection,
    next: { m, v, prevX: Float64Array.from(x), prevGrad: Float64Array.from(grad), prevValue: value, prevGradNorm: gradNorm },
  };
}

/**
 * Divides a feature column by its root mean square over the parameters (a column of
 * zeros stays zero). The result has RMS 1 and is invariant to the column's scale.
 */
export function normalizeAcrossParameters(col: Float64Array): Float64Array {
  let s = 0;
  for (let i = 0; i < col.length; i++) s += col[i]! * col[i]!;
  const rms = Math.sqrt(s / Math.max(1, col.length));
  const out = new Float64Array(col.length);
  if (!(rms > 1e-30) || !Number.isFinite(rms)) return out;
  for (let i = 0; i < col.length; i++) out[i] = col[i]! / rms;
  return out;
}
