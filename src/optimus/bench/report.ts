import type { BenchFile } from '../../formats/bench.ts';
import { SIGNIFICANCE_SE, groupBy, headToHead, median, referenceValues, seedGaps } from './summary.ts';

/**
 * Human-readable views of a bench result: a Markdown table (median log10 gap and
 * success rate per objective × dimension × optimizer, best in bold) and an SVG of the
 * loss curves (median over seeds, log scale), written by hand with no dependencies.
 */

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(1) : '—';
}

/** f* of each `objective|dim` recorded in the file's config (DESIGN §4.2 `minima`), when known. */
function minimumOf(file: BenchFile): (objective: string, dim: number) => number | undefined {
  const minima = (file.config as BenchFile['config'] & { minima?: Record<string, number | null> }).minima ?? {};
  return (objective, dim) => minima[`${objective}|${dim}`] ?? undefined;
}

export function benchMarkdown(file: BenchFile): string {
  const cfg = file.config as BenchFile['config'] & {
    tuning?: { seeds: number[]; learningRates: Record<string, Record<string, number>> } | null;
    learned?: Record<string, { trained: boolean; checkpoint: string | null }>;
    evaluationSeeds?: number[];
  };
  const opts = cfg.optimizers;
  const lines: string[] = [];
  const seedList = cfg.evaluationSeeds ?? [];
  // The study's seeds are 0 … n−1; a held-out seed set says which seeds it ran.
  const seedRange = seedList.length && seedList[0] !== 0 ? ` (seeds ${seedList[0]}–${seedList[seedList.length - 1]})` : '';
  lines.push(`Budget: ${cfg.steps} gradient evaluations per run (line-search evaluations count), ${cfg.seeds} seed(s) per cell${seedRange}.`);
  lines.push('Cells: median over seeds of log10(best f − f*) (lower is better; −12 is the floor), and the share of seeds within 1e-4 of f*.');
  if (cfg.tuning) {
    const rates = Object.entries(cfg.tuning.learningRates)
      .map(([obj, r]) => `${obj}: ${Object.entries(r).map(([o, lr]) => `${o} ${lr}`).join(', ')}`)
      .join('; ');
    lines.push(`Learning rates of ${Object.keys(Object.values(cfg.tuning.learningRates)[0] ?? {}).join('/') || 'first-order baselines'} tuned per objective on seeds ${cfg.tuning.seeds.join(', ')} (disjoint from the evaluation seeds): ${rates}.`);
  }
  for (const [name, l] of Object.entries(cfg.learned ?? {})) {
    lines.push(l.trained ? `${name}: checkpoint ${l.checkpoint} (its provenance says how it was trained and selected).` : `${name}: **untrained** (randomly initialised network; no checkpoint found), so it behaves like its hand-designed starting step.`);
  }
  lines.push('');
  lines.push(`| objective | dim | ${opts.join(' | ')} |`);
  lines.push(`|---|---:|${opts.map(() => '---:').join('|')}|`);
  const byCell = groupBy(file.summary, (s) => `${s.objective}|${s.dim}`);
  for (const rows of byCell.values()) {
    const best = Math.min(...rows.map((r) => r.medianLog10Gap));
    const cells = opts.map((o) => {
      const r = rows.find((x) => x.optimizer === o);
      if (!r) return '';
      const text = `${fmt(r.medianLog10Gap)} (${Math.round(100 * r.successRate)}%)`;
      return r.medianLog10Gap <= best + 1e-9 ? `**${text}**` : text;
    });
    lines.push(`| ${rows[0]!.objective} | ${rows[0]!.dim} | ${cells.join(' | ')} |`);
  }
  // The first optimizer listed against each of the others, by mean log10 gap per cell.
  const focus = opts[0];
  const h2h = focus ? headToHead(file.summary, focus, undefined, seedGaps(file.runs, minimumOf(file))).filter((h) => h.cells > 0) : [];
  if (h2h.length) {
    const tol = h2h[0]!.tolerance;
    lines.push('');
    lines.push(
      `${focus} against each optimizer: (objective, dim) cells where ${focus}'s *mean* log10 gap over the seeds is lower / equal / higher; ` +
        `then the same with differences below ${tol} (log10 units, i.e. the same local minimum up to rounding) counted as ties; ` +
        `then the cells where the paired per-seed difference is below / above zero by more than ${SIGNIFICANCE_SE} standard errors (the others are within seed noise).`,
    );
    lines.push('');
    lines.push(`| against | cells | ${focus} lower | equal | ${focus} higher | lower beyond ${tol} | higher beyond ${tol} | lower by > ${SIGNIFICANCE_SE} SE | higher by > ${SIGNIFICANCE_SE} SE |`);
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const h of h2h) {
      lines.push(`| ${h.against} | ${h.cells} | ${h.lower} | ${h.equal} | ${h.higher} | ${h.lowerBeyondTolerance} | ${h.higherBeyondTolerance} | ${h.significantlyLower} | ${h.significantlyHigher} |`);
    }
  }
  return lines.join('\n') + '\n';
}

const PALETTE: Record<string, string> = {
  optimus: '#d62728',
  'adafac-mlp': '#ff7f0e',
  adam: '#1f77b4',
  sgd: '#7f7f7f',
  momentum: '#9467bd',
  bfgs: '#2ca02c',
  lbfgs: '#17becf',
};
const EXTRA = ['#8c564b', '#e377c2', '#bcbd22', '#393b79'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Median-over-seeds log10 gap curves, one panel per objective × dimension. */
export function benchSvg(file: BenchFile): string {
  const opts = file.config.optimizers;
  const color = (o: string, i: number) => PALETTE[o] ?? EXTRA[i % EXTRA.length]!;
  // Gap reference as in the summary: f* when known (config.minima), else the lowest value reached.
  const reference = referenceValues(file.runs, minimumOf(file));
  const panels = [...groupBy(file.runs, (r) => `${r.objective}|${r.dim}`).entries()];
  const cols = Math.min(3, panels.length);
  const rows = Math.ceil(panels.length / cols);
  const pw = 320;
  const ph = 220;
  const margin = { l: 48, r: 12, t: 30, b: 34 };
  const legendH = 34;
  const W = cols * pw;
  const H = legendH + rows * ph + 10;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  // Legend.
  let lx = 10;
  opts.forEach((o, i) => {
    out.push(`<line x1="${lx}" y1="18" x2="${lx + 22}" y2="18" stroke="${color(o, i)}" stroke-width="3"/>`);
    out.push(`<text x="${lx + 27}" y="22" font-size="12">${esc(o)}</text>`);
    lx += 40 + 7.5 * o.length;
  });
  out.push(`<text x="${W - 10}" y="22" text-anchor="end" fill="#555">log10(best f − f*) vs gradient evaluations, median over ${file.config.seeds} seed(s)</text>`);

  panels.forEach(([key, runs], p) => {
    const [objective, dim] = key.split('|');
    const ox = (p % cols) * pw;
    const oy = legendH + Math.floor(p / cols) * ph;
    const x0 = ox + margin.l;
    const y0 = oy + margin.t;
    const w = pw - margin.l - margin.r;
    const h = ph - margin.t - margin.b;
    const steps = file.config.steps;
    const curves = opts.map((o) => {
      const rs = runs.filter((r) => r.optimizer === o);
      if (rs.length === 0) return null;
      const pts: number[] = [];
      for (let i = 0; i < steps; i++) {
        const vals = rs.map((r) => {
          const ref = reference.get(`${r.objective}|${r.dim}|${r.seed}`)!;
          const v = r.curve[Math.min(i, r.curve.length - 1)];
          return v === null || v === undefined ? 12 : Math.log10(Math.max(0, v - ref) + 1e-12);
        });
        pts.push(median(vals));
      }
      return pts;
    });
    const all = curves.flatMap((c) => c ?? []).filter(Number.isFinite);
    let yMin = Math.floor(Math.min(...all));
    let yMax = Math.ceil(Math.max(...all));
    if (!(yMax > yMin)) {
      yMin -= 1;
      yMax += 1;
    }
    const sx = (i: number) => x0 + (w * i) / Math.max(1, steps - 1);
    const sy = (v: number) => y0 + (h * (yMax - Math.min(yMax, Math.max(yMin, v)))) / (yMax - yMin);
    out.push(`<text x="${ox + pw / 2}" y="${oy + 18}" text-anchor="middle" font-size="13" font-weight="bold">${esc(objective!)}, N = ${dim}</text>`);
    out.push(`<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="#fafafa" stroke="#bbb"/>`);
    const tickStep = Math.max(1, Math.ceil((yMax - yMin) / 6));
    for (let t = yMin; t <= yMax; t += tickStep) {
      out.push(`<line x1="${x0}" y1="${sy(t).toFixed(1)}" x2="${x0 + w}" y2="${sy(t).toFixed(1)}" stroke="#e3e3e3"/>`);
      out.push(`<text x="${x0 - 5}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">1e${t}</text>`);
    }
    for (const f of [0, 0.5, 1]) {
      const i = Math.round(f * (steps - 1));
      out.push(`<text x="${sx(i).toFixed(1)}" y="${y0 + h + 14}" text-anchor="middle">${i + 1}</text>`);
    }
    out.push(`<text x="${x0 + w / 2}" y="${y0 + h + 28}" text-anchor="middle" fill="#555">gradient evaluations</text>`);
    curves.forEach((c, i) => {
      if (!c) return;
      const d = c.map((v, k) => `${k === 0 ? 'M' : 'L'}${sx(k).toFixed(1)},${sy(v).toFixed(1)}`).join('');
      out.push(`<path d="${d}" fill="none" stroke="${color(opts[i]!, i)}" stroke-width="${opts[i] === 'optimus' ? 2.4 : 1.6}" stroke-linejoin="round"/>`);
    });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
