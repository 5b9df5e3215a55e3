// The files of a trained tokenizer: tokenizer.model (SentencePiece ModelProto), and for Hugging Face users
// tokenizer.json (BPE with merges derived from the vocabulary, as transformers' SentencePiece converter
// does) and tokenizer_config.json (specials, ChatML chat_template). Every file is written atomically.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeAll, writeFileAtomic } from '../formats/atomic.js';
import { CHATML_TEMPLATE } from './chat.js';
import { encodeModelProto, PieceType, type ModelProtoInit } from './sentencepiece-proto.js';

const SPACE = '\u2581';

/** Hugging Face tokenizer.json for a SentencePiece BPE vocabulary (identity normalization, no dummy prefix). */
export function tokenizerJson(proto: ModelProtoInit): Record<string, unknown> {
  const pieces = proto.pieces;
  const vocab: Record<string, number> = {};
  const normalId = new Map<string, number>();
  pieces.forEach((p, id) => {
    vocab[p.piece] = id;
    if ((p.type ?? PieceType.NORMAL) === PieceType.NORMAL) normalId.set(p.piece, id);
  });
  // Merges: every split of a piece into two pieces, ranked by the piece's score (= merge order), then by the
  // ids of the parts (transformers' SentencePieceExtractor).
  const merges: Array<[string, string, number, number, number]> = [];
  pieces.forEach((p, id) => {
    if ((p.type ?? PieceType.NORMAL) !== PieceType.NORMAL) return;
    const cps = [...p.piece];
    for (let i = 1; i < cps.length; i++) {
      const l = cps.slice(0, i).join('');
      const r = cps.slice(i).join('');
      const li = normalId.get(l);
      const ri = normalId.get(r);
      if (li !== undefined && ri !== undefined) merges.push([l, r, -(p.score ?? 0), li, ri]);
    }
    void id;
  });
  merges.sort((a, b) => a[2] - b[2] || a[3] - b[3] || a[4] - b[4]);
  const unk = pieces.find((p) => p.type === PieceType.UNKNOWN)?.piece ?? '<unk>';
  const added = pieces
    .map((p, id) => ({ p, id }))
    .filter(({ p }) => p.type === PieceType.CONTROL || p.type === PieceType.UNKNOWN || p.type === PieceType.USER_DEFINED)
    .map(({ p, id }) => ({ id, content: p.piece, single_word: false, lstrip: false, rstrip: false, normalized: false, special: p.type !== PieceType.USER_DEFINED }));
  const byteFallback = pieces.some((p) => p.type === PieceType.BYTE);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: 'Replace', pattern: { String: ' ' }, content: SPACE },
    pre_tokenizer: null,
    post_processor: null,
    decoder: {
      type: 'Sequence',
      decoders: [{ type: 'Replace', pattern: { String: SPACE }, content: ' ' }, ...(byteFallback ? [{ type: 'ByteFallback' }] : []), { type: 'Fuse' }],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: unk,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: byteFallback,
      ignore_merges: false,
      vocab,
      merges: merges.map(([l, r]) => `${l} ${r}`),
    },
  };
}

export interface TokenizerConfigOptions {
  chatTemplate?: string;
  modelMaxLength?: number;
}

/** tokenizer_config.json in the layout of Yi's releases (LlamaTokenizer, no bos/eos added, pad = unk). */
export function tokenizerConfig(proto: ModelProtoInit, opts: TokenizerConfigOptions = {}): Record<string, unknown> {
  const ts = proto.trainerSpec ?? {};
  const byId = (id: number | undefined, dflt: string) => (id !== undefined && id >= 0 && id < proto.pieces.length ? proto.pieces[id]!.piece : dflt);
  const bos = byId(ts.bosId, '<|startoftext|>');
  const eos = byId(ts.eosId, '<|endoftext|>');
  const unk = byId(ts.unkId, '<unk>');
  const decoder: Record<string, unknown> = {};
  const extra: string[] = [];
  proto.pieces.forEach((p, id) => {
    if (p.type !== PieceType.CONTROL && p.type !== PieceType.UNKNOWN && p.type !== PieceType.USER_DEFINED) return;
    decoder[String(id)] = { content: p.piece, lstrip: false, normalized: false, rstrip: false, single_word: false, special: p.type !== PieceType.USER_DEFINED };
    if (p.type === PieceType.CONTROL && p.piece !== bos && p.piece !== eos) extra.push(p.piece);
  });
  return {
    add_bos_token: false,
    add_eos_token: false,
    added_tokens_decoder: decoder,
    additional_special_tokens: extra,
    bos_token: bos,
    // transformers' Llama tokenizers would prepend a space; our vocabularies have no dummy prefix.
    add_prefix_space: false,
    chat_template: opts.chatTemplate ?? CHATML_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: eos,
    legacy: true,
    model_max_length: opts.modelMaxLength ?? 4096,
    pad_token: unk,
    sp_model_kwargs: {},
    spaces_between_special_tokens: false,
    tokenizer_class: 'LlamaTokenizer',
    unk_token: unk,
  };
}

/** Writes tokenizer.model, tokenizer.json and tokenizer_config.json into `dir` (created if missing). */
export function writeTokenizerFiles(dir: string, proto: ModelProtoInit, opts: TokenizerConfigOptions = {}): string[] {
  mkdirSync(dir, { recursive: true });
  const files: Array<[string, Uint8Array]> = [
    ['tokenizer.model', encodeModelProto(proto)],
    ['tokenizer.json', new TextEncoder().encode(JSON.stringify(tokenizerJson(proto), null, 2) + '\n')],
    ['tokenizer_config.json', new TextEncoder().encode(JSON.stringify(tokenizerConfig(proto, opts), null, 2) + '\n')],
  ];
  for (const [name, bytes] of files) writeFileAtomic(join(dir, name), (fd) => writeAll(fd, bytes));
  return files.map(([n]) => join(dir, n));
}
