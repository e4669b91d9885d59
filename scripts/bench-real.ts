/**
 * `npm run bench:real [-- --physics --no-true-focal --people man,woman --person-detector both|blazepose|movenet --no-sides --refine-cameras [--bundle-params rotation,principalPoint,position] --no-smooth-truth --model lite|full|heavy --truth-model lite|full|heavy --work DIR --out FILE --write-noise-model FILE --noise-people man,woman --synth-noise-model NAME|FILE --write-placement FILE [--placement-recovery DIR]]`:
 * the real-video benchmark of src/reconstruct/real-bench.ts on ../shared/data/multiview/pose2sim_multiperson.
 * Prints the tables of docs/real-video.md; detections are cached in ~/.cache/optimus-motion/real-bench.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeJsonAtomic } from '../src/formats/io.ts';
import { arg, flag, helpIfAsked } from './args.ts';
import { benchReal, REAL_BENCH_DEFAULTS } from '../src/reconstruct/real-bench.ts';
import { DETECTION_DEFAULTS } from '../src/eval/real-detections.ts';
import type { PersonDetectorChoice } from '../src/ingest/person-detectors.ts';
import type { LandmarkModel } from '../src/ingest/models.ts';
import { realBenchTables } from '../src/reconstruct/real-bench-table.ts';
import { writePlacementRecovery } from '../src/reconstruct/real-bench-placement.ts';

helpIfAsked(import.meta.url);
if (arg('placement-recovery', '')) {
  // Only the recovery of the placement in --write-placement FILE, from a bench:reconstruct work folder (no capture run).
  writePlacementRecovery(arg('write-placement', ''), resolve(arg('placement-recovery', '')), (l) => console.log(l));
  process.exit(0);
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = resolve(root, arg('data', '../shared/data/multiview/pose2sim_multiperson'));
if (!existsSync(dataDir)) {
  console.error(`bench:real: ${dataDir} not found (the multi-view capture is shared data, not part of the repository)`);
  process.exit(1);
}
const started = Date.now();
const loadBefore = loadavg().map((v) => v.toFixed(2)).join(' ');
const reports = await benchReal({
  dataDir,
  workDir: arg('work', '') || mkdtempSync(join(tmpdir(), 'om-bench-real-')),
  people: arg('people', REAL_BENCH_DEFAULTS.people.join(',')).split(','),
  physics: flag('physics'),
  trueFocal: !flag('no-true-focal'),
  refineCameras: flag('refine-cameras'),
  smoothTruth: flag('no-smooth-truth') ? null : undefined,
  bundle: arg('bundle-params', '') ? { params: Object.fromEntries(['rotation', 'principalPoint', 'position'].map((k) => [k, arg('bundle-params', '').split(',').includes(k)])) } : undefined,
  truthDetection: arg('truth-model', '') ? { model: arg('truth-model', '') as LandmarkModel, personDetector: arg('person-detector', DETECTION_DEFAULTS.personDetector) as PersonDetectorChoice, sides: !flag('no-sides') } : undefined,
  writeNoiseModel: arg('write-noise-model', '') || undefined,
  synthNoiseModel: arg('synth-noise-model', '') || undefined,
  writePlacement: arg('write-placement', '') || undefined,
  noisePeople: arg('noise-people', '') ? arg('noise-people', '').split(',') : undefined,
  detection: { model: arg('model', DETECTION_DEFAULTS.model) as LandmarkModel, personDetector: arg('person-detector', DETECTION_DEFAULTS.personDetector) as PersonDetectorChoice, sides: !flag('no-sides') },
  command: `npm run bench:real -- ${process.argv.slice(2).join(' ')}`.trim(),
  log: (l) => console.log(l),
});
console.log('\n' + realBenchTables(reports));
console.log(`\n${((Date.now() - started) / 1000).toFixed(0)} s; load average before ${loadBefore}, after ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
const out = arg('out', '');
if (out) writeJsonAtomic(out, reports, 2);
