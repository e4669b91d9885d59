import type { MotionFile } from '../formats/motion.ts';
import { motionToBvh } from './bvh.ts';
import { motionToCsv } from './csv.ts';
import { motionToGlb } from './glb.ts';

export * from './pose.ts';
export * from './bvh.ts';
export * from './glb.ts';
export * from './csv.ts';

/** The export formats, their file extension and MIME type. */
export const EXPORT_FORMATS = {
  bvh: { extension: '.bvh', mime: 'text/plain' },
  glb: { extension: '.glb', mime: 'model/gltf-binary' },
  csv: { extension: '.csv', mime: 'text/csv' },
  json: { extension: '.json', mime: 'application/json' },
} as const;

export type ExportFormat = keyof typeof EXPORT_FORMATS;

export function isExportFormat(value: string): value is ExportFormat {
  return Object.hasOwn(EXPORT_FORMATS, value);
}

/**
 * One entry point for the CLI and the viewer's download buttons: the motion in
 * the given format, as text or bytes (no I/O here).
 */
export async function exportMotion(motion: MotionFile, format: ExportFormat): Promise<string | Uint8Array> {
  switch (format) {
    case 'bvh': return motionToBvh(motion);
    case 'glb': return motionToGlb(motion);
    case 'csv': return motionToCsv(motion);
    case 'json': return JSON.stringify(motion) + '\n';
  }
}
