// Tokenizer behaviour on small vocabularies built here: Yi's options through the ModelProto writer,
// the merge order, byte fallback, special pieces, streaming decode, tokenizer.json and GGUF metadata,
// and malformed inputs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeModelProto, ModelType, parseModelProto, PieceType, type ModelProtoInit } from '../../src/tokenizer/sentencepiece-proto.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { bytePiece } from '../../src/tokenizer/utf8.js';
import { IDENTITY_NORMALIZER, specialPieces } from './small-proto.js';

/** A Yi-shaped model: <unk> 0, bos 1, eos 2, ChatML markers, 256 byte pieces, then scored pieces. */
function yiLikeProto(extra: Array<[string, number]> = []): ModelProtoInit {
  const pieces = specialPieces('<|startoftext|>', '<|endoftext|>', ['<|im_start|>', '<|im_end|>'], ['<|im_sep|>']);
  for (let b = 0; b < 256; b++) pieces.push({ piece: bytePiece(b), type: PieceType.BYTE });
  const scored: Array<[string, number]> = [
    ['▁', -1], ['h', -2], ['e', -3], ['l', -4], ['o', -5], ['w', -6], ['r', -7], ['d', -8],
    ['1', -9], ['2', -10], ['3', -11], ['你', -12], ['好', -13], ['\n', -14],
    ['he', -20], ['ll', -21], ['hell', -22], ['hello', -23], ['▁w', -24], ['or', -25], ['▁wor', -26], ['ld', -26.5], ['▁world', -27],
    ['你好', -28], ['lo', -29], ['user', -30], ['u', -31], ['s', -32], ['us', -33], ['er', -34], ...extra,
  ];
  for (const [piece, score] of scored) pieces.push({ piece, score });
  return {
    pieces,
    trainerSpec: { modelType: ModelType.BPE, vocabSize: pieces.length, byteFallback: true, splitDigits: true, unkId: 0, bosId: 1, eosId: 2, padId: 0, bosPiece: '<|startoftext|>', eosPiece: '<|endoftext|>', unkPiece: '<unk>' },
    normalizerSpec: IDENTITY_NORMALIZER,
  };
}

const yi = () => Tokenizer.fromSentencePiece(encodeModelProto(yiLikeProto()));
const ids = (tok: Tokenizer, ...pieces: string[]) => pieces.map((p) => tok.pieceToId(p) ?? assert.fail(`no piece ${p}`));

test('ModelProto writer round trip keeps pieces, types and every spec field', () => {
  const init = yiLikeProto();
  const m = parseModelProto(encodeModelProto(init), 'yi-like');
  assert.equal(m.pieces.length, init.pieces.length);
  assert.equal(m.pieces[3]!.type, PieceType.USER_DEFINED);
  assert.equal(m.pieces[270]!.score, init.pieces[270]!.score);
  assert.equal(m.normalizerSpec.addDummyPrefix, false);
  assert.equal(m.normalizerSpec.removeExtraWhitespaces, false);
  assert.equal(m.trainerSpec.splitDigits, true);
  assert.equal(m.trainerSpec.byteFallback, true);
  assert.equal(m.trainerSpec.padId, 0);
  // Defaults come back for fields the writer was not given.
  assert.equal(m.trainerSpec.maxSentencepieceLength, 16);
  assert.equal(m.normalizerSpec.escapeWhitespaces, true);
  // Written again, byte for byte the same.
  assert.deepEqual(encodeModelProto(parseModelProto(encodeModelProto(m))), encodeModelProto(m));
});

test('Yi options: no dummy prefix, digits one by one, byte fallback, specials', () => {
  const tok = yi();
  assert.deepEqual(tok.encode('hello world'), ids(tok, 'hello', '▁world'));
  assert.deepEqual(tok.encode('123'), ids(tok, '1', '2', '3'));
  // 'Z' and '界' are not pieces: their UTF-8 bytes.
  assert.deepEqual(tok.encode('Z界'), [3 + 3 + 0x5a, 6 + 0xe7, 6 + 0x95, 6 + 0x8c]);
  assert.deepEqual(tok.encode('你好'), ids(tok, '你好'));
  assert.deepEqual(tok.encode('<|im_start|>user\nhello<|im_end|>'), ids(tok, '<|im_start|>', 'user', '\n', 'hello', '<|im_end|>'));
  // Control pieces only with parseSpecial.
  assert.ok(!tok.encode('<|endoftext|>').includes(2));
  assert.deepEqual(tok.encode('hello<|endoftext|>', { parseSpecial: true }), [...ids(tok, 'hello'), 2]);
  assert.deepEqual(tok.encode('hello', { addBos: true, addEos: true }), [1, ...ids(tok, 'hello'), 2]);
  assert.deepEqual([tok.specials.bos, tok.specials.eos, tok.specials.unk, tok.specials.pad], [1, 2, 0, 0]);
  assert.equal(tok.specials.named.get('<|im_end|>'), 4);
  assert.deepEqual(tok.endOfGenerationIds.sort(), [2, 4]);
  assert.equal(tok.decode(tok.encode(' hello world 123 你好 Z界\n')), ' hello world 123 你好 Z界\n');
  assert.equal(tok.decode([1, ...ids(tok, 'hello'), 2]), 'hello');
  assert.equal(tok.decode([1, ...ids(tok, 'hello'), 2], { skipSpecial: false }), '<|startoftext|>hello<|endoftext|>');
});

test('merge order: highest-scoring pair first, leftmost on ties', () => {
  // h+e (-20) first, then l+l (-21), then he+ll, then hell+o.
  const tok = yi();
  assert.deepEqual(tok.encode('hell'), ids(tok, 'hell'));
  // Make 'lo' the best piece: 'hello' becomes he + l + lo, never 'hello'.
  const loFirst = yiLikeProto();
  loFirst.pieces = loFirst.pieces.map((p) => (p.piece === 'lo' ? { ...p, score: 0 } : p));
  const t2 = Tokenizer.fromSentencePiece(encodeModelProto(loFirst));
  assert.deepEqual(t2.encode('hello'), ids(t2, 'he', 'l', 'lo'));
  // Ties: 'ab' and 'bc' both -1 in 'abc' -> the left pair wins.
  const tie = yiLikeProto([['a', -50], ['b', -51], ['c', -52], ['ab', -1], ['bc', -1]]);
  const t3 = Tokenizer.fromSentencePiece(encodeModelProto(tie));
  assert.deepEqual(t3.encode('abc'), ids(t3, 'ab', 'c'));
});

test('UNUSED pieces are merged through but never emitted', () => {
  const p = yiLikeProto([['x', -50], ['y', -51], ['z', -52], ['xy', -1], ['xyz', -2]]);
  p.pieces = p.pieces.map((q) => (q.piece === 'xy' ? { ...q, type: PieceType.UNUSED } : q));
  const tok = Tokenizer.fromSentencePiece(encodeModelProto(p));
  assert.deepEqual(tok.encode('xyz'), ids(tok, 'xyz'));
  assert.deepEqual(tok.encode('xy'), ids(tok, 'x', 'y'));
});

test('without byte fallback, a run of unknown characters is one <unk>', () => {
  const p = yiLikeProto();
  p.pieces = p.pieces.filter((q) => q.type !== PieceType.BYTE);
  p.trainerSpec!.byteFallback = false;
  const tok = Tokenizer.fromSentencePiece(encodeModelProto(p));
  assert.deepEqual(tok.encode('hello ZZZ'), [...ids(tok, 'hello', '▁'), 0]);
  assert.equal(tok.decode(tok.encode('hello ZZZ')), 'hello  \u2047 ');
});

test('stream decoder holds back split UTF-8 characters and agrees with decode()', () => {
  const tok = yi();
  const text = '界😀Z好界';
  const all = tok.encode(text);
  const d = tok.createStreamDecoder();
  const parts = all.map((id) => d.push(id));
  // '界' is three byte pieces: nothing until the third.
  assert.deepEqual(parts.slice(0, 3), ['', '', '界']);
  assert.deepEqual(parts.slice(3, 7), ['', '', '', '😀']);
  assert.equal(parts.join('') + d.flush(), text);
  // A character cut short by the end of the stream becomes U+FFFD per byte, as in decode().
  const cut = all.slice(0, 2);
  const d2 = tok.createStreamDecoder();
  assert.equal(cut.map((id) => d2.push(id)).join(''), '');
  assert.equal(d2.flush(), '\uFFFD\uFFFD');
  assert.equal(tok.decode(cut), '\uFFFD\uFFFD');
  assert.throws(() => tok.decode([99999]), /invalid token id 99999/);
});

test('tokenizer.json (Hugging Face BPE with byte_fallback) encodes like the same model from tokenizer.model', () => {
  const sp = yi();
  const vocab: Record<string, number> = {};
  for (let id = 0; id < sp.vocabSize; id++) vocab[sp.idToPiece(id)] = id;
  // Merges the way transformers' converter builds them from a sentencepiece vocab: every (a, b) whose
  // concatenation is a piece, ordered by that piece's score.
  const normals = [...Array(sp.vocabSize).keys()].filter((id) => sp.vocab.types[id] === PieceType.NORMAL);
  const merges: Array<[string, string, number]> = [];
  for (const id of normals) {
    const p = sp.idToPiece(id);
    for (let k = 1; k < p.length; k++) {
      const a = p.slice(0, k);
      const b = p.slice(k);
      if (a in vocab && b in vocab) merges.push([a, b, sp.vocab.scores[id]!]);
    }
  }
  merges.sort((x, y) => y[2] - x[2]);
  const json = {
    added_tokens: [1, 2, 3, 4, 5].map((id) => ({ id, content: sp.idToPiece(id), special: sp.vocab.types[id] === PieceType.CONTROL })),
    normalizer: { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
    pre_tokenizer: null,
    model: { type: 'BPE', vocab, merges: merges.map(([a, b]) => `${a} ${b}`), byte_fallback: true, fuse_unk: true, unk_token: '<unk>' },
  };
  const hf = Tokenizer.fromTokenizerJson(JSON.stringify(json));
  for (const t of ['hello world', 'hello  world\n123', '你好Z界', '<|im_start|>user\nhello<|im_end|>']) {
    assert.deepEqual(hf.encode(t), sp.encode(t), t);
    assert.equal(hf.decode(hf.encode(t)), t);
  }
  assert.throws(() => Tokenizer.fromTokenizerJson('{"model": {"type": "Unigram"}}'), /not supported/);
  assert.throws(() => Tokenizer.fromTokenizerJson('{"model": '), /tokenizer.json: not valid JSON/);
});

test('GGUF metadata (tokenizer.ggml.*) builds the same tokenizer, with llama.cpp defaults', () => {
  const sp = yi();
  const meta = new Map<string, unknown>([
    ['tokenizer.ggml.model', 'llama'],
    ['tokenizer.ggml.tokens', [...Array(sp.vocabSize).keys()].map((id) => sp.idToPiece(id))],
    ['tokenizer.ggml.scores', sp.vocab.scores],
    ['tokenizer.ggml.token_type', Int32Array.from(sp.vocab.types)],
    ['tokenizer.ggml.add_space_prefix', false],
    ['tokenizer.ggml.add_bos_token', false],
  ]);
  const g = Tokenizer.fromGGUFMetadata(meta);
  for (const t of ['hello world', '123 你好Z界', '<|im_start|>user\nhello<|im_end|>']) assert.deepEqual(g.encode(t), sp.encode(t), t);
  assert.deepEqual([g.specials.bos, g.specials.eos], [1, 2]);
  meta.set('tokenizer.ggml.model', 'gpt2');
  assert.throws(() => Tokenizer.fromGGUFMetadata(meta, 'x.gguf'), /x.gguf: tokenizer.ggml.model is "gpt2"/);
});

test('corrupt and truncated tokenizer.model files fail with the file named', () => {
  const bytes = encodeModelProto(yiLikeProto());
  assert.throws(() => Tokenizer.fromSentencePiece(bytes.subarray(0, bytes.length - 7)), /tokenizer.model: not a valid SentencePiece model/);
  assert.throws(() => parseModelProto(Uint8Array.from([0x0a, 0x50, 0x01]), 'bad.model'), /bad.model: not a valid SentencePiece model \(field 1 at byte 0 claims 80 bytes but only 1 remain/);
  assert.throws(() => parseModelProto(new Uint8Array(0), 'empty.model'), /empty.model: .*no pieces/);
  assert.throws(() => Tokenizer.fromSentencePiece('/nonexistent/tokenizer.model'), /ENOENT/);
  const noUnk = yiLikeProto();
  noUnk.pieces[0]!.type = PieceType.NORMAL;
  assert.throws(() => parseModelProto(encodeModelProto(noUnk), 'nounk.model'), /exactly one UNKNOWN/);
  const dup = yiLikeProto([['hello', -99]]);
  assert.throws(() => parseModelProto(encodeModelProto(dup), 'dup.model'), /defined twice/);
  const uni = yiLikeProto();
  uni.trainerSpec!.modelType = ModelType.UNIGRAM;
  assert.throws(() => Tokenizer.fromSentencePiece(encodeModelProto(uni)), /UNIGRAM is not supported/);
});
