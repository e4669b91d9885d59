import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic, writeJsonAtomic } from '../formats/io.ts';
import { readClipStatus, type ClipStatus } from './clip-status.ts';
import { readManifest, type ManifestClip } from './manifest.ts';
import { readOptional } from './read-optional.ts';

/**
 * OUT/index.json and OUT/index.csv: one row per clip of the batch, rebuilt from the files in
 * OUT (manifest, each clip's status, report.json, metrics.json), so whoever rebuilds it last
 * writes the whole truth.
 */
export const INDEX_FORMAT = 'optimus-motion/batch-index@1';

/** The part of report.json the index reads; each key optional and read on its own (`catch`), others ignored. */
export const reportView = z.object({
  frames: z.number().optional().catch(undefined),
  stages: z.record(z.string(), z.object({ loss: z.number().nullable().optional() }).passthrough()).optional().catch(undefined),
  residualForce: z.object({ meanN: z.number(), meanNm: z.number() }).nullable().optional().catch(undefined),
  physics: z.object({ residual: z.record(z.string(), z.number().nullable()).optional().catch(undefined) }).passthrough().nullable().optional().catch(undefined),
}).passthrough();
type ReportView = z.infer<typeof reportView>;

export interface IndexRow {
  input: string;
  out: string;
  status: 'done' | 'failed' | 'pending';
  frames: number | null;
  computeSeconds: number | null;
  /** Final loss of each stage that ran. */
  losses: Record<string, number | null>;
  /** report.json's physics.residual, or its mean residual force and torque. */
  residual: Record<string, number | null> | null;
  /** metrics.json (written when a truth.json sits beside the input). */
  metrics: Record<string, unknown> | null;
  error: string | null;
}

/** One row from what is known of a clip (pure). A status from another job is stale: pending. */
export function indexRow(clip: ManifestClip, status: ClipStatus | null, report: ReportView | null, metrics: Record<string, unknown> | null): IndexRow {
  const own = status && status.jobId === clip.jobId ? status : null;
  const done = own?.status === 'done';
  const losses: Record<string, number | null> = {};
  for (const [stage, s] of Object.entries((done && report?.stages) || {})) losses[stage] = s.loss ?? null;
  const residual = !done || !report ? null : report.physics?.residual ?? report.residualForce ?? null;
  return {
    input: clip.input,
    out: clip.rel,
    status: own?.status ?? 'pending',
    frames: done ? report?.frames ?? null : null,
    computeSeconds: own?.computeSeconds ?? null,
    losses,
    residual,
    metrics: done ? metrics : null,
    error: own?.error ?? null,
  };
}

export function buildIndex(out: string): IndexRow[] {
  return readManifest(out).map((clip) => {
    const dir = join(out, clip.rel);
    const report = readOptional(join(dir, 'report.json'), reportView);
    const metrics = clip.truth ? readOptional(join(dir, 'metrics.json'), z.record(z.string(), z.unknown())) : null;
    return indexRow(clip, readClipStatus(out, clip.jobId), report, metrics);
  });
}

/** Rebuilds OUT/index.json and OUT/index.csv (each written atomically). */
export function writeIndex(out: string): IndexRow[] {
  const rows = buildIndex(out);
  writeJsonAtomic(join(out, 'index.json'), { format: INDEX_FORMAT, clips: rows }, 2);
  writeFileAtomic(join(out, 'index.csv'), indexCsv(rows));
  return rows;
}

const CSV_COLUMNS: Array<[string, (r: IndexRow) => unknown]> = [
  ['input', (r) => r.input],
  ['out', (r) => r.out],
  ['status', (r) => r.status],
  ['frames', (r) => r.frames],
  ['compute_s', (r) => r.computeSeconds],
  ['kinematic_loss', (r) => r.losses.kinematic],
  ['physics_loss', (r) => r.losses.physics],
  ['residual_mean_n', (r) => r.residual?.meanN],
  ['residual_mean_nm', (r) => r.residual?.meanNm],
  ['residual_mean_pct_body_weight', (r) => r.residual?.meanPctBodyWeight],
  ['mpjpe_mm', (r) => r.metrics?.mpjpe],
  ['pa_mpjpe_mm', (r) => r.metrics?.paMpjpe],
  ['mpjpe_g_mm', (r) => r.metrics?.mpjpeG],
  ['accel_error', (r) => r.metrics?.accelError],
  ['foot_skate_pct', (r) => r.metrics?.footSkatePct],
  ['error', (r) => r.error],
];

export function indexCsv(rows: IndexRow[]): string {
  const lines = [CSV_COLUMNS.map(([h]) => h).join(',')];
  for (const r of rows) lines.push(CSV_COLUMNS.map(([, get]) => csvField(get(r))).join(','));
  return lines.join('\n') + '\n';
}

function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
