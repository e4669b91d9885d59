import type { Command } from 'commander';
import { registerBench } from './bench.ts';
import { registerTrain } from './train.ts';
import { registerSynth } from './synth.ts';
import { registerEval } from './eval.ts';
import { registerIngest } from './ingest.ts';
import { registerReconstruct } from './reconstruct.ts';
import { registerExport } from './export.ts';
import { registerView } from './view.ts';
import { registerDemo } from './demo.ts';
import { registerBatch } from './batch.ts';
import { registerWorker } from './worker.ts';
import { registerStatus } from './status.ts';

/** Each sub-command lives in its own file and registers itself on the program. */
export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [registerBench, registerTrain, registerSynth, registerEval, registerIngest, registerReconstruct, registerExport, registerView, registerDemo, registerBatch, registerWorker, registerStatus];
