// Exact parity with the SentencePiece library: expected ids and decodes come from
// test/reference/sentencepiece_fixtures.py (python3-sentencepiece), checked in as JSON.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { fixture, llama2Model, missing } from '../paths.js';

interface Case {
  text: string;
  ids: number[];
  decoded: string;
}
interface DecodeCase {
  ids: number[];
  decoded: string;
}

const llama2 = fixture<{ cases: Case[]; bilingual: Case; decode: DecodeCase[]; pieces: Record<string, string> }>('sentencepiece-llama2.json');
const yiLike = fixture<{ model_base64: string; cases: Case[]; decode: DecodeCase[] }>('sentencepiece-yi-like.json');

function checkCases(tok: Tokenizer, cases: Case[]): void {
  for (const c of cases) {
    assert.deepEqual(tok.encode(c.text), c.ids, `encode ${JSON.stringify(c.text)}`);
    assert.equal(tok.decode(c.ids), c.decoded, `decode of ${JSON.stringify(c.text)}`);
  }
}

function checkDecodes(tok: Tokenizer, cases: DecodeCase[]): void {
  for (const c of cases) {
    assert.equal(tok.decode(c.ids), c.decoded, `decode ${JSON.stringify(c.ids)}`);
    // The streaming decoder must agree with the batch decoder piece by piece.
    const d = tok.createStreamDecoder();
    let s = '';
    for (const id of c.ids) s += d.push(id);
    assert.equal(s + d.flush(), c.decoded, `stream decode ${JSON.stringify(c.ids)}`);
  }
}

test('Llama 2 tokenizer.model: ids and decodes match sentencepiece', { skip: missing(llama2Model) }, () => {
  const tok = Tokenizer.fromSentencePiece(llama2Model);
  assert.equal(tok.vocabSize, 32000);
  assert.ok(llama2.cases.length >= 20);
  checkCases(tok, llama2.cases);
  for (const [id, piece] of Object.entries(llama2.pieces)) {
    assert.equal(tok.idToPiece(Number(id)), piece);
    assert.equal(tok.pieceToId(piece), Number(id));
  }
  assert.deepEqual([tok.specials.unk, tok.specials.bos, tok.specials.eos, tok.specials.pad], [0, 1, 2, -1]);
});

test('Llama 2 tokenizer.model: bilingual Chinese + English paragraph', { skip: missing(llama2Model) }, () => {
  const tok = Tokenizer.fromSentencePiece(llama2Model);
  checkCases(tok, [llama2.bilingual]);
  assert.ok(llama2.bilingual.ids.length > 100);
});

test('Llama 2 tokenizer.model: byte-piece decoding (invalid UTF-8 -> U+FFFD per byte) matches', { skip: missing(llama2Model) }, () => {
  checkDecodes(Tokenizer.fromSentencePiece(llama2Model), llama2.decode);
});

test('Yi-like model trained by sentencepiece (no dummy prefix, split digits, byte fallback, ChatML pieces)', () => {
  const tok = Tokenizer.fromSentencePiece(Buffer.from(yiLike.model_base64, 'base64'));
  checkCases(tok, yiLike.cases);
  checkDecodes(tok, yiLike.decode);
  // User-defined ChatML markers are single tokens even in plain text; the control one is not.
  const start = tok.pieceToId('<|im_start|>')!;
  assert.ok(tok.encode('<|im_start|>user').includes(start));
  const sep = tok.pieceToId('<|im_sep|>')!;
  assert.ok(!tok.encode('a<|im_sep|>b').includes(sep));
  assert.ok(tok.encode('a<|im_sep|>b', { parseSpecial: true }).includes(sep));
});
