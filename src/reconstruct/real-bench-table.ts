import type { PersonReport, ViewRun } from './real-bench.ts';

/** The markdown tables of docs/real-video.md, from bench:real's reports. */
export function realBenchTables(reports: PersonReport[]): string {
  const out: string[] = [];
  for (const r of reports) {
    out.push(`### ${r.name}: monocular, each view against the multi-view triangulation (${r.frames} frames, ${r.fps} fps)`, '');
    out.push('| view | BlazePose 3D PA-MPJPE | root-rel. after 1 rotation | kinematic PA-MPJPE | root-rel. after 1 rotation | WA-MPJPE | subject size: body / WA | lowest foot in stance | with true focal: PA / WA / body size | focal used / true |');
    out.push('|---|---|---|---|---|---|---|---|---|---|');
    for (const q of r.views) {
      const v = r.runs.find((x) => x.view === q.view);
      out.push(v ? row(v) : `| ${q.view} | not scored: the detector found this person in ${q.sighted ?? q.matched} of ${r.frames} frames |||||||||`);
    }
    if (r.runs.some((v) => v.physics || v.physicsError)) {
      out.push('', '| view | physics PA-MPJPE | root-rel. after 1 rotation | WA-MPJPE | subject size: body / WA | lowest foot in stance |', '|---|---|---|---|---|---|');
      for (const v of r.runs) {
        if (v.physics) out.push(`| ${v.view} | ${mm(v.physics.paMpjpe)} | ${mm(v.physics.rootRotMpjpe)} | ${mm(v.physics.waMpjpe)} | ${size(v.physics.poseScale)} / ${size(v.physics.waScale)} | ${mm(v.physics.footMm)} |`);
        else if (v.physicsError) out.push(`| ${v.view} | failed: ${v.physicsError.replace(/\|/g, '/')} |||||`);
      }
    }
    const synth = r.runs.filter((v) => v.synthetic);
    if (synth.length) {
      const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
      out.push('', '| view | kinematic PA-MPJPE: real detections | the noise model on the same motion | BlazePose 3D: real | noise model |', '|---|---|---|---|---|');
      for (const v of synth) out.push(`| ${v.view} | ${mm(v.kinematic.paMpjpe)} | ${mm(v.synthetic!.paMpjpe)} | ${mm(v.blazepose.paMpjpe)} | ${mm(v.synthetic!.inputPaMpjpe)} |`);
      out.push(`| mean | ${mm(mean(synth.map((v) => v.kinematic.paMpjpe)))} | ${mm(mean(synth.map((v) => v.synthetic!.paMpjpe)))} | ${mm(mean(synth.map((v) => v.blazepose.paMpjpe)))} | ${mm(mean(synth.map((v) => v.synthetic!.inputPaMpjpe ?? NaN)))} |`);
    }
    out.push('', `Triangulated truth: lowest foot landmark ${mm(r.truthFootMm)} above the lab floor in stance (heel and toe landmarks sit above the sole; the man stands on a treadmill); its limb segments change length by ±${(r.segmentSpreadPct / 2).toFixed(1)} % over the clip (p10–p90).`, '');
    out.push('| view | frames in the truth | missing from the truth (not associated) | frames scored | track switches | median reprojection | sightings not used (low score or rejected) | held-out: the view against the truth of the other views |', '|---|---|---|---|---|---|---|---|');
    for (const q of r.views) out.push(`| ${q.view} | ${q.matched} | ${q.missing.length ? `${q.missing.length} (frames ${ranges(q.missing)})` : '0'} | ${q.sighted ?? '—'} | ${q.trackSwitches} | ${q.medianPx.toFixed(1)} px | ${q.rejectedPct.toFixed(1)} % | ${q.heldOutPx == null || !Number.isFinite(q.heldOutPx) ? '—' : `${q.heldOutPx.toFixed(1)} px`} |`);
    out.push('', 'Median reprojection error per landmark (px): ' + r.perLandmarkPx.map((l) => `${l.landmark} ${Number.isFinite(l.medianPx) ? l.medianPx.toFixed(1) : '—'}`).join(', ') + '.', '');
  }
  return out.join('\n');
}

function row(v: ViewRun): string {
  const k = v.kinematic;
  const t = v.trueFocal;
  const tf = t ? `${mm(t.paMpjpe)} / ${mm(t.waMpjpe)} / ${size(t.poseScale)}` : '—';
  return `| ${v.view} | ${mm(v.blazepose.paMpjpe)} | ${mm(v.blazepose.rootRotMpjpe)} | ${mm(k.paMpjpe)} | ${mm(k.rootRotMpjpe)} | ${mm(k.waMpjpe)} | ${size(k.poseScale)} / ${size(k.waScale)} | ${mm(k.footMm)} | ${tf} | ${v.focalPx.used.toFixed(0)} / ${v.focalPx.true.toFixed(0)} px |`;
}

const mm = (v: number | null | undefined) => (v == null || !Number.isFinite(v) ? '—' : `${v.toFixed(0)} mm`);

/** A fitted scale says how much larger the truth is: the prediction's size error is 1/scale − 1. */
const size = (scale: number | null | undefined) => (scale == null ? '—' : `${(100 * (1 / scale - 1)) >= 0 ? '+' : ''}${(100 * (1 / scale - 1)).toFixed(1)} %`);

function ranges(xs: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j]! + 1) j++;
    parts.push(i === j ? `${xs[i]}` : `${xs[i]}–${xs[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}
