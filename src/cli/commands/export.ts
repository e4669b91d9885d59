import type { Command } from 'commander';
import { basename, dirname, extname, join } from 'node:path';
import { UserError } from '../../errors.ts';
import { readMotion } from '../../formats/motion.ts';
import { writeFileAtomic } from '../../formats/io.ts';
import { EXPORT_FORMATS, exportMotion, isExportFormat } from '../../export/index.ts';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('export a motion.json as BVH (cm, y up), GLB (skinned skeleton + animation), CSV (landmarks, metres) or JSON')
    .argument('<motion>', 'motion.json written by reconstruct')
    .requiredOption('-f, --format <format>', `output format: ${Object.keys(EXPORT_FORMATS).join('|')}`)
    .option('-o, --out <file>', 'output file (default: beside the input, e.g. motion.bvh)')
    .option('--quiet', 'print nothing on success')
    .addHelpText('after', '\nBVH: root channels Xposition Yposition Zposition Zrotation Xrotation Yrotation, other joints Zrotation Xrotation Yrotation (degrees), frame time 1/fps.\nCSV header: frame,time,<landmark>_x,_y,_z…,left_foot_contact,right_foot_contact.')
    .action(async (motionPath: string, opts: { format: string; out?: string; quiet?: boolean }) => {
      const format = opts.format.toLowerCase();
      if (!isExportFormat(format)) throw new UserError(`--format must be one of ${Object.keys(EXPORT_FORMATS).join(', ')}, got "${opts.format}"`);
      const motion = readMotion(motionPath);
      const stem = join(dirname(motionPath), basename(motionPath, extname(motionPath)));
      // Never overwrite the input with its own JSON export.
      const out = opts.out ?? stem + (format === 'json' ? '.export' : '') + EXPORT_FORMATS[format].extension;
      writeFileAtomic(out, await exportMotion(motion, format));
      if (!opts.quiet) process.stdout.write(`${out}\n`);
    });
}
