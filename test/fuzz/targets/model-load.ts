// Fuzz targets that do what a user's `yi generate -m <path> --check` does with a checkpoint: open it
// (GGUF file or Hugging Face folder), check it against its config and load every weight into the
// engine, scanning for NaN/Inf. One runtime per worker, reused across cases.
import { readGenerationConfig } from '../../../src/formats/hf-config.js';
import { openGGUF } from '../../../src/formats/gguf.js';
import { loadModel } from '../../../src/model/load.js';
import { Runtime } from '../../../src/runtime/runtime.js';

let rt: Promise<Runtime> | undefined;

/** Loads a model (folder or .gguf) into the engine and frees it; warnings are expected and dropped. */
export async function loadCheckpoint(path: string): Promise<void> {
  rt ??= Runtime.create({ threads: 1, arenaBytes: 64 << 20 });
  const model = loadModel(await rt, path, { check: true, onMessage: () => {} });
  model.dispose();
}

/** The same load with --strict: unused tensors are refused. */
export async function loadCheckpointStrict(path: string): Promise<void> {
  rt ??= Runtime.create({ threads: 1, arenaBytes: 64 << 20 });
  const model = loadModel(await rt, path, { check: true, strict: true, onMessage: () => {} });
  model.dispose();
}

/** Parses a GGUF file and reads every tensor's bytes (what a tool that is not a Llama loader does). */
export function readGGUF(path: string): void {
  const g = openGGUF(path);
  try {
    for (const t of g.tensors) g.readTensorBytes(t);
  } finally {
    g.close();
  }
}

/** Reads a generation_config.json. */
export function readGeneration(path: string): void {
  readGenerationConfig(path);
}
