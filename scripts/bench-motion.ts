/**
 * `npm run bench:motion [-- --kinematic-windows N --kinematic-evals N --physics-variants 16,17 --physics-windows N
 *   --physics-evals N --no-physics-windows --no-stages --stage-seconds S --stage-variant V --stage-iterations N (default: the physics stage's) --work DIR
 *   --contenders optimus-bench,adam,… --print-only --quick]`:
 * Optimus-motion (models/optimus-motion.json: optimus-bench's weights with the motion prior, firstStep 'rms'), Optimus-bench, Adam (learning rate tuned on training-clip
 * windows), L-BFGS and the adafac MLP (function-trained, and adafac-mlp-motion: meta-trained on the kinematic windows
 * optimus-motion.json was) on reconstruction windows of the EVALUATION clips
 * (src/reconstruct/window-tasks.ts: CMU subjects 7 and 22, never trained on), kinematic and physics
 * windows apart: Σ window loss after 5 / 10 / 25 / 50 / 100 gradient evaluations, evaluations, iterations,
 * rollouts and wall time to reach Adam's final loss; then both stages on one evaluation slice with each
 * optimizer, scored against the truth (MPJPE, PA-MPJPE, foot skating, residual, falls).
 * Writes data/bench/motion.{md,json}, data/bench/motion-kinematic.svg, motion-physics.svg and the
 * bench:motion section of docs/optimus.md (`--print-only`: prints, writes nothing). The default run (six
 * physics windows × 100 evaluations × 5 optimizers: 3 000 evaluations of 41 rollouts) takes ~35 min on
 * 2 idle cores, over an hour at load 6–9; `--quick` is a smoke run of a minute. Needs ../shared/data/mocap.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic, writeJsonAtomic } from '../src/formats/io.ts';
import { benchMotion, MOTION_BENCH_DEFAULTS } from '../src/reconstruct/window-tasks-bench.ts';
import { motionMarkdown, motionSvg, spliceSection } from '../src/reconstruct/window-tasks-report.ts';
import { MOCAP_DIR } from '../src/reconstruct/window-tasks.ts';
import { arg, flag, helpIfAsked } from './args.ts';

helpIfAsked(import.meta.url);

if (!existsSync(MOCAP_DIR)) {
  console.error(`${MOCAP_DIR}: not found (bench:motion synthesizes its windows from the shared mocap clips)`);
  process.exit(1);
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const d = MOTION_BENCH_DEFAULTS;
const quick = flag('quick');
const num = (name: string, fallback: number) => Number(arg(name, String(fallback)));
const list = (name: string, fallback: number[]) => arg(name, fallback.join(',')).split(',').map(Number);
const physics = flag('no-physics-windows') ? null : {
  ...d.physics!,
  variants: list('physics-variants', d.physics!.variants),
  windowsPerSlice: num('physics-windows', d.physics!.windowsPerSlice),
  budget: num('physics-evals', quick ? 10 : d.physics!.budget),
  tuneBudget: quick ? 5 : d.physics!.tuneBudget,
};
const stage = flag('no-stages') ? null : { ...d.stage!, variant: num('stage-variant', d.stage!.variant), seconds: num('stage-seconds', quick ? 0.7 : d.stage!.seconds), physicsIterations: num('stage-iterations', quick ? 2 : d.stage!.physicsIterations) };
const command = `npm run bench:motion${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const started = Date.now();
const result = await benchMotion({
  contenders: d.contenders.map((c) => ({ ...c, ...(c.checkpoint ? { checkpoint: resolve(root, c.checkpoint) } : {}) }))
    .filter((c) => !c.checkpoint || existsSync(c.checkpoint) || (console.log(`skipping ${c.label}: ${c.checkpoint} not found`), false))
    .filter((c) => !arg('contenders', '') || arg('contenders', '').split(',').includes(c.label)),
  workDir: arg('work', '') || mkdtempSync(join(tmpdir(), 'om-motion-')),
  kinematic: { ...d.kinematic, windowsPerClip: num('kinematic-windows', quick ? 1 : d.kinematic.windowsPerClip), budget: num('kinematic-evals', quick ? 25 : d.kinematic.budget), tuneWindows: quick ? 1 : d.kinematic.tuneWindows },
  physics,
  stage,
  log: (line) => console.log(`[bench:motion ${new Date().toISOString().slice(11, 19)}] ${line}`),
});
const markdown = motionMarkdown(result, command) + `\nWall time ${((Date.now() - started) / 60000).toFixed(1)} min.\n`;
console.log(markdown);
if (!quick && !flag('print-only')) {
  writeJsonAtomic(join(root, 'data/bench/motion.json'), result, 1);
  writeFileAtomic(join(root, 'data/bench/motion.md'), markdown);
  writeFileAtomic(join(root, 'data/bench/motion-kinematic.svg'), motionSvg(result.kinematic));
  if (result.physics) writeFileAtomic(join(root, 'data/bench/motion-physics.svg'), motionSvg(result.physics));
  spliceSection(join(root, 'docs/optimus.md'), markdown);
}
