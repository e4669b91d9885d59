import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { initBackend } from '../../src/optimus/backend.ts';
import { loadCheckpoint, saveCheckpoint } from '../../src/optimus/checkpoint.ts';
import { FEATURE_DEFAULTS, computeFeatures, featureCount, initFeatureState, normalizeAcrossParameters, perParameterFeatureCount } from '../../src/optimus/features.ts';
import { adafacMlpDef, optimusDef } from '../../src/optimus/learned.ts';
import type { LearnedState } from '../../src/optimus/learned-step.ts';
import { MAX_KEYS, bindNetwork, forward, forwardTfjs, forwardTyped } from '../../src/optimus/network.ts';
import { getObjective, objectiveAt } from '../../src/optimus/objectives/index.ts';
import { optimusConfig, optimusNetworkConfig } from '../../src/optimus/optimus.ts';
import { applyPreconditioner, densePreconditioner, pushRankOne } from '../../src/optimus/preconditioner.ts';
import { Rng } from '../../src/random.ts';

const randomVector = (n: number, seed: number, scale = 1) => {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n }, () => scale * rng.normal());
};

/** Random weights everywhere (the zero-initialised heads would make outputs trivially equal). */
const randomWeights = (count: number, seed: number) => {
  const rng = new Rng(seed);
  return Float32Array.from({ length: count }, () => 0.3 * rng.normal());
};

describe('features', () => {
  it('normalises each column to RMS 1, invariant to its scale', () => {
    const col = randomVector(50, 1, 7);
    const a = normalizeAcrossParameters(col);
    const b = normalizeAcrossParameters(col.map((v) => v * 1e-6));
    let s = 0;
    for (let i = 0; i < 50; i++) {
      s += a[i]! ** 2;
      expect(b[i]).toBeCloseTo(a[i]!, 9);
    }
    expect(s / 50).toBeCloseTo(1, 10);
    expect(Array.from(normalizeAcrossParameters(new Float64Array(4)))).toEqual([0, 0, 0, 0]);
  });

  it('token features do not change when gradients and parameters are scaled together', () => {
    const n = 9;
    const x = randomVector(n, 2);
    const g = randomVector(n, 3);
    const s0 = initFeatureState(n, FEATURE_DEFAULTS);
    const f1 = computeFeatures(FEATURE_DEFAULTS, s0, x, g, 1, 1);
    const f2 = computeFeatures(FEATURE_DEFAULTS, s0, x.map((v) => v * 1000), g.map((v) => v * 1000), 1, 1);
    expect(f1.width).toBe(featureCount(FEATURE_DEFAULTS));
    expect(f1.tokens.length).toBe(n * f1.width);
    const per = perParameterFeatureCount(FEATURE_DEFAULTS);
    for (let i = 0; i < n; i++) {
      for (let f = 0; f < per; f++) {
        // 1/√v is the only feature whose normalised value still depends on scale through ε.
        expect(f2.tokens[i * f1.width + f]).toBeCloseTo(f1.tokens[i * f1.width + f]!, 3);
      }
      expect(f1.adamDirection[i]).toBeCloseTo(Math.sign(g[i]!), 5); // Adam's first step is sign(g)
    }
  });
});

describe('rank-one preconditioner', () => {
  it('B·d from the vector list equals the dense product', () => {
    const n = 6;
    let memory: Float64Array[] = [];
    for (let k = 0; k < 5; k++) memory = pushRankOne(memory, randomVector(n, 10 + k, 0.5), 3, 0.8);
    expect(memory.length).toBe(3);
    const d = randomVector(n, 99);
    const p = applyPreconditioner(memory, d);
    const B = densePreconditioner(memory, n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += B[i * n + j]! * d[j]!;
      expect(p[i]).toBeCloseTo(s, 12);
    }
    // The newest term is kept undecayed, older ones shrink by √decay per push.
    const u = randomVector(n, 14, 0.5);
    expect(memory[2]![0]).toBeCloseTo(u[0]!, 12);
    expect(memory[1]![0]).toBeCloseTo(randomVector(n, 13, 0.5)[0]! * Math.sqrt(0.8), 12);
  });
});

describe('Optimus network', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  const cfg = optimusNetworkConfig(optimusConfig());
  const def = optimusDef();
  const weights = randomWeights(def.weightCount, 5);
  const net = bindNetwork(cfg, weights);

  it('runs on N = 7 and N = 300 with the same weights, and the typed and tfjs passes agree', () => {
    for (const n of [7, 300]) {
      const rng = new Rng(n);
      const tokens = Float32Array.from({ length: n * cfg.inputs }, () => rng.normal());
      const a = forwardTyped(cfg, net.typed, tokens, n);
      const b = forwardTfjs(cfg, net.layout, weights, tokens, n);
      expect(a.uRaw.length).toBe(n);
      expect(b.dRaw.length).toBe(n);
      expect(Number.isFinite(a.alphaRaw)).toBe(true);
      let spread = 0;
      for (let i = 0; i < n; i++) {
        expect(Math.abs(a.uRaw[i]! - b.uRaw[i]!)).toBeLessThan(1e-4 * (1 + Math.abs(a.uRaw[i]!)));
        expect(Math.abs(a.dRaw[i]! - b.dRaw[i]!)).toBeLessThan(1e-4 * (1 + Math.abs(a.dRaw[i]!)));
        spread += Math.abs(a.dRaw[i]! - a.dRaw[0]!);
      }
      expect(spread).toBeGreaterThan(1e-3); // outputs differ per token
      expect(Math.abs(a.alphaRaw - b.alphaRaw)).toBeLessThan(1e-4 * (1 + Math.abs(a.alphaRaw)));
      const c = forward(net, tokens, n, 'auto');
      expect(c.dRaw[0]).toBeCloseTo(a.dRaw[0]!, 3);
    }
  });

  it('beyond MAX_KEYS, pooled-key attention is exact when a group\'s tokens are alike', () => {
    const m = MAX_KEYS;
    const rng = new Rng(3);
    const unique = Float32Array.from({ length: m * cfg.inputs }, () => rng.normal());
    const doubled = new Float32Array(2 * m * cfg.inputs);
    for (let i = 0; i < 2 * m; i++) doubled.set(unique.subarray((i >> 1) * cfg.inputs, ((i >> 1) + 1) * cfg.inputs), i * cfg.inputs);
    const a = forwardTyped(cfg, net.typed, unique, m);
    const b = forwardTyped(cfg, net.typed, doubled, 2 * m);
    for (let i = 0; i < 2 * m; i++) expect(b.dRaw[i]).toBeCloseTo(a.dRaw[i >> 1]!, 8);
    expect(b.alphaRaw).toBeCloseTo(a.alphaRaw, 8);
  });

  it('attention couples the parameters: changing one token changes the others’ outputs', () => {
    const n = 5;
    const rng = new Rng(1);
    const tokens = Float32Array.from({ length: n * cfg.inputs }, () => rng.normal());
    const a = forwardTyped(cfg, net.typed, tokens, n);
    tokens[0] = tokens[0]! + 3;
    const b = forwardTyped(cfg, net.typed, tokens, n);
    expect(Math.abs(a.dRaw[3]! - b.dRaw[3]!)).toBeGreaterThan(1e-6);
  });
});

describe('backend', () => {
  const hasNative = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'].some((p) => {
    try {
      import.meta.resolve(p);
      return true;
    } catch {
      return false;
    }
  });
  it.skipIf(hasNative)('"tensorflow" without tfjs-node says how to install it', async () => {
    await expect(initBackend('tensorflow')).rejects.toThrow(UserError);
    await expect(initBackend('tensorflow')).rejects.toThrow(/npm install @tensorflow\/tfjs-node/);
  });
  it('refuses unknown backend names', async () => {
    await expect(initBackend('webgl' as 'wasm')).rejects.toThrow(/unknown backend "webgl"/);
  });
});

describe('learned optimizers', () => {
  const sphere = (n: number) => ({
    name: 'sphere',
    dim: n,
    minimum: 0,
    valueAndGrad: (x: Float64Array) => {
      let value = 0;
      const grad = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        value += (i + 1) * x[i]! * x[i]!;
        grad[i] = 2 * (i + 1) * x[i]!;
      }
      return { value, grad };
    },
  });

  for (const def of [optimusDef(), adafacMlpDef()]) {
    it(`${def.kind}: the untrained network already optimizes (Adam-like start) and state holds no weights`, () => {
      const opt = def.create(def.initWeights(0));
      const obj = sphere(10);
      let state = opt.init(obj, Float64Array.from({ length: 10 }, (_, i) => (i % 3) - 1 + 0.5)) as LearnedState;
      const f0 = state.value;
      for (let k = 0; k < 150; k++) state = opt.step(obj, state) as LearnedState;
      expect(state.value).toBeLessThan(f0 * 1e-2);
      expect(state.gradEvals).toBe(151);
      expect(state.fallbackSteps).toBe(0);
      for (const v of Object.values(state)) expect(v instanceof Float32Array).toBe(false);
    });

    it(`${def.kind}: a non-finite network step falls back to a safe step and records it`, () => {
      const w = def.initWeights(0);
      w.fill(NaN, w.length - 3); // poison the output layer
      const opt = def.create(w);
      const obj = objectiveAt(getObjective('rosenbrock'), 4);
      let state = opt.init(obj, getObjective('rosenbrock').init(4, 0)) as LearnedState;
      for (let k = 0; k < 5; k++) state = opt.step(obj, state) as LearnedState;
      expect(state.fallbackSteps).toBe(5);
      expect(state.x.every(Number.isFinite)).toBe(true);
    });
  }

  it('step never mutates the state it is given (a meta-trainer may reuse it)', () => {
    const def = optimusDef();
    const opt = def.create(randomWeights(def.weightCount, 2).map((v) => v * 0.1));
    const obj = sphere(6);
    const s0 = opt.init(obj, randomVector(6, 1)) as LearnedState;
    const s1 = opt.step(obj, s0) as LearnedState;
    const copy = JSON.stringify(Array.from(s0.x));
    opt.step(obj, s0);
    expect(JSON.stringify(Array.from(s0.x))).toBe(copy);
    const s1b = opt.step(obj, s0) as LearnedState;
    expect(Array.from(s1b.x)).toEqual(Array.from(s1.x));
    expect(s1.memory.length).toBe(1);
  });
});

describe('checkpoints', () => {
  const dir = mkdtempSync(join(tmpdir(), 'optimus-ckpt-'));

  it('round-trips weights, architecture, training config and provenance', () => {
    for (const def of [optimusDef({ memory: 4 }), adafacMlpDef()]) {
      const weights = randomWeights(def.weightCount, 3);
      const path = join(dir, `${def.kind}.json`);
      saveCheckpoint(path, def, weights, { family: 'builtin-mix', pes: { sigma: 0.01 } }, { seed: 7, trainedOn: 'test', durationMs: 12 });
      const loaded = loadCheckpoint(path, def.kind as 'optimus');
      expect(loaded.def.kind).toBe(def.kind);
      expect(loaded.def.weightCount).toBe(def.weightCount);
      expect(loaded.def.config).toEqual(def.config);
      expect(Array.from(loaded.weights)).toEqual(Array.from(weights));
      expect(loaded.checkpoint.provenance.seed).toBe(7);
      expect(loaded.checkpoint.training).toEqual({ family: 'builtin-mix', pes: { sigma: 0.01 } });
    }
  });

  it('a checkpoint written before lbfgsPairs existed keeps its prior (L-BFGS from its `pairs`, the 1/√v diagonal, no trust radius, unbounded halving, a first step of α in norm)', () => {
    const def = optimusDef({ pairs: 7 });
    const path = join(dir, 'old-prior.json');
    saveCheckpoint(path, def, def.initWeights(1), {}, {});
    const obj = JSON.parse(readFileSync(path, 'utf8'));
    delete obj.config.lbfgsPairs;
    delete obj.config.diagonalBlend;
    delete obj.config.trustRatio;
    delete obj.config.maxBackoff;
    delete obj.config.firstStep;
    writeFileSync(path, JSON.stringify(obj));
    const config = loadCheckpoint(path, 'optimus').def.config as { lbfgsPairs: number; diagonalBlend: number; trustRatio: number; maxBackoff: number; firstStep: string };
    expect(config.lbfgsPairs).toBe(7);
    expect(config.diagonalBlend).toBe(0);
    expect(config.trustRatio).toBe(0);
    expect(config.maxBackoff).toBe(0);
    expect(config.firstStep).toBe('norm');
  });

  it('refuses missing, truncated, incompatible and wrong-kind files with one line', () => {
    const def = optimusDef();
    const path = join(dir, 'good.json');
    saveCheckpoint(path, def, def.initWeights(1), {}, {});
    const text = readFileSync(path, 'utf8');
    const truncated = join(dir, 'truncated.json');
    writeFileSync(truncated, text.slice(0, Math.floor(text.length / 2)));
    const shortWeights = join(dir, 'short.json');
    const obj = JSON.parse(text);
    writeFileSync(shortWeights, JSON.stringify({ ...obj, weights: obj.weights.slice(0, 10) }));
    const otherArch = join(dir, 'arch.json');
    writeFileSync(otherArch, JSON.stringify({ ...obj, config: { ...obj.config, network: { ...obj.config.network, width: 64 } } }));
    const cases: [string, RegExp, 'optimus' | 'adafac-mlp' | undefined][] = [
      [join(dir, 'absent.json'), /not found/, undefined],
      [truncated, /truncated or corrupt/, undefined],
      [shortWeights, /truncated checkpoint \(10 of/, undefined],
      [otherArch, /incompatible architecture/, undefined],
      [path, /is for "optimus", not "adafac-mlp"/, 'adafac-mlp'],
    ];
    for (const [p, message, kind] of cases) {
      expect(() => loadCheckpoint(p, kind)).toThrow(UserError);
      expect(() => loadCheckpoint(p, kind)).toThrow(message);
    }
  });
});
