// The tokenizer trainer: sentencepiece parity (test/reference/spm_train_compare.py: vocabulary and
// compression against spm_train, and the sentencepiece library's ids with our model), Yi's vocabulary
// layout, byte-fallback round trips, the Hugging Face files, the CLI and its errors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { CHATML_TEMPLATE } from '../../src/tokenizer/chat.js';
import { encodeModelProto, PieceType, type ModelProtoInit } from '../../src/tokenizer/sentencepiece-proto.js';
import { tokenizerJson, writeTokenizerFiles } from '../../src/tokenizer/train-files.js';
import { trainTokenizer, TrainError, type TrainOptions } from '../../src/tokenizer/train.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { fixture, repoRoot } from '../paths.js';
import { bilingualCorpus } from '../../bench/corpus.js';

interface CompareResult {
  vocab_size: number;
  overlap: number;
  same_id: number;
  token_ratio: number;
  tokens_per_char_ours: number;
  tokens_per_char_spm: number;
  train_seconds_ours: number;
  train_seconds_spm: number;
  pieces_sha256_ours: string;
  cases?: Array<{ text: string; ids: number[]; decoded: string }>;
}
const compare = fixture<{ results: CompareResult[] }>('spm-train-compare.json');

const tmp = mkdtempSync(join(tmpdir(), 'yi-train-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const corpus = bilingualCorpus(2_000_000, 1);
let trained: Promise<{ proto: ModelProtoInit; tok: Tokenizer }> | undefined;
/** The model of the fixture's first configuration, trained once for the tests that need it. */
function fixtureModel(): Promise<{ proto: ModelProtoInit; tok: Tokenizer }> {
  trained ??= trainTokenizer([corpus], { vocabSize: compare.results[0]!.vocab_size }).then(({ proto }) => ({
    proto,
    tok: Tokenizer.fromSentencePiece(encodeModelProto(proto)),
  }));
  return trained;
}

const piecesHash = (proto: ModelProtoInit) => createHash('sha256').update(JSON.stringify(proto.pieces.map((p) => p.piece))).digest('hex');

test('spm_train parity (fixture): vocabulary overlap >= 95%, held-out tokens within 1%', () => {
  for (const r of compare.results) {
    assert.ok(r.overlap >= 0.95, `vocab ${r.vocab_size}: overlap ${r.overlap}`);
    assert.ok(r.token_ratio <= 1.01, `vocab ${r.vocab_size}: ours/spm tokens ${r.token_ratio}`);
  }
});

test('the trained model is the fixture one, and the sentencepiece library gives our ids with it', async () => {
  const { proto, tok } = await fixtureModel();
  const r = compare.results[0]!;
  assert.equal(proto.pieces.length, r.vocab_size);
  assert.equal(piecesHash(proto), r.pieces_sha256_ours, 'vocabulary differs from the fixture: rerun test/reference/spm_train_compare.py');
  for (const c of r.cases!) {
    assert.deepEqual(tok.encode(c.text), c.ids, `encode ${JSON.stringify(c.text.slice(0, 60))}`);
    assert.equal(tok.decode(c.ids), c.decoded);
  }
});

test("Yi's layout: specials at fixed ids, 256 byte pieces next, single digits, valid pieces", async () => {
  const { proto, tok } = await fixtureModel();
  const p = proto.pieces;
  assert.deepEqual(
    p.slice(0, 9).map((x) => [x.piece, x.type]),
    [
      ['<unk>', PieceType.UNKNOWN],
      ['<|startoftext|>', PieceType.CONTROL],
      ['<|endoftext|>', PieceType.CONTROL],
      ['<fim_prefix>', PieceType.CONTROL],
      ['<fim_middle>', PieceType.CONTROL],
      ['<fim_suffix>', PieceType.CONTROL],
      ['<|im_start|>', PieceType.CONTROL],
      ['<|im_end|>', PieceType.CONTROL],
      ['<|im_sep|>', PieceType.CONTROL],
    ],
  );
  for (let b = 0; b < 256; b++) assert.deepEqual([p[9 + b]!.piece, p[9 + b]!.type], [`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, PieceType.BYTE]);
  const normal = p.slice(265);
  assert.ok(normal.every((x) => x.type === PieceType.NORMAL));
  normal.forEach((x, i) => assert.equal(x.score, -i));
  for (const { piece } of normal) {
    assert.ok([...piece].length <= 16, piece);
    if (/[0-9]/.test(piece)) assert.equal(piece.length, 1, `digit piece ${piece}`);
    if (piece.slice(1).includes('\u2581')) assert.ok(/^\u2581+$/.test(piece), `whitespace inside ${piece}`);
    assert.ok(!/[\p{Script=Latin}]/u.test(piece) || !/[\p{Script=Han}]/u.test(piece), `mixed scripts ${piece}`);
  }
  assert.deepEqual(tok.encode('2024'), ['2', '0', '2', '4'].map((d) => tok.pieceToId(d)));
  assert.deepEqual(tok.encode('<|im_start|>user\nhi<|im_end|>', { parseSpecial: true }).slice(0, 1), [6]);
});

test('round trip decode(encode(x)) == x on random Unicode (emoji, rare CJK, astral planes) via byte fallback', async () => {
  const { tok } = await fixtureModel();
  let s = 7;
  const rnd = (n: number) => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) % n);
  const ranges: Array<[number, number]> = [[0x20, 0x7e], [0x4e00, 0x9fff], [0x3400, 0x4dbf], [0x20000, 0x2a6df], [0x1f300, 0x1faff], [0x0400, 0x04ff], [0x0600, 0x06ff], [0xac00, 0xd7a3], [0x1, 0x1f], [0xe000, 0xf8ff]];
  for (let t = 0; t < 300; t++) {
    let text = '';
    const n = 1 + rnd(40);
    for (let i = 0; i < n; i++) {
      const [lo, hi] = ranges[rnd(ranges.length)]!;
      text += String.fromCodePoint(lo + rnd(hi - lo + 1));
      if (rnd(5) === 0) text += ' ';
    }
    assert.equal(tok.decode(tok.encode(text)), text, JSON.stringify(text));
  }
  const rare = '𠮷🦄'; // not in the corpus
  const ids = tok.encode(rare);
  assert.ok(ids.every((id) => tok.vocab.types[id] === PieceType.BYTE), 'characters outside the coverage are bytes');
  assert.equal(ids.length, 8);
});

test('tokenizer.json and tokenizer_config.json: same ids as tokenizer.model, ChatML template, specials', async () => {
  const { proto, tok } = await fixtureModel();
  const dir = join(tmp, 'hf');
  writeTokenizerFiles(dir, proto);
  const fromJson = Tokenizer.fromTokenizerJson(join(dir, 'tokenizer.json'));
  const folder = Tokenizer.load(dir);
  for (const c of compare.results[0]!.cases!) {
    assert.deepEqual(fromJson.encode(c.text), c.ids, `tokenizer.json: ${JSON.stringify(c.text.slice(0, 60))}`);
    assert.deepEqual(folder.encode(c.text), c.ids);
  }
  for (const line of corpus.slice(0, 20000).split('\n')) assert.deepEqual(fromJson.encode(line), tok.encode(line));
  const cfg = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
  assert.equal(cfg.chat_template, CHATML_TEMPLATE);
  assert.equal(cfg.bos_token, '<|startoftext|>');
  assert.equal(cfg.eos_token, '<|endoftext|>');
  assert.equal(cfg.add_bos_token, false);
  assert.equal(cfg.added_tokens_decoder['7'].content, '<|im_end|>');
  assert.deepEqual(folder.encode('<|im_start|>hi<|im_end|>', { parseSpecial: true }), [6, ...tok.encode('hi'), 7]);
  assert.ok(folder.endOfGenerationIds.includes(7) && folder.endOfGenerationIds.includes(2));
});

// Expected vocabularies from spm_train 0.1.97 on the same lines (sentencepiece's counting of "aa" pairs:
// overlapping occurrences are dropped when counted and never merged later).
const SPM_CASES: Array<[string, number, string]> = [
  ['aaaa\n'.repeat(10) + 'bc\n'.repeat(15) + 'de\n'.repeat(25), 11, '<unk> <s> </s> de aa bc a d e b c'],
  ['caaa\n'.repeat(10) + 'ca\n'.repeat(40) + 'aa\n'.repeat(9), 8, '<unk> <s> </s> ca caa caaa a c'],
  ['caaa\n'.repeat(10) + 'ca\n'.repeat(40) + 'de\n'.repeat(5), 9, '<unk> <s> </s> ca caa a c d e'],
  ['cde\n'.repeat(10) + 'cd\n'.repeat(10) + 'ab\n'.repeat(10), 10, '<unk> <s> </s> cd ab c d a b e'],
];

test('merge order and counting match spm_train on small cases (ties: shorter, then smaller piece)', async () => {
  const opts: TrainOptions = { vocabSize: 0, controlSymbols: [], byteFallback: false, characterCoverage: 1, bosPiece: '<s>', eosPiece: '</s>' };
  for (const [text, vocabSize, expected] of SPM_CASES) {
    const { proto } = await trainTokenizer([text], { ...opts, vocabSize });
    assert.equal(proto.pieces.map((p) => p.piece).join(' '), expected, JSON.stringify(text.slice(0, 20)));
  }
});

test('options: user-defined pieces after the controls, sentence sampling is seeded, async input', async () => {
  const lines = corpus.slice(0, 300_000).split('\n');
  async function* gen() {
    for (const l of lines) yield l;
  }
  const a = await trainTokenizer(gen(), { vocabSize: 1500, userDefinedSymbols: ['<tool>'], inputSentenceSize: 200, seed: 3 });
  const b = await trainTokenizer(lines, { vocabSize: 1500, userDefinedSymbols: ['<tool>'], inputSentenceSize: 200, seed: 3 });
  assert.equal(a.stats.sentences, 200);
  assert.deepEqual(a.proto.pieces, b.proto.pieces);
  assert.deepEqual([a.proto.pieces[9]!.piece, a.proto.pieces[9]!.type, a.proto.pieces[10]!.piece], ['<tool>', PieceType.USER_DEFINED, '<0x00>']);
  const tok = Tokenizer.fromSentencePiece(encodeModelProto(a.proto));
  assert.deepEqual(tok.encode('x<tool>y').includes(9), true);
  const c = await trainTokenizer(lines, { vocabSize: 1500, inputSentenceSize: 200, seed: 4 });
  assert.notDeepEqual(c.proto.pieces, b.proto.pieces);
});

test('errors: empty corpus, vocab size below the required pieces or above what the corpus allows', async () => {
  await assert.rejects(trainTokenizer([], { vocabSize: 1000 }), (e: Error) => e instanceof TrainError && /corpus is empty/.test(e.message));
  await assert.rejects(trainTokenizer(['\n\n', ''], { vocabSize: 1000 }), /corpus is empty/);
  await assert.rejects(trainTokenizer(['abc'], { vocabSize: 200 }), /vocab size 200 is too small: .*265/);
  await assert.rejects(trainTokenizer([corpus.slice(0, 50_000)], { vocabSize: 270 }), /vocab size 270 is too small: .*required characters/);
  await assert.rejects(trainTokenizer(['ab ab ab'], { vocabSize: 300 }), /too high for this corpus: only \d+ merges/);
  await assert.rejects(trainTokenizer(['x'], { vocabSize: 1000, userDefinedSymbols: ['<|im_end|>'] }), /given twice/);
});

function yi(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'src', 'cli', 'yi.js'), ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('CLI: yi tokenizer train on JSONL.gz and text; non-UTF-8 input and bad sizes are one-line errors', () => {
  const docs = corpus.slice(0, 400_000).split('\n').map((text) => JSON.stringify({ text }));
  const jsonl = join(tmp, 'c.jsonl.gz');
  writeFileSync(jsonl, gzipSync(docs.join('\n') + '\n'));
  const out = join(tmp, 'cli');
  const r = yi('tokenizer', 'train', '--input', jsonl, '--vocab-size', '2600', '--out', out, '--user-defined-symbols', '<a>', '<b>');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /trained 2600 pieces/);
  const tok = Tokenizer.load(out);
  assert.equal(tok.vocabSize, 2600);
  assert.equal(tok.pieceToId('<b>'), 10);
  const enc = yi('tokenizer', 'encode', '--tokenizer', out, '--text', '训练 data 42');
  assert.equal(enc.status, 0, enc.stderr);

  const bad = join(tmp, 'bad.txt');
  writeFileSync(bad, Buffer.from([0x61, 0x62, 0xff, 0xfe, 0x0a]));
  const e1 = yi('tokenizer', 'train', '--input', bad, '--vocab-size', '1000', '--out', join(tmp, 'x'));
  assert.equal(e1.status, 1);
  assert.match(e1.stderr, /^yi: .*bad\.txt: not valid UTF-8/);
  const empty = join(tmp, 'empty.txt');
  writeFileSync(empty, '');
  const e2 = yi('tokenizer', 'train', '--input', empty, '--vocab-size', '1000', '--out', join(tmp, 'x'));
  assert.match(e2.stderr, /^yi: the training corpus is empty/);
  const e3 = yi('tokenizer', 'train', '--input', jsonl, '--vocab-size', '100', '--out', join(tmp, 'x'));
  assert.match(e3.stderr, /^yi: vocab size 100 is too small/);
});

test('tokenizer.json merges: ranked by piece score, every merged piece reachable', async () => {
  const { proto } = await fixtureModel();
  const j = tokenizerJson(proto) as { model: { merges: string[]; vocab: Record<string, number> } };
  const merged = new Set(j.model.merges.map((m) => m.replace(' ', '')));
  for (const p of proto.pieces.slice(265)) if ([...p.piece].length > 1) assert.ok(merged.has(p.piece), p.piece);
});
