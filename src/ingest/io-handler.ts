import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { io } from '@tensorflow/tfjs-core';
import { UserError } from '../errors.ts';

/**
 * A tfjs IOHandler that loads a graph model from local files: model.json plus
 * the weight shards it names, concatenated in order. No network, no fetch().
 */
export function fileModelHandler(modelJsonPath: string): io.IOHandler {
  return {
    async load(): Promise<io.ModelArtifacts> {
      let json: {
        modelTopology?: unknown; format?: string; generatedBy?: string; convertedBy?: string | null;
        signature?: unknown; userDefinedMetadata?: Record<string, unknown>; modelInitializer?: unknown;
        weightsManifest?: Array<{ paths: string[]; weights: io.WeightsManifestEntry[] }>;
      };
      try {
        json = JSON.parse(readFileSync(modelJsonPath, 'utf8'));
      } catch (err) {
        throw new UserError(`${modelJsonPath}: unreadable model file (${(err as Error).message}); run: npm run fetch-models`);
      }
      if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
        throw new UserError(`${modelJsonPath}: not a tfjs graph model (no modelTopology / weightsManifest)`);
      }
      const weightSpecs: io.WeightsManifestEntry[] = [];
      const shards: Buffer[] = [];
      for (const group of json.weightsManifest) {
        weightSpecs.push(...group.weights);
        for (const p of group.paths) shards.push(readFileSync(join(dirname(modelJsonPath), p)));
      }
      const all = Buffer.concat(shards);
      // A standalone ArrayBuffer holding exactly the weights (Buffer pools share theirs).
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
      return {
        modelTopology: json.modelTopology as io.ModelArtifacts['modelTopology'],
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy ?? undefined,
        signature: json.signature as io.ModelArtifacts['signature'],
        userDefinedMetadata: json.userDefinedMetadata as io.ModelArtifacts["userDefinedMetadata"],
        modelInitializer: json.modelInitializer as io.ModelArtifacts['modelInitializer'],
        weightSpecs,
        weightData,
      };
    },
  };
}
