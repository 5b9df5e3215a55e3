// Hugging Face tokenizer.json of a SentencePiece-style BPE (Llama, Yi conversions) -> TokenizerSpec.
// Understood: model BPE (vocab, merges in rank order, byte_fallback, unk_token), added_tokens,
// normalizer Prepend("▁") / Replace(" ", "▁") (alone or in a Sequence), pre_tokenizer Metaspace, and a
// TemplateProcessing post_processor for bos/eos. Anything else is refused by name rather than guessed,
// and every field read is type-checked (TokenizerError naming the field).
import { showValue } from '../errors.js';
import { MAX_COMPONENT_DEPTH, MAX_MERGES, MAX_PIECES } from '../limits.js';
import { PieceType } from '../sentencepiece-proto.js';
import type { RankedMerges, TokenizerSpec } from '../spec.js';
import { JsonFields, type Json } from './json-fields.js';

const SPACE = '\u2581';

export function specFromTokenizerJson(input: unknown, source: string): TokenizerSpec {
  const f = new JsonFields(source);
  const root = f.obj(input, '(top level)');
  const model = f.obj(root.model, 'model');
  const type = f.optStr(model.type, 'model.type');
  if (type !== undefined && type !== 'BPE') f.fail('model.type', `${showValue(type)} is not supported (only BPE)`);
  const { pieces, addedType, idOf } = piecesById(f, f.obj(model.vocab, 'model.vocab'), f.optArray(root.added_tokens, 'added_tokens'));
  const n = pieces.length;

  const byteFallback = f.optBool(model.byte_fallback, 'model.byte_fallback', false);
  const unkPiece = f.str(model.unk_token, 'model.unk_token');
  const unkId = idOf(unkPiece) ?? f.fail('model.unk_token', `${showValue(unkPiece)} is not in the vocabulary`);
  const types = new Uint8Array(n).fill(PieceType.NORMAL);
  for (let id = 0; id < n; id++) {
    const t = addedType.get(id);
    if (t !== undefined) types[id] = t;
    else if (byteFallback && /^<0x[0-9A-F]{2}>$/.test(pieces[id]!)) types[id] = PieceType.BYTE;
  }
  types[unkId] = PieceType.UNKNOWN;

  const merges = rankedMerges(f, model.merges, idOf);
  // Scores only matter for sentencepiece-style merging; keep a faithful order for anyone reading them.
  const scores = new Float32Array(n);

  let addDummyPrefix = false;
  let escape = false;
  let prefixFragments: 'all' | 'first' = 'all';
  let splitOnSpaceSymbol = false;
  for (const { field, c } of components(f, root.normalizer, 'normalizer', 'normalizers')) {
    if (c.type === 'Prepend') {
      const prepend = f.str(c.prepend, `${field}.prepend`);
      if (prepend !== SPACE) f.fail(field, `Prepend of ${showValue(prepend)} is not supported (only "${SPACE}")`);
      addDummyPrefix = true;
    } else if (c.type === 'Replace') {
      const pattern = f.obj(c.pattern, `${field}.pattern`);
      if (pattern.String !== ' ' || c.content !== SPACE) f.fail(field, `only Replace of " " by "${SPACE}" is supported`);
      escape = true;
    } else f.fail(field, `normalizer ${showValue(c.type)} is not supported`);
  }
  for (const { field, c } of components(f, root.pre_tokenizer, 'pre_tokenizer', 'pretokenizers')) {
    if (c.type !== 'Metaspace') f.fail(field, `pre_tokenizer ${showValue(c.type)} is not supported`);
    const replacement = f.optStr(c.replacement, `${field}.replacement`) ?? SPACE;
    if (replacement !== SPACE) f.fail(`${field}.replacement`, `${showValue(replacement)} is not supported (only "${SPACE}")`);
    escape = true;
    const addPrefixSpace = f.optBool(c.add_prefix_space, `${field}.add_prefix_space`, true);
    const scheme = f.optStr(c.prepend_scheme, `${field}.prepend_scheme`) ?? (addPrefixSpace ? 'always' : 'never');
    if (scheme !== 'always' && scheme !== 'never' && scheme !== 'first') f.fail(`${field}.prepend_scheme`, `expected "always", "never" or "first", found ${showValue(scheme)}`);
    addDummyPrefix = scheme !== 'never';
    if (scheme === 'first') prefixFragments = 'first';
    splitOnSpaceSymbol = f.optBool(c.split, `${field}.split`, true);
  }
  // Decoders are implied by the normalizer (decode undoes "▁" and byte fallback itself); read for shape only.
  components(f, root.decoder, 'decoder', 'decoders');

  const { addBos, addEos, bosId, eosId } = postProcessor(f, root.post_processor, idOf);
  const special = (name: string): number => {
    const id = idOf(name);
    return id !== undefined && (types[id] === PieceType.CONTROL || types[id] === PieceType.USER_DEFINED) ? id : -1;
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

type IdOf = (piece: string) => number | undefined;

/**
 * Pieces by id from model.vocab and added_tokens (which may repeat vocab entries or extend them), and
 * the id of a piece. Ids must run from 0 without gaps, so no id can exceed the number of entries: larger
 * ones are refused before any array is sized by them.
 */
function piecesById(f: JsonFields, vocab: Json, added: unknown[]): { pieces: string[]; addedType: Map<number, PieceType>; idOf: IdOf } {
  const keys = Object.keys(vocab);
  const limit = keys.length + added.length;
  if (limit > MAX_PIECES) f.fail('model.vocab', `${limit} tokens (added_tokens included); at most ${MAX_PIECES} are supported`);
  const byId: Array<string | undefined> = new Array<string | undefined>(limit).fill(undefined);
  let n = 0;
  for (let i = 0; i < keys.length; i++) {
    const piece = keys[i]!;
    const id = vocab[piece];
    if (typeof id !== 'number' || !(id >= 0 && id < limit && Number.isInteger(id))) f.id(id, `model.vocab[${showValue(piece)}]`, limit);
    const before = byId[id as number];
    if (before !== undefined) f.fail('', `model.vocab[${showValue(piece)}] = ${id} duplicates id ${id} of ${showValue(before)}`);
    byId[id as number] = piece;
    if ((id as number) >= n) n = (id as number) + 1;
  }
  // The vocab object itself is the piece -> id map (its keys are already hashed by JSON.parse); only
  // numbers were accepted above, so an inherited property such as "constructor" never reads as an id.
  const vocabId = (piece: string): number | undefined => {
    const id = vocab[piece];
    return typeof id === 'number' ? id : undefined;
  };
  const addedIds = new Map<string, number>();
  const addedType = new Map<number, PieceType>();
  for (let i = 0; i < added.length; i++) {
    const field = `added_tokens[${i}]`;
    const t = f.obj(added[i], field);
    const id = f.id(t.id, `${field}.id`, limit);
    const content = f.str(t.content, `${field}.content`);
    const special = f.optBool(t.special, `${field}.special`, false);
    const before = byId[id];
    if (before !== undefined && before !== content) f.fail(field, `id ${id} is ${showValue(content)} but id ${id} is already ${showValue(before)}`);
    const other = addedIds.get(content) ?? vocabId(content);
    if (other !== undefined && other !== id) f.fail(field, `${showValue(content)} is id ${id} but already id ${other}`);
    byId[id] = content;
    addedIds.set(content, id);
    if (id >= n) n = id + 1;
    addedType.set(id, special ? PieceType.CONTROL : PieceType.USER_DEFINED);
  }
  for (let id = 0; id < n; id++) {
    if (byId[id] === undefined) f.fail('model.vocab', `no token has id ${id} (ids must run from 0 to ${n - 1} without gaps)`);
  }
  byId.length = n;
  return { pieces: byId as string[], addedType, idOf: (piece) => addedIds.get(piece) ?? vocabId(piece) };
}

/** model.merges ("left right" or [left, right], in rank order) as token ids; every token must exist. */
function rankedMerges(f: JsonFields, v: unknown, idOf: IdOf): RankedMerges {
  const list = f.array(v, 'model.merges');
  if (list.length > MAX_MERGES) f.fail('model.merges', `${list.length} merges; at most ${MAX_MERGES} are supported`);
  const out: RankedMerges = { left: new Int32Array(list.length), right: new Int32Array(list.length), merged: new Int32Array(list.length) };
  for (let rank = 0; rank < list.length; rank++) {
    const m = list[rank];
    let left: string;
    let right: string;
    if (typeof m === 'string') {
      const sp = m.indexOf(' ');
      if (sp < 0 || m.indexOf(' ', sp + 1) >= 0) f.fail(`model.merges[${rank}]`, `expected two tokens separated by one space, found ${showValue(m)}`);
      left = m.slice(0, sp);
      right = m.slice(sp + 1);
    } else if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') {
      left = m[0];
      right = m[1];
    } else {
      return f.fail(`model.merges[${rank}]`, `expected "left right" or [left, right], found ${showValue(m)}`);
    }
    const a = idOf(left);
    const b = idOf(right);
    const c = idOf(left + right);
    if (a === undefined || b === undefined || c === undefined) {
      const missing = a === undefined ? left : b === undefined ? right : left + right;
      f.fail(`model.merges[${rank}]`, `${showValue(missing)} is not in the vocabulary`);
    }
    out.left[rank] = a;
    out.right[rank] = b;
    out.merged[rank] = c;
  }
  return out;
}

/**
 * A component (normalizer, pre_tokenizer...) or a Sequence of them, flattened with each one's path in
 * the file; absent or null -> none. Nesting is capped so a hostile file cannot exhaust the stack.
 */
function components(f: JsonFields, v: unknown, field: string, listKey: string): Array<{ field: string; c: Json }> {
  const out: Array<{ field: string; c: Json }> = [];
  const walk = (x: unknown, at: string, depth: number): void => {
    const c = f.obj(x, at);
    const type = f.str(c.type, `${at}.type`);
    if (type !== 'Sequence') {
      out.push({ field: at, c });
      return;
    }
    if (depth >= MAX_COMPONENT_DEPTH) f.fail(field, `Sequences nested more than ${MAX_COMPONENT_DEPTH} deep`);
    const list = f.array(c[listKey], `${at}.${listKey}`);
    for (let i = 0; i < list.length; i++) walk(list[i], `${at}.${listKey}[${i}]`, depth + 1);
  };
  if (v !== undefined && v !== null) walk(v, field, 0);
  return out;
}

/** bos/eos from a TemplateProcessing "single" template: special tokens before/after the sequence $A. */
function postProcessor(f: JsonFields, v: unknown, idOf: IdOf): { addBos: boolean; addEos: boolean; bosId?: number; eosId?: number } {
  const out: { addBos: boolean; addEos: boolean; bosId?: number; eosId?: number } = { addBos: false, addEos: false };
  for (const { field, c } of components(f, v, 'post_processor', 'processors')) {
    if (c.type !== 'TemplateProcessing') continue;
    const single = f.array(c.single, `${field}.single`);
    let seenSeq = false;
    for (let i = 0; i < single.length; i++) {
      const at = `${field}.single[${i}]`;
      const item = f.obj(single[i], at);
      if (item.Sequence !== undefined) {
        f.obj(item.Sequence, `${at}.Sequence`);
        seenSeq = true;
      } else if (item.SpecialToken !== undefined) {
        const name = f.str(f.obj(item.SpecialToken, `${at}.SpecialToken`).id, `${at}.SpecialToken.id`);
        const id = idOf(name);
        if (id === undefined) continue;
        if (seenSeq) {
          out.addEos = true;
          out.eosId = id;
        } else {
          out.addBos = true;
          out.bosId = id;
        }
      } else {
        f.fail(at, 'expected {"Sequence": ...} or {"SpecialToken": ...}');
      }
    }
  }
  return out;
}
