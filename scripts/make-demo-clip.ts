// Writes data/demo-squat.bvh, the project's own sample motion (src/eval/procedural.ts).
// Usage: npx tsx scripts/make-demo-clip.ts [OUT.bvh]
import { resolve } from 'node:path';
import { writeFileAtomic } from '../src/formats/io.ts';
import { proceduralBvh } from '../src/eval/procedural.ts';

const out = resolve(process.argv[2] ?? new URL('../data/demo-squat.bvh', import.meta.url).pathname);
const text = proceduralBvh();
writeFileAtomic(out, text);
console.log(`wrote ${out} (${text.length} bytes)`);
