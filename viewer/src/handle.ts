import type { ExportFormat } from '../../src/export/index.ts';
import type { Message } from './load.ts';

/** State exposed for tests and the console (window.__viewer). */
export interface ViewerHandle {
  ready: boolean;
  loadMs: number;
  /** Milliseconds from navigation start to the first drawn frame of the result. */
  openMs: number;
  /** Milliseconds per loading step (fetch+parse, scene, first render). */
  timings: Record<string, number>;
  frame: number;
  time: number;
  frameCount: number;
  fps: number;
  playing: boolean;
  messages: Message[];
  /** Landmark i of the current frame as drawn in the 3D view (world metres). */
  jointPosition(i: number): [number, number, number] | null;
  /** Skeleton joint j of the current frame as drawn (world metres). */
  skeletonJointPosition(j: number): [number, number, number] | null;
  setFrame(i: number): void;
  /** The force arrows drawn for the current frame (length in metres; null without forces in motion.json). */
  forceArrows(): Record<'leftFoot' | 'rightFoot' | 'residual', { visible: boolean; length: number }> | null;
  play(): void;
  pause(): void;
  /**
   * While playing (play-rate benchmark): distinct clip frames drawn to the 3D
   * canvas, clip frames the clock advanced, milliseconds played, and the
   * drawing-buffer scale the frame governor last chose (1 = full resolution).
   */
  stats: { drawnFrames: number; advancedFrames: number; playMs: number; pixelScale: number };
  exportMotion(format: ExportFormat): Promise<number>;
  /** Mean milliseconds of n forced renders of the 3D view, waiting for the GPU (benchmark). */
  renderMs(n: number): number;
  /**
   * What a reload must not grow: geometries and textures alive on the GPU (three's
   * renderer.info.memory), shader programs, and the materials holding them (a material
   * never disposed keeps its program's use count up even when the program is shared).
   */
  gpuMemory(): { geometries: number; textures: number; programs: number; materialsOnPrograms: number };
}

