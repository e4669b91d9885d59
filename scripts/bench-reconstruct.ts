/**
 * `npm run bench:reconstruct [-- --seconds S --clips a,b --optimizer NAME --iterations N --workers W --physics JSON --work DIR --optimizers a,b|none --out FILE --noise-model blazepose|none|FILE --kinematic-only]`:
 * the reconstruction benchmark of src/reconstruct/bench.ts on every CMU clip in
 * ../shared/data/mocap when present (otherwise the project's own demo clip), the first
 * `--seconds` of each (default: whole clips). Prints the README tables and writes JSON. `--work DIR` keeps
 * the per-clip outputs there (a rerun with other physics options reuses the cached kinematic
 * stage); `--optimizers none` skips the optimizer comparison on kinematic windows; `--noise-model none`
 * uses the Gaussian 3 px / 5 % dropout detector instead of BlazePose's measured noise.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeJsonAtomic } from '../src/formats/io.ts';
import { arg, flag, helpIfAsked } from './args.ts';
import { benchReconstruct, RECONSTRUCT_BENCH_DEFAULTS } from '../src/reconstruct/bench.ts';
import { DEMO_DEFAULTS } from '../src/reconstruct/demo.ts';
import { parsePhysicsStageJson } from '../src/reconstruct/physics-options.ts';

helpIfAsked(import.meta.url);

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const mocap = resolve(root, '../shared/data/mocap');
const clips = existsSync(mocap)
  ? readdirSync(mocap).filter((f) => f.endsWith('.bvh')).sort().map((f) => join(mocap, f))
  : [DEMO_DEFAULTS.clip];
const only = arg('clips', '');
const selected = only ? clips.filter((c) => only.split(',').some((s) => c.includes(s))) : clips;
const secondsArg = arg('seconds', '');
const seconds = secondsArg ? Number(secondsArg) : RECONSTRUCT_BENCH_DEFAULTS.seconds;
const started = Date.now();
// Timings move with the machine's load: print it with them.
const loadBefore = loadavg().map((v) => v.toFixed(2)).join(' ');
const result = await benchReconstruct({
  clips: selected,
  workDir: arg('work', '') || mkdtempSync(join(tmpdir(), 'om-bench-')),
  seconds,
  noiseModel: arg('noise-model', RECONSTRUCT_BENCH_DEFAULTS.noiseModel),
  reconstruct: {
    // The physics stage's own iteration default unless --iterations is given.
    optimizer: arg('optimizer', 'optimus'), ...(arg('iterations', '') ? { iterations: Number(arg('iterations', '')) } : {}), workers: Number(arg('workers', String(availableParallelism()))),
    // Physics-stage options as JSON, e.g. the previous defaults for a before/after table.
    physicsStage: parsePhysicsStageJson(arg('physics', '{}')),
    ...(flag('kinematic-only') ? { physics: false } : {}),
  },
  compare: arg('optimizers', '') === 'none' ? undefined : {
    ...RECONSTRUCT_BENCH_DEFAULTS.compare,
    optimizers: arg('optimizers', RECONSTRUCT_BENCH_DEFAULTS.compare.optimizers.join(',')).split(','),
    iterations: Number(arg('compare-iterations', String(RECONSTRUCT_BENCH_DEFAULTS.compare.iterations))),
    windows: Number(arg('windows', String(RECONSTRUCT_BENCH_DEFAULTS.compare.windows))),
  },
  log: (l) => console.log(l),
});
const f = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(1));
const noise = arg('noise-model', RECONSTRUCT_BENCH_DEFAULTS.noiseModel);
console.log(`\n${seconds === undefined ? 'Whole clips' : `First ${seconds} s of each clip`}, 30 fps, ${noise === 'none' ? '3 px noise, 5 % dropout, 3 cm noise on the detector-like 3D landmarks (synth defaults)' : `detector noise model ${noise} (2D and 3D errors of BlazePose measured against a real multi-view capture)`}.`);
console.log('\n| clip | rig | stage | MPJPE mm | PA-MPJPE mm | foot skate % (truth) | penetration mm | float mm | accel err mm/f² | residual % body weight (max) | contact support % | restarts | falls | s compute / s video |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const c of result.clips) {
  const s = c.report.secondsPerVideoSecond;
  const p = c.report.physics;
  // The kinematic fit is not simulated: no residual, contact force, restart or fall to count.
  console.log(`| ${c.clip} | ${c.rigFamily} | kinematic | ${f(c.kinematic.mpjpe)} | ${f(c.kinematic.paMpjpe)} | ${f(c.kinematic.footSkatePct)} (${f(c.kinematic.truthFootSkatePct)}) | ${f(c.kinematic.penetrationMm)} | ${f(c.kinematic.floatMm)} | ${c.kinematic.accelError.toFixed(2)} | — | — | — | — | ${f(s.kinematic)} |`);
  if (c.physics) console.log(`| ${c.clip} | ${c.rigFamily} | physics (${c.report.stages.physics?.optimizer ?? ''}) | ${f(c.physics.mpjpe)} | ${f(c.physics.paMpjpe)} | ${f(c.physics.footSkatePct)} (${f(c.physics.truthFootSkatePct)}) | ${f(c.physics.penetrationMm)} | ${f(c.physics.floatMm)} | ${c.physics.accelError.toFixed(2)} | ${p ? `${f(p.residual.meanPctBodyWeight)} (${f(p.residual.maxPctBodyWeight)})` : '—'} | ${f(p?.contactSupportPct)} | ${p?.restarts ?? '—'} | ${p?.falls ?? '—'} | ${f(s.physics)} |`);
}
// Where the error sits: PA-MPJPE per landmark (left/right averaged), kinematic → physics.
const groups = ['nose', 'shoulder', 'elbow', 'wrist', 'hip', 'knee', 'ankle', 'heel', 'foot_index'];
const byGroup = (rows: { landmark: string; paMpjpe: number }[], g: string) => {
  const m = rows.filter((r) => r.landmark === g || r.landmark === `left_${g}` || r.landmark === `right_${g}`);
  return m.reduce((a, r) => a + r.paMpjpe, 0) / Math.max(1, m.length);
};
console.log(`\nPA-MPJPE per landmark (mm, left/right averaged), kinematic → physics:\n\n| clip | ${groups.join(' | ')} |`);
console.log(`|---|${groups.map(() => '---').join('|')}|`);
for (const c of result.clips) {
  const k = c.perLandmark.kinematic, p = c.perLandmark.physics;
  console.log(`| ${c.clip} | ${groups.map((g) => `${byGroup(k, g).toFixed(0)}${p ? ` → ${byGroup(p, g).toFixed(0)}` : ''}`).join(' | ')} |`);
}
console.log('\n| optimizer | final Σ loss | iterations to Adam\'s final | seconds to Adam\'s final | evaluations |');
console.log('|---|---|---|---|---|');
for (const r of result.optimizers) {
  const name = r.learningRate !== undefined ? `${r.optimizer} (lr ${r.learningRate})` : r.optimizer;
  if (r.error) { console.log(`| ${name} | failed: ${r.error} | — | — | — |`); continue; }
  console.log(`| ${name} | ${r.finalLoss.toExponential(3)} | ${r.itersToAdamFinal ?? 'not reached'} | ${r.msToAdamFinal === null ? '—' : (r.msToAdamFinal / 1000).toFixed(1)} | ${r.evaluations} |`);
}
const out = arg('out', join(tmpdir(), 'bench-reconstruct.json'));
writeJsonAtomic(out, { seconds, clips: result.clips.map(({ report, ...c }) => ({ ...c, secondsPerVideoSecond: report.secondsPerVideoSecond, residualForce: report.residualForce })), optimizers: result.optimizers }, 1);
console.log(`\nbench took ${((Date.now() - started) / 60000).toFixed(1)} min (load average before ${loadBefore}, after ${loadavg().map((v) => v.toFixed(2)).join(' ')}); wrote ${out}`);
