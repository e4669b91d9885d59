import { FEATURE_DEFAULTS, computeFeatures, featureCount, type FeatureConfig } from './features.ts';
import { initLearnedState, type LearnedState } from './learned-step.ts';
import { NETWORK_DEFAULTS, bindNetwork, forward, type ForwardImpl, type NetworkConfig } from './network.ts';
import { applyPreconditioner, pushRankOne } from './preconditioner.ts';
import { applySecant, applySr1, blendedSecondMoment, buildSr1, diagonalH0, pushPair, secantGamma, sr1IsPositiveDefinite, type SecantPair } from './secant.ts';
import { allFinite, dot, norm } from './vector.ts';
import type { Objective, Optimizer } from './types.ts';

/**
 * Optimus (Gärtner et al., CVPR 2023): a Transformer over the parameters proposes a
 * rank-one vector u, a direction d and a step length α; the update is BFGS-like,
 *   B = B_secant + Σ_k u_k u_kᵀ,   x ← x − α B d.
 * B_secant is a limited-memory quasi-Newton inverse-Hessian estimate from recent
 * curvature pairs (secant.ts: SR1 rank-one updates from the last `pairs` when N ≤ `pairs`
 * and their estimate is positive definite, else L-BFGS from the last `lbfgsPairs` (at most
 * max(N, `pairs`)) and a diagonal H₀ scaled per parameter by Adam's second moment,
 * blended above N = `pairs` with the secant ratio RMS(sᵢ)/RMS(yᵢ), `diagonalBlend`):
 * the prior the network refines, as the paper's Optimus
 * is modelled on BFGS. The network's own rank-one terms are bounded,
 * u = uScale·√γ·tanh(u_raw)/√N (so ‖u‖² ≤ uScale²·γ), decay by `decay` per step and at
 * most `memory` are kept; α = baseStep·exp(α_raw). The network's direction correction
 * d_raw bends the quasi-Newton step, x ← x − α (B g + c B d_raw), with c sized in B's own
 * metric (‖c d_raw‖_B ≤ dScale·‖g‖_B), so a correction of a given size costs the same
 * share of the predicted decrease however ill-conditioned the problem is ('gradient' keeps
 * the retired first form for old checkpoints: docs/notebook/optimus-network.md).
 * Every trial point is evaluated once; a step that does not lower f is not taken (its
 * curvature pair is still kept) and the next steps are halved until one succeeds, so
 * no line search spends evaluations. At N ≤ `pairs` a step is also at most `trustRatio`
 * times as long as the previous trial step (a trust radius for SR1's unbounded model). With
 * the zero-initialised heads the untrained network is this safeguarded quasi-Newton method
 * without line search; meta-training starts from it.
 */
export interface OptimusConfig {
  features: FeatureConfig;
  network: Omit<NetworkConfig, 'inputs'>;
  /** The network's rank-one terms kept in B. */
  memory: number;
  /** Per-step decay of the network's older rank-one terms. */
  decay: number;
  /** Bound on the network's ‖u‖ relative to √γ. */
  uScale: number;
  /** Curvature pairs SR1 is built from; SR1 is tried when N ≤ pairs. */
  pairs: number;
  /**
   * Curvature pairs L-BFGS is built from, at most max(N, pairs): more than N pairs in N
   * dimensions only adds staler curvature (measurements: docs/notebook/optimus-network.md).
   */
  lbfgsPairs: number;
  /**
   * Above the SR1 range (N > pairs) the diagonal H₀'s per-parameter scale is 1/√v
   * (Adam's second moment) to the power 1 − w times RMS(sᵢ)/RMS(yᵢ) over the L-BFGS pairs
   * (exact on a diagonal quadratic) to the power w, w = diagonalBlend.
   */
  diagonalBlend: number;
  /**
   * In the SR1 range (N ≤ pairs) a step is at most trustRatio times as long as the previous
   * trial step, accepted or not (0 = no bound): SR1's model is indefinite and unbounded, and
   * SR1 is classically paired with a trust region (Nocedal & Wright §6.2).
   */
  trustRatio: number;
  /** Scale of the network's correction of the direction, in units of rms(g). */
  dScale: number;
  /** α at α_raw = 0. */
  baseStep: number;
  /** α_raw is clipped to ±alphaRange before exp, so one step never explodes. */
  alphaRange: number;
  /**
   * The L-BFGS prior starts from a diagonal H₀ whose entries may differ from each other
   * by up to this factor either way of their geometric mean (secant.ts `diagonalH0`);
   * 1 = the classic scalar γI.
   */
  diagonalRange: number;
  /**
   * Where d_raw enters: 'metric' adds c·B d_raw to the quasi-Newton step B g, with c such
   * that ‖c d_raw‖_B = dScale·min(1, rms(d_raw))·‖g‖_B; 'gradient' (checkpoints trained
   * before 'metric' existed) adds dScale·rms(g)·d_raw to g before B is applied.
   */
  directionSpace: 'metric' | 'gradient';
  /**
   * Refused steps in a row whose curvature pair was kept halve the next trial at most this many
   * times (0 = no bound): that pair already shortens the model's next step. On a rollout loss
   * with finite-difference gradients f is discontinuous below the difference step, where
   * unbounded halving stops every trial (measurements: docs/notebook/optimus-motion.md).
   */
  maxBackoff: number;
  /**
   * Length of a trial step before any curvature pair is known (B₀ = γ₀I): 'norm' moves α in
   * Euclidean norm (γ₀ = 1/‖g‖), 'rms' moves the parameters α each in root mean square
   * (γ₀ = √N/‖g‖), the length of Adam's first step at learning rate α, for callers whose
   * parameter units make 1 a sensible change of each one.
   */
  firstStep: 'norm' | 'rms';
}

export const OPTIMUS_DEFAULTS: OptimusConfig = {
  features: FEATURE_DEFAULTS,
  network: NETWORK_DEFAULTS,
  memory: 4,
  decay: 0.9,
  uScale: 1,
  pairs: 10,
  lbfgsPairs: 20,
  diagonalBlend: 0.5,
  trustRatio: 4,
  dScale: 1,
  baseStep: 1,
  alphaRange: 4,
  diagonalRange: 10,
  directionSpace: 'metric',
  maxBackoff: 1,
  firstStep: 'norm',
};

export function optimusConfig(partial: Partial<OptimusConfig> = {}): OptimusConfig {
  return {
    ...OPTIMUS_DEFAULTS,
    ...partial,
    features: { ...OPTIMUS_DEFAULTS.features, ...partial.features },
    network: { ...OPTIMUS_DEFAULTS.network, ...partial.network },
  };
}

export function optimusNetworkConfig(c: OptimusConfig): NetworkConfig {
  return { ...c.network, inputs: featureCount(c.features) };
}

export interface OptimusState extends LearnedState {
  /** Curvature pairs of the last trial steps (oldest first). */
  pairs: readonly SecantPair[];
  /** Length of the last trial step, accepted or not (0 before the first). */
  lastStepLength: number;
}

export interface OptimusOptions {
  /** Which forward implementation to run ('auto' picks by N). */
  impl?: ForwardImpl;
}

function initOptimus(objective: Objective, x0: Float64Array, features: FeatureConfig): OptimusState {
  return { ...initLearnedState(objective, x0, features), pairs: [], lastStepLength: 0 };
}

/** An Optimus optimizer running with the given flat weights. `step` never mutates its input state. */
export function createOptimus(config: OptimusConfig, weights: Float32Array, options: OptimusOptions = {}): Optimizer<OptimusState> {
  const net = bindNetwork(optimusNetworkConfig(config), weights);
  return {
    name: 'optimus',
    init: (objective, x0) => initOptimus(objective, x0, config.features),
    step(objective, s) {
      const n = s.x.length;
      const t = s.step + 1;
      const feats = computeFeatures(config.features, s.features, s.x, s.grad, s.value, t);
      const gNorm = norm(s.grad);
      // Before any curvature is known, B = γ₀I: the first trial moves α in norm or in RMS (firstStep).
      const gamma = secantGamma(s.pairs, (config.firstStep === 'rms' ? Math.sqrt(n) : 1) / Math.max(gNorm, 1e-300));
      const out = forward(net, feats.tokens, n, options.impl);
      const uBound = (config.uScale * Math.sqrt(gamma)) / Math.sqrt(n);
      const u = out.uRaw.map((r) => uBound * Math.tanh(r));
      const inGradient = config.directionSpace === 'gradient';
      const d = inGradient ? s.grad.map((g, i) => g + ((config.dScale * gNorm) / Math.sqrt(n)) * out.dRaw[i]!) : s.grad;
      const alpha = config.baseStep * Math.exp(Math.max(-config.alphaRange, Math.min(config.alphaRange, out.alphaRaw)));
      let memory = norm(u) > 0 ? pushRankOne(s.memory, u, config.memory, config.decay) : s.memory;
      // SR1 when the pairs can span the space (then it is exact on quadratics) and it is
      // positive definite (an indefinite SR1 step heads for a saddle); else L-BFGS. A retry
      // after a refused step goes along L-BFGS: SR1's model just mispredicted.
      // Measurements: docs/notebook/optimus-network.md.
      const built = n <= config.pairs && s.backoff === 0 ? buildSr1(s.pairs.slice(-config.pairs), gamma) : null;
      const sr1 = built && sr1IsPositiveDefinite(built, n) ? built : null;
      let secantOf = (v: Float64Array) => applySr1(sr1!, v);
      let secantPart = sr1 ? secantOf(d) : null;
      // A positive definite SR1 always descends; this test only catches a zero or non-finite g.
      if (!secantPart || !(dot(secantPart, d) > 0)) {
        // Per-parameter H₀: parameters may mix units (metres and radians in kinematic windows).
        const newest = s.pairs[s.pairs.length - 1];
        const recent = s.pairs.slice(-Math.min(config.lbfgsPairs, Math.max(n, config.pairs)));
        const v = feats.next.v[feats.next.v.length - 1]!;
        // The blend's per-parameter sums are taken only when a diagonal H₀ will use them.
        const scale = () => (config.diagonalBlend > 0 && n > config.pairs ? blendedSecondMoment(v, recent, config.diagonalBlend) : v);
        const h0 = newest && config.diagonalRange > 1 ? diagonalH0(scale(), newest, config.diagonalRange) : gamma;
        secantOf = (w: Float64Array) => applySecant(recent, h0, w);
        secantPart = secantOf(d);
      }
      // B v = secant estimate + the network's rank-one terms.
      const applyB = (v: Float64Array, secant: Float64Array) => applyPreconditioner(memory, v, secant);
      let p = applyB(d, secantPart);
      const dRms = inGradient ? 0 : norm(out.dRaw) / Math.sqrt(n);
      if (dRms > 0) {
        // The correction δ = c·B d_raw, sized in B's metric: ‖δ‖_B = dScale·min(1, rms(d_raw))·‖g‖_B.
        // On a quadratic with B ≈ A⁻¹ the step's predicted decrease is then ½‖g‖²_B (1 − c'²),
        // whatever the conditioning (added to g before B, the same d_raw cost up to κ(B) times more).
        const Bq = applyB(out.dRaw, secantOf(out.dRaw));
        const qBq = dot(out.dRaw, Bq);
        const gBg = dot(s.grad, p);
        if (qBq > 0 && gBg > 0) {
          const c = config.dScale * Math.min(1, dRms) * Math.sqrt(gBg / qBq);
          p = p.map((v, i) => v + c * Bq[i]!);
        }
      }
      let fallbackSteps = s.fallbackSteps;
      let a = alpha;
      if (!allFinite(p) || !Number.isFinite(a)) {
        fallbackSteps++;
        p = s.grad.map((g) => gamma * g);
        a = config.baseStep;
        memory = s.memory;
        if (!allFinite(p)) p = s.grad.map((g) => g / Math.max(gNorm, 1e-300));
      }
      let shrink = a * 2 ** s.backoff;
      const pNorm = norm(p);
      // The radius follows the last trial step, not the newest kept pair: pairs of negative
      // curvature are dropped, which would freeze the radius while f still falls.
      if (config.trustRatio > 0 && n <= config.pairs && s.lastStepLength > 0) {
        shrink = Math.min(shrink, (config.trustRatio * s.lastStepLength) / pNorm);
      }
      const xTrial = s.x.map((xi, i) => xi - shrink * p[i]!);
      const r = objective.valueAndGrad(xTrial);
      const gTrial = Float64Array.from(r.grad);
      const base = { step: t, gradEvals: s.gradEvals + 1, fallbackSteps, features: feats.next, memory, lastStepLength: shrink * pNorm };
      const finite = Number.isFinite(r.value) && allFinite(gTrial) && allFinite(xTrial);
      const pairs = finite
        ? pushPair(s.pairs, { s: xTrial.map((v, i) => v - s.x[i]!), y: gTrial.map((v, i) => v - s.grad[i]!) }, Math.max(config.pairs, config.lbfgsPairs))
        : s.pairs;
      if (!finite || r.value > s.value) {
        // Halving is capped only when the refused trial's pair entered the model (so the model's
        // next step already differs); a non-finite trial or a dropped pair halves as before.
        const capped = config.maxBackoff > 0 && pairs !== s.pairs;
        const backoff = capped ? Math.min(s.backoff, Math.max(-config.maxBackoff, s.backoff - 1)) : s.backoff - 1;
        return { ...s, ...base, pairs, rejectedSteps: s.rejectedSteps + 1, backoff };
      }
      return { ...s, ...base, pairs, x: xTrial, value: r.value, grad: gTrial, backoff: Math.min(0, s.backoff + 1) };
    },
  };
}
