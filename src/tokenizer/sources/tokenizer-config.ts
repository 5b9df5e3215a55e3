// tokenizer_config.json applied over a TokenizerSpec: add_bos_token / add_eos_token, the bos/eos/pad
// token names, additional_special_tokens, and added_tokens_decoder entries beyond the model's vocabulary
// (appended as control or user-defined pieces). Every field read is type-checked; the work is linear in
// the vocabulary plus the config (tens of thousands of added tokens are common).
import { showValue } from '../errors.js';
import { MAX_PIECES } from '../limits.js';
import { PieceType } from '../sentencepiece-proto.js';
import type { TokenizerSpec } from '../spec.js';
import { isObj, JsonFields } from './json-fields.js';

/** A canonical decimal id, as the keys of added_tokens_decoder are written ("0", "32000"). */
const ID_KEY = /^(0|[1-9][0-9]{0,15})$/;

export function applyTokenizerConfig(spec: TokenizerSpec, config: unknown, source: string): void {
  const f = new JsonFields(source);
  const c = f.obj(config, '(top level)');
  spec.addBos = f.optBool(c.add_bos_token, 'add_bos_token', spec.addBos);
  spec.addEos = f.optBool(c.add_eos_token, 'add_eos_token', spec.addEos);

  const ids = new Map<string, number>();
  spec.pieces.forEach((p, id) => ids.set(p, id));
  const decoder = f.optObj(c.added_tokens_decoder, 'added_tokens_decoder');
  if (decoder) appendAddedTokens(f, spec, decoder, ids);

  // A token names a piece as a string or as an AddedToken object {content: ...}; null means none.
  const nameOf = (v: unknown, field: string): string | undefined => {
    if (v === undefined || v === null) return undefined;
    return isObj(v) ? f.str(v.content, `${field}.content`) : f.str(v, field);
  };
  const idOf = (v: unknown, field: string): number | undefined => {
    const name = nameOf(v, field);
    return name === undefined ? undefined : ids.get(name);
  };
  spec.bosId = idOf(c.bos_token, 'bos_token') ?? spec.bosId;
  spec.eosId = idOf(c.eos_token, 'eos_token') ?? spec.eosId;
  spec.padId = idOf(c.pad_token, 'pad_token') ?? spec.padId;
  idOf(c.unk_token, 'unk_token');
  const named: Record<string, number> = { ...spec.namedSpecials };
  const extra = f.optArray(c.additional_special_tokens, 'additional_special_tokens');
  for (let i = 0; i < extra.length; i++) {
    const field = `additional_special_tokens[${i}]`;
    const name = nameOf(extra[i], field) ?? f.fail(field, 'expected a token, found null');
    const id = ids.get(name);
    if (id !== undefined) named[name] = id;
  }
  spec.namedSpecials = named;
}

/**
 * added_tokens_decoder: ids inside the vocabulary must repeat its piece; ids past it extend the
 * vocabulary and must follow it without gaps. The new pieces are appended in one pass.
 */
function appendAddedTokens(f: JsonFields, spec: TokenizerSpec, decoder: Record<string, unknown>, ids: Map<string, number>): void {
  const n = spec.pieces.length;
  const keys = Object.keys(decoder);
  if (n + keys.length > MAX_PIECES) f.fail('added_tokens_decoder', `${keys.length} entries; at most ${MAX_PIECES} tokens in all are supported`);
  const entries: Array<{ id: number; field: string; content: string; special: boolean }> = [];
  for (const key of keys) {
    const field = `added_tokens_decoder[${showValue(key)}]`;
    if (!ID_KEY.test(key)) f.fail(field, 'the key is not a token id');
    const t = f.obj(decoder[key], field);
    const content = f.str(t.content, `${field}.content`);
    if (content.length === 0) f.fail(`${field}.content`, 'a token cannot be empty');
    entries.push({ id: Number(key), field, content, special: f.optBool(t.special, `${field}.special`, false) });
  }
  entries.sort((a, b) => a.id - b.id);
  const pieces: string[] = [];
  const types: number[] = [];
  for (const e of entries) {
    if (e.id < n) {
      if (spec.pieces[e.id] !== e.content) {
        f.fail(e.field, `is ${showValue(e.content)} but the vocabulary has ${showValue(spec.pieces[e.id])} at id ${e.id}`);
      }
      continue;
    }
    const next = n + pieces.length;
    if (e.id !== next) f.fail(e.field, `id ${e.id} leaves a gap after ${next - 1}`);
    const before = ids.get(e.content);
    if (before !== undefined) f.fail(e.field, `${showValue(e.content)} is already token ${before}`);
    ids.set(e.content, e.id);
    pieces.push(e.content);
    types.push(e.special ? PieceType.CONTROL : PieceType.USER_DEFINED);
  }
  if (pieces.length === 0) return;
  const scores = new Float32Array(n + pieces.length);
  scores.set(spec.scores);
  const allTypes = new Uint8Array(n + pieces.length);
  allTypes.set(spec.types);
  allTypes.set(types, n);
  spec.pieces = spec.pieces.concat(pieces);
  spec.scores = scores;
  spec.types = allTypes;
}
