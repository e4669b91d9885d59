import type { ExportFormat } from '../../src/export/index.ts';
import type { ViewerHandle } from './handle.ts';
import { clipTiming, fetchManifest, fetchResultTexts, loadFromFiles, loadFromServer, type Message, type ResultBundle } from './load.ts';
import { mpjpePerFrame, reprojectionErrorPerFrame } from './metrics.ts';
import { accountingMessage, forceSeries, hasForces } from './forces.ts';
import { CursorPlot, plotIndexAt, type Series } from './plots.ts';
import { SceneView } from './scene.ts';
import { VideoPanel } from './video-panel.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** While playing, the timeline (scrub, labels, plot cursor) follows at ~10 Hz: enough to read, far cheaper to draw. */
const TIMELINE_PLAYING_MS = 100;

declare global { interface Window { __viewer: ViewerHandle } }

class App {
  private scene = new SceneView($<HTMLCanvasElement>('scene'));
  private panel = new VideoPanel($<HTMLVideoElement>('video'), $<HTMLCanvasElement>('overlay'), (m) => this.addMessage(m));
  private bundle: ResultBundle | null = null;
  private frames = 0;
  private fps = 30;
  private frame = 0;
  private time = 0;
  private playing = false;
  private speed = 1;
  private loop = true;
  private lastTick = 0;
  /** When the timeline (scrub, labels, plot cursor) was last drawn. */
  private timelineDrawnAt = 0;
  /** Whether a pass of the draw loop is scheduled (the loop sleeps while paused and nothing changes). */
  private loopScheduled = false;
  /** The clip frame last drawn while playing. */
  private lastDrawnFrame = -1;
  /**
   * A played frame waiting for its time to be measured (for the frame governor):
   * when its draw-loop pass began, and the clip frames advanced since the frame drawn before it.
   */
  private measuring: { at: number; advanced: number } | null = null;
  private perFrame: Series[] = [];
  private lossSeries: Series[] = [];
  private framePlot = new CursorPlot($<HTMLCanvasElement>('frame-plot'));
  private lossPlot = new CursorPlot($<HTMLCanvasElement>('loss-plot'));
  private forcePlot = new CursorPlot($<HTMLCanvasElement>('force-plot'));
  readonly handle: ViewerHandle;

  constructor() {
    const app = this;
    this.handle = {
      ready: false, loadMs: 0, openMs: 0, timings: {}, frame: 0, time: 0, frameCount: 0, fps: 30, playing: false, messages: [],
      jointPosition: (i) => this.scene.landmarkPosition(i),
      skeletonJointPosition: (j) => this.scene.skeletonJointPosition(j),
      setFrame: (i) => this.seek(i),
      play: () => this.setPlaying(true),
      pause: () => this.setPlaying(false),
      stats: { drawnFrames: 0, advancedFrames: 0, playMs: 0, pixelScale: 1 },
      renderMs: (n) => this.scene.timeRenders(n),
      gpuMemory: () => this.scene.gpuMemory(),
      forceArrows: () => this.scene.forceArrowState(),
      async exportMotion(format) { return (await app.exportBytes(format)).length; },
    };
    window.__viewer = this.handle;
    this.scene.onRenderRequest = () => this.wake();
    this.wireControls();
    this.wake();
  }

  async start(): Promise<void> {
    const t0 = performance.now();
    // Fetch the files while the manifest is on its way (a missing file is a 404, handled later).
    const texts = fetchResultTexts();
    const manifest = await fetchManifest();
    if (!manifest) {
      $('dropzone').hidden = false;
      this.setMessages([{ level: 'info', text: 'No result folder is being served: drop motion.json (and keypoints.json, truth.json, kinematic.json, the video) here, or use Open…. Run `optimus-motion view DIR` to open a folder directly.' }]);
      this.handle.ready = true;
      return;
    }
    const bundle = await loadFromServer(manifest, await texts);
    this.handle.timings.load = performance.now() - t0;
    await this.show(bundle, t0);
  }

  async show(bundle: ResultBundle, t0 = performance.now()): Promise<void> {
    this.bundle = bundle;
    const timing = clipTiming(bundle);
    this.frames = timing.frames;
    this.fps = timing.fps;
    this.setPlaying(false);
    $('title').textContent = bundle.name;
    $('dropzone').hidden = !!(bundle.motion || bundle.truth || bundle.keypoints);
    const physics = accountingMessage(bundle.motion);
    this.setMessages(physics ? [...bundle.messages, physics] : bundle.messages);
    const t1 = performance.now();
    try {
      this.scene.setBundle(bundle);
    } catch (err) {
      this.addMessage({ level: 'error', text: `The 3D view could not be built: ${(err as Error).message}` });
    }
    this.handle.timings.scene = performance.now() - t1;
    this.panel.setBundle(bundle);
    for (const layer of ['kinematic', 'truth'] as const) {
      $(`toggle-${layer}`).hidden = !bundle[layer];
      $(`legend-${layer}`).hidden = !bundle[layer];
    }
    document.querySelectorAll<HTMLButtonElement>('#exports button').forEach((b) => { b.disabled = !bundle.motion; });
    const scrub = $<HTMLInputElement>('scrub');
    scrub.max = String(Math.max(0, this.frames - 1));
    this.computeSeries();
    this.handle.frameCount = this.frames;
    this.handle.fps = this.fps;
    this.scene.governor.setTarget(this.fps * this.speed);
    const t2 = performance.now();
    this.seek(0);
    this.scene.renderIfNeeded();
    this.handle.timings.firstFrame = performance.now() - t2;
    this.handle.loadMs = performance.now() - t0;
    this.handle.openMs = performance.now();
    this.handle.ready = true;
    // Once the first frame is up: draw the playback picture once, so the first play starts without a stall.
    setTimeout(() => this.scene.warmUpPlayback(), 0);
  }

  private computeSeries(): void {
    const b = this.bundle!;
    this.perFrame = [];
    if (b.motion && b.keypoints) this.perFrame.push({ name: 'reproj. px', color: '#ff5ad1', values: reprojectionErrorPerFrame(b.motion, b.keypoints) });
    if (b.kinematic && b.keypoints) this.perFrame.push({ name: 'kinematic px', color: '#f4845f', values: reprojectionErrorPerFrame(b.kinematic, b.keypoints) });
    if (b.motion && b.truth) this.perFrame.push({ name: 'MPJPE mm', color: '#5ad17a', values: mpjpePerFrame(b.motion, b.truth) });
    if (b.kinematic && b.truth) this.perFrame.push({ name: 'kin. MPJPE mm', color: '#9be3b0', values: mpjpePerFrame(b.kinematic, b.truth) });
    this.lossSeries = [];
    const palette = ['#ffd166', '#3ad0ff', '#c77dff', '#ff8fab', '#90be6d', '#f9844a'];
    const stages = b.motion?.stages ?? {};
    for (const [name, stage] of Object.entries(stages)) {
      this.lossSeries.push({ name: `${name}${stage.optimizer ? ` (${stage.optimizer})` : ''}`, color: name === 'physics' ? '#3ad0ff' : '#f4845f', values: stage.lossCurve });
      // Per-window curves: `windowCurves: number[][]` (what reconstruct writes) or `windows: [{ lossCurve }]`.
      const extra = stage as { windowCurves?: unknown; windows?: unknown };
      const curves: unknown[] = Array.isArray(extra.windowCurves) ? extra.windowCurves
        : Array.isArray(extra.windows) ? extra.windows.map((w) => (w as { lossCurve?: unknown })?.lossCurve) : [];
      const valid = curves.filter((c): c is number[] => Array.isArray(c) && c.every((v) => typeof v === 'number'));
      // Few windows: one legend entry each; many: a single "N windows" entry.
      valid.forEach((c, k) => {
        const label = valid.length <= 6 ? `${name[0]}${k}` : k === 0 ? `${valid.length} ${name} windows` : '';
        this.lossSeries.push({ name: label, color: palette[k % palette.length]!, values: c });
      });
    }
    this.framePlot.setData(this.perFrame, {
      title: 'per frame: reprojection error vs keypoints, MPJPE vs truth',
      empty: 'needs keypoints.json (reprojection) or truth.json (MPJPE)',
    });
    this.lossPlot.setData(this.lossSeries, {
      title: 'optimizer loss per iteration (stages, physics windows)', log: true, xLabel: 'iteration',
      empty: 'no loss curves in motion.json (stages.*.lossCurve)',
    });
    this.forcePlot.setData(hasForces(b.motion) ? forceSeries(b.motion) : [], {
      title: 'per frame: residual force and ground support, % of body weight',
      empty: 'no forces in motion.json (a physics result measures them)',
    });
    this.drawPlots();
  }

  /** The frame plot's cursor follows the frame; both plots redraw their lines only after a data or size change. */
  private drawPlots(): void {
    this.framePlot.draw(this.frame);
    this.lossPlot.draw(undefined);
    this.forcePlot.draw(this.frame);
  }

  /** Shows frame i everywhere (3D, side panel, plots, labels). */
  seek(i: number, fromPlayback = false): void {
    const n = this.frames;
    const f = n ? Math.max(0, Math.min(n - 1, Math.round(i))) : 0;
    if (!fromPlayback) this.time = f / this.fps;
    this.frame = f;
    this.scene.setFrame(f);
    this.panel.draw(f);
    this.panel.sync(this.time, this.playing, this.speed, this.fps);
    const now = performance.now();
    if (!fromPlayback || now - this.timelineDrawnAt >= TIMELINE_PLAYING_MS) this.drawTimeline(now);
    Object.assign(this.handle, { frame: f, time: this.time, playing: this.playing });
  }

  /**
   * The position indicators: scrub bar, frame and time labels, the frame
   * plot's cursor. While playing they follow at most every TIMELINE_PLAYING_MS:
   * each update costs a style, layout and paint pass on the main thread (in a
   * chromium trace the main thread's time per played frame fell ~7.5 → ~5.3 ms).
   */
  private drawTimeline(now = performance.now()): void {
    const n = this.frames;
    const f = this.frame;
    this.timelineDrawnAt = now;
    this.drawPlots();
    $<HTMLInputElement>('scrub').value = String(f);
    $('frame-label').textContent = n ? `frame ${f} / ${n - 1}` : 'frame – / –';
    $('time-label').textContent = `${this.time.toFixed(3)} s`;
  }

  private setPlaying(on: boolean): void {
    if (on && this.frames < 2) return;
    if (on && !this.loop && this.frame >= this.frames - 1) this.seek(0);
    const wasPlaying = this.playing;
    this.playing = on;
    this.scene.setPlaybackQuality(on);
    this.panel.setPlaying(on);
    // Just paused: the timeline shows exactly the frame on screen. (Not on every pause call:
    // the scrub bar's handler pauses before it seeks, and must keep the value it was dragged to.)
    if (wasPlaying && !on) this.drawTimeline();
    this.lastTick = performance.now();
    this.lastDrawnFrame = -1;
    this.measuring = null;
    $('play').classList.toggle('playing', on);
    this.handle.playing = on;
    this.handle.stats.pixelScale = this.scene.pixelScale;
    this.panel.sync(this.time, on, this.speed, this.fps);
    this.wake();
  }

  /** Schedules a pass of the draw loop (at most one pending). */
  private wake(): void {
    if (this.loopScheduled) return;
    this.loopScheduled = true;
    requestAnimationFrame(() => {
      this.loopScheduled = false;
      this.tick();
    });
  }

  /**
   * One pass of the draw loop: advance the clip clock while playing, draw the
   * 3D view if anything changed, measure played frames for the governor. Runs
   * every display frame while playing, and only on demand while paused.
   */
  private tick(): void {
    // performance.now(), not the rAF timestamp: that one can precede the moment play was pressed.
    const now = performance.now();
    // A frame's time runs from the start of its pass to the start of the next one: the browser
    // calls back only once that frame went through (WebGL readback, compositing).
    if (this.measuring && this.playing) this.scene.recordPlayedFrame(now - this.measuring.at, this.measuring.advanced);
    this.measuring = null;
    if (this.playing) {
      const dt = Math.max(0, Math.min(0.25, (now - this.lastTick) / 1000));
      this.lastTick = now;
      this.handle.stats.playMs += dt * 1000;
      const duration = this.frames / this.fps;
      this.time += dt * this.speed;
      if (this.time >= duration) {
        if (this.loop) this.time %= duration;
        else { this.time = (this.frames - 1) / this.fps; this.setPlaying(false); }
      }
      const f = Math.max(0, Math.min(this.frames - 1, Math.floor(this.time * this.fps + 1e-6)));
      if (f !== this.frame) {
        this.handle.stats.advancedFrames += (f - this.frame + this.frames) % this.frames;
        this.seek(f, true);
      } else {
        // The labels change with the frame only: a text change between frames would cost a layout and paint.
        this.handle.time = this.time;
      }
    }
    if (this.scene.renderIfNeeded() && this.playing && this.frame !== this.lastDrawnFrame) {
      // Honest count: distinct clip frames actually drawn to the canvas while playing.
      this.handle.stats.drawnFrames++;
      if (this.lastDrawnFrame >= 0) this.measuring = { at: now, advanced: (this.frame - this.lastDrawnFrame + this.frames) % this.frames };
      this.lastDrawnFrame = this.frame;
      this.handle.stats.pixelScale = this.scene.pixelScale;
    }
    if (this.playing) this.wake();
  }

  private async exportBytes(format: ExportFormat): Promise<Uint8Array> {
    if (!this.bundle?.motion) throw new Error('no motion loaded');
    // The exporters (and gltf-transform) load on first use: a faster first paint.
    const { exportMotion } = await import('../../src/export/index.ts');
    const data = await exportMotion(this.bundle.motion, format);
    return typeof data === 'string' ? new TextEncoder().encode(data) : data;
  }

  private async download(format: ExportFormat): Promise<void> {
    try {
      const bytes = await this.exportBytes(format);
      const { EXPORT_FORMATS } = await import('../../src/export/index.ts');
      const blob = new Blob([bytes as BlobPart], { type: EXPORT_FORMATS[format].mime });
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      const stem = (this.bundle?.name ?? 'motion').replace(/\.json$/i, '').replace(/[^\w.-]+/g, '_') || 'motion';
      a.download = `${stem}${EXPORT_FORMATS[format].extension}`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    } catch (err) {
      this.addMessage({ level: 'error', text: `Export to ${format.toUpperCase()} failed: ${(err as Error).message}` });
    }
  }

  private setMessages(messages: Message[]): void {
    this.handle.messages = [...messages];
    const box = $('messages');
    box.replaceChildren(...messages.map((m) => {
      const div = document.createElement('div');
      div.className = `msg ${m.level}`;
      div.textContent = m.text;
      return div;
    }));
  }

  private addMessage(m: Message): void {
    this.setMessages([...this.handle.messages, m]);
  }

  private wireControls(): void {
    $('play').addEventListener('click', () => this.setPlaying(!this.playing));
    $('step-back').addEventListener('click', () => { this.setPlaying(false); this.seek(this.frame - 1); });
    $('step-forward').addEventListener('click', () => { this.setPlaying(false); this.seek(this.frame + 1); });
    const scrub = $<HTMLInputElement>('scrub');
    scrub.addEventListener('input', () => { this.setPlaying(false); this.seek(Number(scrub.value)); });
    $<HTMLSelectElement>('speed').addEventListener('change', (e) => {
      this.speed = Number((e.target as HTMLSelectElement).value);
      this.scene.governor.setTarget(this.fps * this.speed);
      this.panel.sync(this.time, this.playing, this.speed, this.fps);
    });
    $<HTMLInputElement>('loop').addEventListener('change', (e) => { this.loop = (e.target as HTMLInputElement).checked; });
    for (const layer of ['body', 'skeleton', 'kinematic', 'truth'] as const) {
      $<HTMLInputElement>(`show-${layer}`).addEventListener('change', (e) => this.scene.setVisible(layer, (e.target as HTMLInputElement).checked));
    }
    const plot = $<HTMLCanvasElement>('frame-plot');
    plot.addEventListener('click', (e) => { if (this.frames) { this.setPlaying(false); this.seek(plotIndexAt(plot, e.clientX, this.frames)); } });
    window.addEventListener('keydown', (e) => {
      const target = e.target as HTMLElement;
      if (target instanceof HTMLSelectElement || (target instanceof HTMLInputElement && target.type !== 'range' && target.type !== 'checkbox')) return;
      const step = e.shiftKey ? 10 : 1;
      if (e.key === ' ') { e.preventDefault(); this.setPlaying(!this.playing); }
      else if (e.key === 'ArrowRight') { e.preventDefault(); this.setPlaying(false); this.seek(this.frame + step); }
      else if (e.key === 'ArrowLeft') { e.preventDefault(); this.setPlaying(false); this.seek(this.frame - step); }
      else if (e.key === 'Home') { this.setPlaying(false); this.seek(0); }
      else if (e.key === 'End') { this.setPlaying(false); this.seek(this.frames - 1); }
    });
    document.querySelectorAll<HTMLButtonElement>('#exports button').forEach((b) => {
      b.addEventListener('click', () => void this.download(b.dataset.export as ExportFormat));
    });
    const input = $<HTMLInputElement>('file-input');
    $('open').addEventListener('click', () => input.click());
    input.addEventListener('change', () => { if (input.files?.length) void this.openFiles([...input.files]); input.value = ''; });
    window.addEventListener('dragover', (e) => { e.preventDefault(); document.body.classList.add('dragging'); });
    window.addEventListener('dragleave', (e) => { if (!e.relatedTarget) document.body.classList.remove('dragging'); });
    window.addEventListener('drop', (e) => {
      e.preventDefault();
      document.body.classList.remove('dragging');
      const files = [...(e.dataTransfer?.files ?? [])];
      if (files.length) void this.openFiles(files);
    });
    window.addEventListener('resize', () => this.drawPlots());
  }

  private async openFiles(files: File[]): Promise<void> {
    this.handle.ready = false;
    await this.show(await loadFromFiles(files));
  }
}

const app = new App();
app.start().catch((err: Error) => {
  const box = document.getElementById('messages')!;
  const div = document.createElement('div');
  div.className = 'msg error';
  div.textContent = `The viewer failed to start: ${err.message}`;
  box.append(div);
  window.__viewer.ready = true;
});
