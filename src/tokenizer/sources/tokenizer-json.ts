// Hugging Face tokenizer.json of a SentencePiece-style BPE (Llama, Yi conversions) -> TokenizerSpec.
// Understood: model BPE (vocab, merges in rank order, byte_fallback, fuse_unk, unk_token), added_tokens,
// normalizer Prepend("▁") / Replace(" ", "▁") (alone or in a Sequence), pre_tokenizer Metaspace, and a
// TemplateProcessing post_processor for bos/eos. Anything else is refused by name rather than guessed.
import { PieceType } from '../sentencepiece-proto.js';
import type { TokenizerSpec } from '../spec.js';

type Json = Record<string, unknown>;

const SPACE = '\u2581';

export function specFromTokenizerJson(input: unknown, source: string): TokenizerSpec {
  const fail = (what: string): never => {
    throw new Error(`${source}: ${what}`);
  };
  if (!isObj(input)) fail('not a JSON object');
  const root = input as Json;
  const model = isObj(root.model) ? (root.model as Json) : fail('no "model" object');
  if (model.type !== undefined && model.type !== 'BPE') fail(`model type ${JSON.stringify(model.type)} is not supported (only BPE)`);
  if (!isObj(model.vocab)) fail('model.vocab is not an object');

  // Pieces by id: the BPE vocabulary plus added tokens (which may extend it).
  const byId = new Map<number, string>();
  for (const [piece, id] of Object.entries(model.vocab as Json)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) fail(`vocab entry ${JSON.stringify(piece)} has id ${String(id)}`);
    byId.set(id as number, piece);
  }
  const added = Array.isArray(root.added_tokens) ? (root.added_tokens as Json[]) : [];
  const addedType = new Map<number, PieceType>();
  for (const t of added) {
    if (typeof t.id !== 'number' || typeof t.content !== 'string') fail('added_tokens entry without id/content');
    byId.set(t.id as number, t.content as string);
    addedType.set(t.id as number, t.special ? PieceType.CONTROL : PieceType.USER_DEFINED);
  }
  const n = Math.max(-1, ...byId.keys()) + 1;
  const pieces: string[] = [];
  for (let id = 0; id < n; id++) pieces.push(byId.get(id) ?? fail(`no token with id ${id} (ids must be contiguous)`));

  const byteFallback = model.byte_fallback === true;
  const unkPiece = typeof model.unk_token === 'string' ? model.unk_token : undefined;
  const types = new Uint8Array(n).fill(PieceType.NORMAL);
  for (let id = 0; id < n; id++) {
    const p = pieces[id]!;
    if (addedType.has(id)) types[id] = addedType.get(id)!;
    else if (byteFallback && /^<0x[0-9A-F]{2}>$/.test(p)) types[id] = PieceType.BYTE;
    if (p === unkPiece) types[id] = PieceType.UNKNOWN;
  }
  if (!types.includes(PieceType.UNKNOWN)) fail('model.unk_token is missing from the vocabulary');

  const merges = new Map<string, number>();
  const rawMerges = Array.isArray(model.merges) ? (model.merges as unknown[]) : fail('model.merges is not an array');
  rawMerges.forEach((m, rank) => {
    const pair = typeof m === 'string' ? m : Array.isArray(m) && m.length === 2 ? `${m[0]} ${m[1]}` : fail(`merge ${rank} is neither "a b" nor [a, b]`);
    if (!merges.has(pair)) merges.set(pair, rank);
  });
  // Scores only matter for sentencepiece-style merging; keep a faithful order for anyone reading them.
  const scores = new Float32Array(n);

  let addDummyPrefix = false;
  let escape = false;
  let prefixFragments: 'all' | 'first' = 'all';
  let splitOnSpaceSymbol = false;
  for (const norm of flatten(root.normalizer, 'normalizers')) {
    if (norm.type === 'Prepend' && norm.prepend === SPACE) addDummyPrefix = true;
    else if (norm.type === 'Replace' && isObj(norm.pattern) && (norm.pattern as Json).String === ' ' && norm.content === SPACE) escape = true;
    else fail(`normalizer ${JSON.stringify(norm.type)} is not supported`);
  }
  for (const pre of flatten(root.pre_tokenizer, 'pretokenizers')) {
    if (pre.type !== 'Metaspace' || (pre.replacement ?? SPACE) !== SPACE) fail(`pre_tokenizer ${JSON.stringify(pre.type)} is not supported`);
    escape = true;
    const scheme = pre.prepend_scheme ?? (pre.add_prefix_space === false ? 'never' : 'always');
    addDummyPrefix = scheme !== 'never';
    if (scheme === 'first') prefixFragments = 'first';
    splitOnSpaceSymbol = pre.split !== false;
  }

  const { addBos, addEos, bosId, eosId } = postProcessor(root.post_processor, pieces);
  const special = (name: string): number => {
    const id = pieces.indexOf(name);
    return id >= 0 && (types[id] === PieceType.CONTROL || types[id] === PieceType.USER_DEFINED) ? id : -1;
  };
  return {
    source,
    pieces,
    scores,
    types,
    normalizer: { addDummyPrefix, removeExtraWhitespaces: false, escapeWhitespaces: escape, treatWhitespaceAsSuffix: false },
    byteFallback,
    bosId: bosId ?? special('<s>'),
    eosId: eosId ?? special('</s>'),
    padId: -1,
    addBos,
    addEos,
    unkSurface: ' \u2047 ',
    userDefinedMode: 'split',
    prefixFragments,
    merges,
    splitOnSpaceSymbol,
  };
}

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A component or a Sequence of them, as a flat list (null -> empty). */
function flatten(v: unknown, key: string): Json[] {
  if (!isObj(v)) return [];
  if (v.type === 'Sequence' && Array.isArray(v[key])) return (v[key] as unknown[]).filter(isObj).flatMap((x) => flatten(x, key));
  return [v];
}

/** bos/eos from a TemplateProcessing "single" template: special tokens before/after the sequence $A. */
function postProcessor(v: unknown, pieces: string[]): { addBos: boolean; addEos: boolean; bosId?: number; eosId?: number } {
  const out: { addBos: boolean; addEos: boolean; bosId?: number; eosId?: number } = { addBos: false, addEos: false };
  for (const p of flatten(v, 'processors')) {
    if (p.type !== 'TemplateProcessing' || !Array.isArray(p.single)) continue;
    let seenSeq = false;
    for (const item of p.single as Json[]) {
      if (isObj(item.Sequence)) seenSeq = true;
      else if (isObj(item.SpecialToken)) {
        const id = pieces.indexOf(String((item.SpecialToken as Json).id));
        if (id < 0) continue;
        if (seenSeq) {
          out.addEos = true;
          out.eosId = id;
        } else {
          out.addBos = true;
          out.bosId = id;
        }
      }
    }
  }
  return out;
}
