/**
 * bench:motion's outputs: the markdown tables (also spliced into docs/optimus.md between its
 * bench:motion markers) and one SVG of the Σ-loss curves per kind of window (the study's plot).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { BenchFile } from '../formats/bench.ts';
import { writeFileAtomic } from '../formats/io.ts';
import { benchSvg } from '../optimus/bench/report.ts';
import { REPORT_POINTS, type MotionBench, type WindowsBench } from './window-tasks-bench.ts';

const fmt = (v: number | null | undefined, digits = 4) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toPrecision(digits));

function windowsTable(b: WindowsBench): string[] {
  const points = REPORT_POINTS.filter((p) => p <= b.budget);
  if (!points.includes(b.budget)) points.push(b.budget);
  const physics = b.rolloutsPerEvaluation !== null;
  const lines = [
    physics
      ? `**Physics windows**: ${b.windows} window(s) of the evaluation clips, ${b.dim} controls each, central finite differences (${b.rolloutsPerEvaluation} rollouts per evaluation), ${b.budget} evaluations each.`
      : `**Kinematic windows**: ${b.windows} windows of the evaluation clips, ${b.dim} parameters each, exact gradients, ${b.budget} evaluations each.`,
    '',
    `| optimizer | ${points.map((p) => `Σ loss @${p}`).join(' | ')} | windows ≤ Adam @${b.budget} | evaluations to Adam's @${b.budget} | iterations | ${physics ? 'rollouts | ' : ''}wall s | own ms / iteration (an evaluation: ms) |`,
    `|---|${points.map(() => '---:').join('|')}|---:|---:|---:|${physics ? '---:|' : ''}---:|---:|`,
  ];
  for (const r of b.rows) {
    const to = r.toAdam;
    const label = r.learningRate ? `${r.label} (lr ${r.learningRate})` : r.label;
    const reach = to ? [String(to.evaluations), to.steps.toFixed(1), ...(physics ? [String(to.rollouts)] : []), (to.ms / 1000).toFixed(1)] : ['never', '–', ...(physics ? ['–'] : []), '–'];
    const below = r.windowsAtOrBelowAdam === null || r.windowsAtOrBelowAdam === undefined ? '–' : `${r.windowsAtOrBelowAdam} of ${b.windows}`;
    lines.push(`| ${label} | ${points.map((p) => fmt(r.curve[p - 1])).join(' | ')} | ${below} | ${reach.join(' | ')} | ${r.ownMsPerIteration.toFixed(2)} (${r.msPerEvaluation.toFixed(1)}) |`);
  }
  return lines;
}

/** The markdown section bench:motion writes. */
export function motionMarkdown(b: MotionBench, command: string): string {
  const lines = [`\`${command}\` (load average ${b.load.map((l) => l.toFixed(2)).join(', ')} when it finished). Σ loss: sum over windows of each window's best loss after that many gradient evaluations (one per iteration, except L-BFGS's line searches; "iterations" is the mean per window).`, ''];
  lines.push(...windowsTable(b.kinematic), '');
  if (b.physics) lines.push(...windowsTable(b.physics), '');
  if (b.stages.length) {
    lines.push(`**Stages** on one evaluation slice with each optimizer driving both stages (kinematic: its default iterations; physics: the sampling search plus ${b.stageIterations ?? '?'} guarded optimizer iterations per window):`, '');
    lines.push('| optimizer | kinematic MPJPE | PA-MPJPE | physics MPJPE | PA-MPJPE | foot skate % | residual % body weight | falls | physics s |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const label of [...new Set(b.stages.map((s) => s.label))]) {
      const k = b.stages.find((s) => s.label === label && s.stage === 'kinematic');
      const p = b.stages.find((s) => s.label === label && s.stage === 'physics');
      lines.push(`| ${label} | ${fmt(k?.mpjpe, 3)} | ${fmt(k?.paMpjpe, 3)} | ${fmt(p?.mpjpe, 3)} | ${fmt(p?.paMpjpe, 3)} | ${fmt(p?.footSkatePct, 2)} | ${fmt(p?.residualPctBodyWeight, 2)} | ${p?.falls ?? '–'} | ${p ? (p.ms / 1000).toFixed(0) : '–'} |`);
    }
  }
  return lines.join('\n') + '\n';
}

/** The Σ-loss curves of one kind of window as the study's plot (log10 of the sum; its minimum 0). */
export function motionSvg(b: WindowsBench): string {
  const objective = `${b.kind} windows (Σ of ${b.windows})`;
  const file = {
    config: { steps: b.budget, seeds: 1, dims: [b.dim], optimizers: b.rows.map((r) => r.label), minima: { [`${objective}|${b.dim}`]: 0 } },
    runs: b.rows.map((r) => ({ objective, dim: b.dim, optimizer: r.label, seed: 0, finalValue: r.curve.at(-1)!, bestValue: r.curve.at(-1)!, gradEvals: b.budget, wallMs: r.cumMs.at(-1)!, curve: r.curve })),
    summary: [],
  } as BenchFile;
  return benchSvg(file);
}

const BEGIN = '<!-- bench:motion begin (npm run bench:motion rewrites this section) -->';
const END = '<!-- bench:motion end -->';

/** Replaces the bench:motion section of a markdown page (appended under a heading the first time). */
export function spliceSection(path: string, markdown: string): void {
  const page = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const block = `${BEGIN}\n${markdown}${END}`;
  const a = page.indexOf(BEGIN);
  const b = page.indexOf(END);
  const next = a >= 0 && b > a ? page.slice(0, a) + block + page.slice(b + END.length) : `${page.trimEnd()}\n\n## Optimus trained for motion (bench:motion)\n\n${block}\n`;
  writeFileAtomic(path, next);
}
