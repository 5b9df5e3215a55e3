// Why a path given as a model is not one, said so that the user knows what to give instead: the
// usual mistakes are a run folder (`yi recipe`, `yi pretrain`) instead of the model folder inside
// it, a tokenizer folder or file, or one weights file instead of its folder.
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const EXPECTED = 'expected a Hugging Face model folder (config.json + model.safetensors) or a .gguf file';
const TOKENIZER_FILES = ['tokenizer.model', 'tokenizer.json', 'tokenizer_config.json'];
// Bounds of the search for model folders below a folder: a run folder nests them two levels
// deep (train/model, checkpoints/step-N); a mistaken `-m ~` must not walk the whole disk.
const SEARCH_DEPTH = 3;
const SEARCH_ENTRIES = 5000;

function isModelFolder(dir: string): boolean {
  return existsSync(join(dir, 'config.json')) && (existsSync(join(dir, 'model.safetensors')) || existsSync(join(dir, 'model.safetensors.index.json')));
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/**
 * Model folders below `dir`, best first: final models (a folder named `model`, as `yi pretrain`
 * and `yi recipe` write) before checkpoints, shallower before deeper, and among checkpoints the
 * latest (highest step) first.
 */
export function modelFoldersIn(dir: string): string[] {
  const found: { path: string; depth: number }[] = [];
  let budget = SEARCH_ENTRIES;
  const walk = (d: string, depth: number) => {
    for (const name of list(d)) {
      if (--budget < 0) return;
      if (name.startsWith('.') || name === 'node_modules') continue;
      const p = join(d, name);
      if (isModelFolder(p)) found.push({ path: p, depth });
      else if (depth < SEARCH_DEPTH) walk(p, depth + 1);
    }
  };
  walk(dir, 1);
  const rank = (f: { path: string; depth: number }) => (basename(f.path) === 'model' ? 0 : 1);
  return found
    .sort((a, b) => rank(a) - rank(b) || a.depth - b.depth || (b.path < a.path ? -1 : b.path > a.path ? 1 : 0))
    .map((f) => f.path);
}

/** What is wrong with a folder that has no config.json, and what to give instead. */
export function notAModelFolder(dir: string): string {
  const names = list(dir);
  const inside = modelFoldersIn(dir);
  if (inside.length > 0) {
    const more = inside.length > 1 ? ` (also: ${inside.slice(1, 3).join(', ')}${inside.length > 3 ? ', ...' : ''})` : '';
    return `not a model folder (no config.json); the model folder inside it is ${inside[0]}${more}`;
  }
  const ggufs = names.filter((n) => n.endsWith('.gguf'));
  if (ggufs.length > 0) return `not a model folder (no config.json); give one of its .gguf files: ${ggufs.slice(0, 3).map((n) => join(dir, n)).join(', ')}`;
  const tok = names.filter((n) => TOKENIZER_FILES.includes(n));
  if (tok.length > 0) return `a tokenizer folder (${tok.join(', ')}), not a model: ${EXPECTED} (a tokenizer of its own goes to --tokenizer)`;
  if (names.some((n) => n.endsWith('.safetensors'))) return `has safetensors weights but no config.json: ${EXPECTED}`;
  return `no config.json in this folder: ${EXPECTED}`;
}

/** What is wrong with a file given as a model (anything but a .gguf file or a config.json). */
export function notAModelFile(file: string): string {
  const name = basename(file);
  if (TOKENIZER_FILES.includes(name)) return `a tokenizer file, not a model: ${EXPECTED} (a tokenizer of its own goes to --tokenizer)`;
  if (name.endsWith('.safetensors') || name === 'model.safetensors.index.json') return `one weights file: give its folder ${dirname(file)}, which holds config.json too`;
  return EXPECTED;
}

