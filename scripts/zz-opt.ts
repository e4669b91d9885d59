import { createOptimizer } from '../src/reconstruct/optimizers.ts';
const dim = 20;
const target = Float64Array.from({ length: dim }, (_, i) => 0.1 * Math.sin(i));
const obj = { name: 'q', dim, valueAndGrad: (x: Float64Array) => { let v = 0; const g = new Float64Array(dim); for (let i = 0; i < dim; i++) { const d = x[i]! - target[i]!; v += d * d / 3.79e-3; g[i] = 2 * d / 3.79e-3; } return { value: v, grad: g }; } };
for (const name of ['optimus', 'adafac-mlp', 'adam']) {
  const opt = createOptimizer(name, { seed: 1, dim, learningRate: 0.03 });
  let s = opt.init(obj, new Float64Array(dim));
  const vals: string[] = [];
  for (let i = 0; i < 5; i++) { s = opt.step(obj, s); vals.push(obj.valueAndGrad(s.x).value.toExponential(2) + '|' + Math.max(...s.x.map(Math.abs)).toFixed(3)); }
  console.log(name, obj.valueAndGrad(new Float64Array(dim)).value.toExponential(2), vals.join(' '));
}
