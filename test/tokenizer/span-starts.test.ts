// encodeSpans' `cut` and `spanStarts`: a cut span starts a run of its own (a token boundary where the
// caller needs one, e.g. where an answer begins, with the dummy-prefix state carried over as if the text
// went on), and spanStarts says at which id each span begins.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { llama2ChatTokenizer, trainedChatTokenizer } from './chat-tokenizers.js';
import { llama2Model, missing } from '../paths.js';

test('a cut span is encoded as a run of its own; spanStarts gives each span its first id', async () => {
  const tok = await trainedChatTokenizer();
  const whole = tok.encode('What is the capital');
  // The trained vocabulary merges across the cut point, so the cut changes the ids.
  const cutIds = [...tok.encode('What is the cap'), ...tok.encode('ital')];
  assert.notDeepEqual(cutIds, whole);
  const starts: number[] = [];
  const ids = tok.encodeSpans([{ text: 'What is the cap', trusted: true }, { text: 'ital', trusted: true, cut: true }], { spanStarts: starts });
  assert.deepEqual(ids, cutIds);
  assert.deepEqual(starts, [0, tok.encode('What is the cap').length]);
  // Without cut the two spans are one run: one start for both, the ids of the whole text.
  const merged: number[] = [];
  assert.deepEqual(tok.encodeSpans([{ text: 'What is the cap', trusted: true }, { text: 'ital', trusted: true }], { spanStarts: merged }), whole);
  assert.deepEqual(merged, [0, 0]);
  // A bos id comes before the first span.
  const withBos: number[] = [];
  tok.encodeSpans([{ text: 'hello', trusted: true }, { text: ' world', trusted: false }], { addBos: true, spanStarts: withBos });
  assert.deepEqual(withBos, [1, 1 + tok.encode('hello').length]);
});

test("a cut run continues the text: no second dummy prefix (Llama 2's tokenizer adds one)", { skip: missing(llama2Model) }, () => {
  const tok = llama2ChatTokenizer();
  const starts: number[] = [];
  const ids = tok.encodeSpans([{ text: 'Hello', trusted: true }, { text: 'world', trusted: true, cut: true }], { spanStarts: starts });
  const hello = tok.encode('Hello');
  assert.deepEqual(ids.slice(0, starts[1]), hello);
  assert.equal(tok.decode(ids), 'Helloworld');
  assert.notEqual(tok.idToPiece(ids[starts[1]!]!)[0], '\u2581');
});
