/**
 * npm run bench:ingest [-- VIDEO [--models lite,full,heavy] [--loops N] [--json FILE]]
 * Speed (median ms/frame, end to end) per BlazePose model, accuracy against the golden
 * files beside the video when present, and memory over a looped run. Logic: src/ingest/bench.ts.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeJsonAtomic } from '../src/formats/io.ts';
import { benchIngest, goldenBeside } from '../src/ingest/bench.ts';
import type { LandmarkModel } from '../src/ingest/models.ts';
import { helpIfAsked } from './args.ts';

helpIfAsked(import.meta.url);

const args = process.argv.slice(2);
const flag = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args.splice(i, 2)[1] : undefined; };
const models = flag('--models')?.split(',') as LandmarkModel[] | undefined;
const loops = flag('--loops');
const json = flag('--json');
const video = args[0] ?? resolve(import.meta.dirname, '../../shared/data/video/pose_squats.mp4');
if (!existsSync(video)) {
  console.error(`bench:ingest: ${video} not found; pass a video of a person: npm run bench:ingest -- VIDEO`);
  process.exit(args[0] ? 2 : 0);
}
const result = await benchIngest({ video, models, loops: loops ? Number(loops) : undefined, ...goldenBeside(video), log: (l) => console.log(l) });
if (json) writeJsonAtomic(json, result, 2);
else console.log(JSON.stringify(result, null, 2));
