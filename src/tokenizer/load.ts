// Tokenizer.load(path): a tokenizer.model, a tokenizer.json, a .gguf file, or a Hugging Face folder
// (tokenizer.model preferred, else tokenizer.json; tokenizer_config.json applied when present).
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openGGUF } from '../formats/gguf.js';
import { parseModelProto } from './sentencepiece-proto.js';
import { specFromGGUFMetadata } from './sources/gguf.js';
import { specFromModelProto } from './sources/sentencepiece.js';
import { specFromTokenizerJson } from './sources/tokenizer-json.js';
import type { TokenizerSpec } from './spec.js';
import { PieceType } from './vocab.js';

export function loadTokenizerSpec(path: string): TokenizerSpec {
  if (statSync(path).isDirectory()) {
    const model = join(path, 'tokenizer.model');
    const json = join(path, 'tokenizer.json');
    const spec = existsSync(model) ? fromModel(model) : existsSync(json) ? fromJson(json) : undefined;
    if (!spec) throw new Error(`${path}: no tokenizer.model or tokenizer.json in this folder`);
    const config = join(path, 'tokenizer_config.json');
    if (existsSync(config)) applyTokenizerConfig(spec, readJson(config), config);
    return spec;
  }
  if (path.endsWith('.json')) return fromJson(path);
  if (path.endsWith('.gguf') || magic(path) === 'GGUF') {
    const f = openGGUF(path);
    try {
      return specFromGGUFMetadata(f.metadata, path);
    } finally {
      f.close();
    }
  }
  return fromModel(path);
}

function fromModel(path: string): TokenizerSpec {
  return specFromModelProto(parseModelProto(readFileSync(path), path), path);
}

function fromJson(path: string): TokenizerSpec {
  return specFromTokenizerJson(readJson(path), path);
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

function magic(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(4);
    readSync(fd, b, 0, 4, 0);
    return b.toString('latin1');
  } finally {
    closeSync(fd);
  }
}

/**
 * tokenizer_config.json: add_bos_token / add_eos_token, the bos/eos/unk/pad token names, and
 * added_tokens_decoder entries beyond the model's vocabulary (appended as control or user-defined pieces).
 */
export function applyTokenizerConfig(spec: TokenizerSpec, config: unknown, source: string): void {
  if (typeof config !== 'object' || config === null) throw new Error(`${source}: not a JSON object`);
  const c = config as Record<string, unknown>;
  if (typeof c.add_bos_token === 'boolean') spec.addBos = c.add_bos_token;
  if (typeof c.add_eos_token === 'boolean') spec.addEos = c.add_eos_token;
  const decoder = c.added_tokens_decoder;
  if (typeof decoder === 'object' && decoder !== null) {
    const entries = Object.entries(decoder as Record<string, { content?: unknown; special?: unknown }>)
      .map(([id, t]) => [Number(id), t] as const)
      .sort((a, b) => a[0] - b[0]);
    for (const [id, t] of entries) {
      if (typeof t.content !== 'string') continue;
      if (id < spec.pieces.length) {
        if (spec.pieces[id] !== t.content) throw new Error(`${source}: added token ${id} is ${JSON.stringify(t.content)} but the vocabulary has ${JSON.stringify(spec.pieces[id])}`);
        continue;
      }
      if (id !== spec.pieces.length) throw new Error(`${source}: added token id ${id} leaves a gap after ${spec.pieces.length - 1}`);
      spec.pieces.push(t.content);
      spec.scores = Float32Array.from([...spec.scores, 0]);
      spec.types = Uint8Array.from([...spec.types, t.special ? PieceType.CONTROL : PieceType.USER_DEFINED]);
    }
  }
  const name = (v: unknown): string | undefined =>
    typeof v === 'string' ? v : typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string' ? (v as { content: string }).content : undefined;
  const idOf = (v: unknown): number | undefined => {
    const n = name(v);
    if (n === undefined) return undefined;
    const id = spec.pieces.indexOf(n);
    return id >= 0 ? id : undefined;
  };
  spec.bosId = idOf(c.bos_token) ?? spec.bosId;
  spec.eosId = idOf(c.eos_token) ?? spec.eosId;
  spec.padId = idOf(c.pad_token) ?? spec.padId;
  const named: Record<string, number> = { ...spec.namedSpecials };
  const extra = Array.isArray(c.additional_special_tokens) ? c.additional_special_tokens : [];
  for (const t of extra) {
    const n = name(t);
    const id = idOf(t);
    if (n !== undefined && id !== undefined) named[n] = id;
  }
  spec.namedSpecials = named;
}
