// A malformed tokenizer.json is refused with a TokenizerError naming the file and the field, never a
// TypeError, a stack overflow or a silent misreading. Before: `added_tokens: [null]` and
// `post_processor.single: [null]` threw TypeErrors, a Sequence nested 5,000 deep overflowed the stack,
// `byte_fallback: "yes"` was read as false, `added_tokens` as an object and null normalizers were
// ignored, and a duplicate vocab id silently replaced a piece.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FormatError } from '../../src/formats/errors.js';
import { TokenizerError } from '../../src/tokenizer/errors.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { tempDir } from '../formats/helpers.js';

const SPACE = '\u2581';

function valid(): Record<string, any> {
  return {
    added_tokens: [{ id: 0, content: '<unk>', special: true }, { id: 1, content: '<s>', special: true }],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: SPACE }, { type: 'Replace', pattern: { String: ' ' }, content: SPACE }] },
    post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }] },
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: SPACE }, content: ' ' }] },
    model: { type: 'BPE', unk_token: '<unk>', byte_fallback: false, vocab: { '<unk>': 0, '<s>': 1, a: 2, b: 3, ab: 4, [SPACE]: 5 }, merges: ['a b'] },
  };
}

/** Writes `json` (an object, or raw text) as tokenizer.json and loads it; returns the error thrown. */
function loadError(json: unknown): TokenizerError {
  const path = join(tempDir(), 'tokenizer.json');
  writeFileSync(path, typeof json === 'string' ? json : JSON.stringify(json));
  try {
    Tokenizer.load(path);
  } catch (e) {
    assert.ok(e instanceof TokenizerError && e instanceof FormatError, `expected a TokenizerError, got ${String(e)}`);
    assert.ok(e.message.startsWith(`tokenizer: ${path}: `), e.message);
    return e;
  }
  assert.fail('loaded without an error');
}

/** A Sequence of `key` nested `depth` deep around `leaf`, as JSON text (too deep for JSON.stringify). */
function nested(key: string, depth: number, leaf: string): string {
  return `{"type":"Sequence","${key}":[`.repeat(depth) + leaf + ']}'.repeat(depth);
}

test('tokenizer.json: the valid base file loads', () => {
  const path = join(tempDir(), 'tokenizer.json');
  writeFileSync(path, JSON.stringify(valid()));
  assert.deepEqual(Tokenizer.load(path).encode('ab'), [1, 5, 4]);
});

test('tokenizer.json: nulls in arrays are typed errors naming the entry', () => {
  const j = valid();
  j.added_tokens = [null];
  assert.match(loadError(j).message, /added_tokens\[0\]: expected an object, found null/);
  const k = valid();
  k.post_processor.single = [null];
  assert.match(loadError(k).message, /post_processor\.single\[0\]: expected an object, found null/);
  const l = valid();
  l.normalizer.normalizers.push(null);
  assert.match(loadError(l).message, /normalizer\.normalizers\[2\]: expected an object, found null/);
  const m = valid();
  m.model.merges = [null];
  assert.match(loadError(m).message, /model\.merges\[0\]: expected "left right" or \[left, right\], found null/);
});

test('tokenizer.json: fields of the wrong type are errors, not defaults', () => {
  const j = valid();
  j.model.byte_fallback = 'yes';
  assert.match(loadError(j).message, /model\.byte_fallback: expected a boolean, found "yes"/);
  const k = valid();
  k.added_tokens = { 0: { id: 0, content: '<unk>' } };
  assert.match(loadError(k).message, /added_tokens: expected an array, found an object/);
  const l = valid();
  l.model.unk_token = 7;
  assert.match(loadError(l).message, /model\.unk_token: expected a string, found 7/);
  const m = valid();
  m.model.merges = 'a b';
  assert.match(loadError(m).message, /model\.merges: expected an array, found "a b"/);
  const n = valid();
  n.model.vocab.b = '3';
  assert.match(loadError(n).message, /model\.vocab\["b"\]: expected a token id \(an integer >= 0\), found "3"/);
  assert.match(loadError('[1, 2]').message, /expected an object, found an array of 2/);
  assert.match(loadError('{"model": ').message, /not valid JSON/);
});

test('tokenizer.json: a duplicate vocab id names both pieces and the id', () => {
  const j = valid();
  j.model.vocab.b = 2;
  const e = loadError(j);
  const path = e.file;
  assert.equal(e.message, `tokenizer: ${path}: model.vocab["b"] = 2 duplicates id 2 of "a"`);
  const k = valid();
  k.added_tokens.push({ id: 3, content: 'zz', special: false });
  assert.match(loadError(k).message, /added_tokens\[2\]: id 3 is "zz" but id 3 is already "b"/);
  const l = valid();
  l.added_tokens.push({ id: 6, content: 'a', special: false });
  assert.match(loadError(l).message, /added_tokens\[2\]: "a" is id 6 but already id 2/);
});

test('tokenizer.json: ids beyond the token count or with gaps are refused before allocating', () => {
  const j = valid();
  j.model.vocab.b = 2 ** 31;
  assert.match(loadError(j).message, /model\.vocab\["b"\]: id 2147483648 is beyond the 8 tokens this file defines/);
  const k = valid();
  k.model.vocab.b = 1e300;
  assert.match(loadError(k).message, /model\.vocab\["b"\]: id 1e\+300 is beyond/);
  const l = valid();
  l.added_tokens.push({ id: 7, content: '<x>', special: true });
  assert.match(loadError(l).message, /model\.vocab: no token has id 6 \(ids must run from 0 to 7 without gaps\)/);
});

test('tokenizer.json: Sequences nested 5,000 deep are refused by name (64 levels are allowed)', () => {
  const base = JSON.stringify(valid());
  const leaf = `{"type":"Prepend","prepend":"${SPACE}"}`;
  for (const [field, key] of [['normalizer', 'normalizers'], ['pre_tokenizer', 'pretokenizers'], ['decoder', 'decoders'], ['post_processor', 'processors']]) {
    const j = JSON.parse(base);
    j[field] = '@DEEP@';
    const text = JSON.stringify(j).replace('"@DEEP@"', nested(key!, 5000, leaf));
    assert.match(loadError(text).message, new RegExp(`${field}: Sequences nested more than 64 deep`));
  }
  // 64 levels read the same as the bare component.
  const ok = JSON.parse(base);
  ok.normalizer = '@DEEP@';
  const dir = tempDir();
  writeFileSync(join(dir, 'deep.json'), JSON.stringify(ok).replace('"@DEEP@"', nested('normalizers', 64, leaf)));
  writeFileSync(join(dir, 'flat.json'), JSON.stringify(ok).replace('"@DEEP@"', leaf));
  assert.deepEqual(Tokenizer.load(join(dir, 'deep.json')).encode('a ab'), Tokenizer.load(join(dir, 'flat.json')).encode('a ab'));
});

test('tokenizer.json: malformed merges, components and templates name the entry', () => {
  const cases: Array<[(j: Record<string, any>) => void, RegExp]> = [
    [(j) => (j.model.merges = ['a']), /model\.merges\[0\]: expected two tokens separated by one space, found "a"/],
    [(j) => (j.model.merges = ['a b c']), /model\.merges\[0\]: expected two tokens separated by one space/],
    [(j) => (j.model.merges = [['a', 'b'], ['a', 'q']]), /model\.merges\[1\]: "q" is not in the vocabulary/],
    [(j) => (j.model.merges = ['b a']), /model\.merges\[0\]: "ba" is not in the vocabulary/],
    [(j) => (j.model.unk_token = '<nope>'), /model\.unk_token: "<nope>" is not in the vocabulary/],
    [(j) => (j.model.type = 'Unigram'), /model\.type: "Unigram" is not supported/],
    [(j) => (j.normalizer = { type: 'NFKC' }), /normalizer: normalizer "NFKC" is not supported/],
    [(j) => (j.normalizer = { type: 5 }), /normalizer\.type: expected a string, found 5/],
    [(j) => (j.pre_tokenizer = { type: 'Metaspace', prepend_scheme: 'sometimes' }), /pre_tokenizer\.prepend_scheme: expected "always", "never" or "first"/],
    [(j) => (j.pre_tokenizer = { type: 'Metaspace', split: 'yes' }), /pre_tokenizer\.split: expected a boolean, found "yes"/],
    [(j) => (j.post_processor.single = [{ SpecialToken: { id: 5 } }]), /post_processor\.single\[0\]\.SpecialToken\.id: expected a string, found 5/],
    [(j) => (j.post_processor.single = [{ Other: {} }]), /post_processor\.single\[0\]: expected \{"Sequence": \.\.\.\} or \{"SpecialToken": \.\.\.\}/],
    [(j) => (j.added_tokens[0].special = 'true'), /added_tokens\[0\]\.special: expected a boolean, found "true"/],
    [(j) => (j.model.vocab = []), /model\.vocab: expected an object, found an array of 0/],
  ];
  for (const [mutate, re] of cases) {
    const j = valid();
    mutate(j);
    assert.match(loadError(j).message, re);
  }
});

test('tokenizer.json: a missing file is a TokenizerError, not a raw ENOENT', () => {
  const path = join(tempDir(), 'nothing', 'tokenizer.json');
  assert.throws(() => Tokenizer.load(path), (e: Error) => e instanceof TokenizerError && e.message === `tokenizer: ${path}: cannot read the file (ENOENT)`);
});
