/**
 * `npm run bench:reconstruct [-- --seconds S --iterations N --out FILE]`: the reconstruction
 * benchmark of src/reconstruct/bench.ts on the CMU clips in ../shared/data/mocap when present
 * (otherwise the project's own demo clip). Prints a table and writes JSON.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeJsonAtomic } from '../src/formats/io.ts';
import { benchReconstruct } from '../src/reconstruct/bench.ts';
import { DEMO_DEFAULTS } from '../src/reconstruct/demo.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const mocap = resolve(root, '../shared/data/mocap');
const clips = existsSync(mocap)
  ? readdirSync(mocap).filter((f) => f.endsWith('.bvh')).map((f) => join(mocap, f))
  : [DEMO_DEFAULTS.clip];
const only = arg('clips', '');
const selected = only ? clips.filter((c) => only.split(',').some((s) => c.includes(s))) : clips;
const result = await benchReconstruct({
  clips: selected,
  workDir: mkdtempSync(join(tmpdir(), 'om-bench-')),
  seconds: Number(arg('seconds', '4')),
  reconstruct: { optimizer: arg('optimizer', 'optimus'), iterations: Number(arg('iterations', '4')) },
  compare: { optimizers: arg('optimizers', 'optimus,adam,lbfgs').split(','), iterations: Number(arg('compare-iterations', '60')), windows: Number(arg('windows', '4')) },
  log: (l) => console.log(l),
});
const f = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(1));
console.log('\n| clip | stage | MPJPE mm | PA-MPJPE mm | foot skate % | penetration mm | accel err mm/f² | s compute / s video |');
console.log('|---|---|---|---|---|---|---|---|');
for (const c of result.clips) {
  const s = c.report.secondsPerVideoSecond;
  console.log(`| ${c.clip} | kinematic | ${f(c.kinematic.mpjpe)} | ${f(c.kinematic.paMpjpe)} | ${f(c.kinematic.footSkatePct)} | ${f(c.kinematic.penetrationMm)} | ${c.kinematic.accelError.toFixed(2)} | ${f(s.kinematic)} |`);
  if (c.physics) console.log(`| ${c.clip} | physics | ${f(c.physics.mpjpe)} | ${f(c.physics.paMpjpe)} | ${f(c.physics.footSkatePct)} | ${f(c.physics.penetrationMm)} | ${c.physics.accelError.toFixed(2)} | ${f(s.physics)} |`);
}
console.log('\n| optimizer | final Σ loss | iterations to Adam\'s final | seconds to Adam\'s final | evaluations |');
console.log('|---|---|---|---|---|');
for (const r of result.optimizers) {
  console.log(`| ${r.optimizer} | ${r.finalLoss.toExponential(3)} | ${r.itersToAdamFinal ?? 'not reached'} | ${r.msToAdamFinal === null ? '—' : (r.msToAdamFinal / 1000).toFixed(1)} | ${r.evaluations} |`);
}
const out = arg('out', join(tmpdir(), 'bench-reconstruct.json'));
writeJsonAtomic(out, { clips: result.clips.map(({ report, ...c }) => ({ ...c, secondsPerVideoSecond: report.secondsPerVideoSecond })), optimizers: result.optimizers }, 1);
console.log(`\nwrote ${out}`);
