import { LANDMARK_EDGES } from '../../src/formats/landmarks.ts';
import { projectPoint } from '../../src/geometry/camera.ts';
import type { Quat, Vec3 } from '../../src/geometry/quaternion.ts';
import { MIN_SCORE } from './metrics.ts';
import { sourceSize, type Message, type ResultBundle } from './load.ts';

const DETECTED = '#3ad0ff';
const REPROJECTED = '#ff5ad1';

/**
 * The side panel: the source video (or a blank frame of its size) with the
 * detected 2D keypoints and the motion's 3D landmarks projected through its
 * camera, drawn in source pixels. Paused, the canvas has the video's
 * resolution (every keypoint at its exact pixel); while playing it has only
 * the pixels it is shown with (a 1280×720 overlay shown 380 px wide costs ~10×
 * the raster and copy work per frame for nothing visible).
 */
export class VideoPanel {
  private bundle: ResultBundle | null = null;
  private hasVideo = false;
  private source = { width: 1, height: 1 };
  private playing = false;

  constructor(private video: HTMLVideoElement, private canvas: HTMLCanvasElement, private onMessage: (m: Message) => void) {}

  setBundle(bundle: ResultBundle): void {
    this.bundle = bundle;
    const { width, height } = sourceSize(bundle);
    this.source = { width, height };
    this.playing = false;
    this.canvas.width = width;
    this.canvas.height = height;
    this.hasVideo = false;
    this.video.removeAttribute('src');
    this.video.hidden = true;
    if (bundle.video) {
      const name = bundle.video.name;
      this.video.onloadeddata = () => { this.hasVideo = true; this.video.hidden = false; this.draw(this.lastFrame); };
      this.video.onerror = () => {
        this.hasVideo = false;
        this.video.hidden = true;
        this.onMessage({ level: 'warning', text: `The source video ${name} could not be played by this browser: the side panel shows a blank ${width}×${height} frame with the keypoints.` });
        this.draw(this.lastFrame);
      };
      this.video.src = bundle.video.url;
    }
  }

  private lastFrame = 0;

  /** Playing: the canvas at its displayed size; paused: at the source resolution again. Redraws the frame. */
  setPlaying(playing: boolean): void {
    if (playing === this.playing) return;
    this.playing = playing;
    const { width, height } = this.source;
    const shown = Math.round(this.canvas.clientWidth * (window.devicePixelRatio || 1));
    const w = playing && shown > 0 ? Math.min(width, shown) : width;
    this.canvas.width = w;
    this.canvas.height = Math.max(1, Math.round((height * w) / width));
    this.draw(this.lastFrame);
  }

  /** Keeps the video at the clip time: seeks when paused or when it drifts more than a frame. */
  sync(time: number, playing: boolean, speed: number, fps: number): void {
    if (!this.hasVideo) return;
    this.video.playbackRate = speed;
    if (playing) {
      if (this.video.paused) void this.video.play().catch(() => undefined);
      if (Math.abs(this.video.currentTime - time) > 1.5 / fps) this.video.currentTime = time;
    } else {
      if (!this.video.paused) this.video.pause();
      // Aim at the middle of the frame so the decoder shows this frame, not the previous one.
      const target = time + 0.5 / fps;
      if (Math.abs(this.video.currentTime - target) > 0.25 / fps) this.video.currentTime = target;
    }
  }

  draw(i: number): void {
    this.lastFrame = i;
    const b = this.bundle;
    const ctx = this.canvas.getContext('2d')!;
    // Draw in source pixels whatever the canvas resolution.
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    const { width, height } = this.source;
    ctx.setTransform(this.canvas.width / width, 0, 0, this.canvas.height / height, 0, 0);
    if (!b) return;
    if (!this.hasVideo) {
      ctx.fillStyle = '#23272e';
      ctx.fillRect(0, 0, width, height);
      ctx.fillStyle = '#5b6472';
      ctx.font = `${Math.round(height / 28)}px system-ui, sans-serif`;
      ctx.fillText(`no video · ${width}×${height}`, width * 0.03, height * 0.06);
    }
    const lw = Math.max(1.5, width / 400);
    const kp = b.keypoints?.frames[i]?.keypoints ?? null;
    if (kp) {
      const ok = (k: number) => (kp[k]?.[2] ?? 0) >= MIN_SCORE;
      this.drawSkeleton(ctx, (k) => (ok(k) ? [kp[k]![0], kp[k]![1]] : null), DETECTED, lw, 2.2 * lw);
    }
    const m = b.motion;
    const frame = m?.frames[i];
    if (m && frame && frame.joints3d.length >= 33) {
      const cam = { ...m.camera, rotation: m.camera.rotation as Quat, position: m.camera.position as Vec3 };
      const px = frame.joints3d.map((p) => projectPoint(cam, p as Vec3));
      this.drawSkeleton(ctx, (k) => px[k] ?? null, REPROJECTED, lw, 1.6 * lw, [4 * lw, 3 * lw]);
    }
  }

  private drawSkeleton(ctx: CanvasRenderingContext2D, at: (k: number) => [number, number] | null, color: string, lw: number, r: number, dash: number[] = []): void {
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = lw;
    ctx.setLineDash(dash);
    ctx.beginPath();
    for (const [a, b] of LANDMARK_EDGES) {
      const p = at(a);
      const q = at(b);
      if (!p || !q) continue;
      ctx.moveTo(p[0], p[1]);
      ctx.lineTo(q[0], q[1]);
    }
    ctx.stroke();
    ctx.setLineDash([]);
    for (let k = 0; k < 33; k++) {
      const p = at(k);
      if (!p) continue;
      ctx.beginPath();
      ctx.arc(p[0], p[1], r, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
}
