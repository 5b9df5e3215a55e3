import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PerplexityModel } from '../../../src/data/scorers/perplexity-model.js';
import { perplexityStage } from '../../../src/data/scorers/perplexity-stage.js';
import { percentile, trainPerplexityModel } from '../../../src/data/scorers/perplexity-train.js';
import { brownDocuments } from '../../../src/data/scorers/reference-corpus.js';
import { webJunkDocuments } from '../../../src/data/scorers/web-junk.js';
import { mulberry32 } from '../../../src/tensor/random.js';
import { llama2Model, missing } from '../../paths.js';

const dir = mkdtempSync(join(tmpdir(), 'yi-ppl-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const docs = brownDocuments({ maxFiles: 50, paragraphsPerDocument: 3 });
const train = docs.slice(0, 300);
const unseen = docs.slice(300, 340);
const trained = trainPerplexityModel({ input: train, seed: 1 });

function shuffleWords(text: string, seed: number): string {
  const r = mulberry32(seed);
  return text
    .split('\n')
    .map((line) => {
      const w = line.split(' ');
      for (let i = w.length - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [w[i], w[j]] = [w[j]!, w[i]!];
      }
      return w.join(' ');
    })
    .join('\n');
}

test('in-domain text scores lower perplexity than the same words shuffled and than web junk', async () => {
  const { model } = await trained;
  const inDomain = unseen.map((d) => model.perplexity(d));
  const shuffled = unseen.map((d, i) => model.perplexity(shuffleWords(d, i)));
  const junk = webJunkDocuments(40, { seed: 3 }).map((d) => model.perplexity(d));
  const wins = inDomain.filter((p, i) => p < shuffled[i]!).length;
  assert.ok(wins >= 0.9 * unseen.length, `in-domain below shuffled for ${wins}/${unseen.length}`);
  const median = (a: number[]): number => percentile([...a].sort((x, y) => x - y), 50);
  assert.ok(median(inDomain) * 1.5 < median(shuffled), `medians: in-domain ${median(inDomain)}, shuffled ${median(shuffled)}`);
  assert.ok(median(inDomain) * 2 < median(junk), `medians: in-domain ${median(inDomain)}, junk ${median(junk)}`);
});

test('document perplexity is 10^(-sum log10 p / sum (tokens + 1)) over its non-blank lines', async () => {
  const { model } = await trained;
  const lines = ['The jury said it was pleased.', '', '  ', 'Élan, 1984 — “quoted”.'];
  let logp = 0;
  let n = 0;
  for (const toks of [['the', 'jury', 'said', 'it', 'was', 'pleased', '.'], ['elan', ',', '0000', '-', '"', 'quoted', '"', '.']]) {
    logp += model.lm.scoreSentence(toks.map((t) => model.vocab.id(t)));
    n += toks.length + 1;
  }
  const want = Math.pow(10, -logp / n);
  assert.ok(Math.abs(model.perplexity(lines.join('\n')) - want) < 1e-9 * want);
  assert.ok(Number.isNaN(model.perplexity('\n \n')));
});

test('cutoffs are percentiles (numpy linear) of the held-out perplexities', async () => {
  assert.equal(percentile([1, 2, 3, 4], 30), 1.9);
  assert.equal(percentile([10], 60), 10);
  assert.equal(percentile([1, 5], 100), 5);
  const { model, stats } = await trainPerplexityModel({ input: train, percentiles: [0, 100], heldOutFraction: 0.25 });
  assert.equal(stats.heldOutDocuments, 75);
  assert.equal(model.info.held_out.documents, 75);
  assert.equal(model.info.cutoffs.head, model.info.held_out.min);
  assert.equal(model.info.cutoffs.middle, model.info.held_out.max);
  const { model: m30 } = await trained;
  assert.equal(m30.info.cutoff_source, 'held-out');
  assert.ok(m30.info.cutoffs.head < m30.info.cutoffs.middle);
  assert.equal(m30.bucket(m30.info.cutoffs.head - 1e-9), 'head');
  assert.equal(m30.bucket(m30.info.cutoffs.head), 'middle');
  assert.equal(m30.bucket(m30.info.cutoffs.middle), 'tail');
  const given = await trainPerplexityModel({ input: train.slice(0, 20), cutoffs: { head: 100, middle: 200 } });
  assert.equal(given.stats.heldOutDocuments, 0);
  assert.deepEqual(given.model.info.cutoffs, { head: 100, middle: 200 });
  assert.equal(given.model.info.cutoff_source, 'given');
  await assert.rejects(trainPerplexityModel({ input: train.slice(0, 5) }), /only 0 held-out document\(s\).*larger heldOutFraction/);
  await assert.rejects(trainPerplexityModel({ input: ['', ' \n '], cutoffs: { head: 1, middle: 2 } }), /no training tokens/);
});

test('a saved model loads back with the same scores; training twice writes the same bytes', async () => {
  const { model } = await trained;
  const a = join(dir, 'a.kn');
  const b = join(dir, 'b.kn');
  model.save(a);
  (await trainPerplexityModel({ input: train, seed: 1 })).model.save(b);
  assert.ok(readFileSync(a).equals(readFileSync(b)));
  const back = PerplexityModel.load(a);
  for (const d of unseen.slice(0, 10)) assert.equal(back.perplexity(d), model.perplexity(d));
  assert.deepEqual(back.info.cutoffs, model.info.cutoffs);
  assert.deepEqual(back.lm.ngramCounts, model.lm.ngramCounts);
});

/** Rewrites element `index` of array `name` in a scorer file. */
function patchArray(path: string, name: string, index: number, write: (view: DataView, at: number) => void): void {
  const buf = readFileSync(path);
  const hlen = buf.readUInt32LE(8);
  const header = JSON.parse(buf.subarray(12, 12 + hlen).toString('utf8'));
  const e = header.arrays[name];
  const size = { u8: 1, u32: 4, f32: 4, f64: 8 }[e.dtype as 'u8'];
  const at = ((12 + hlen + 7) & ~7) + e.offset + index * size;
  write(new DataView(buf.buffer, buf.byteOffset, buf.byteLength), at);
  writeFileSync(path, buf);
}

test('broken model files fail with the file and the field named', async () => {
  const { model } = await trained;
  const good = join(dir, 'good.kn');
  model.save(good);
  const bytes = readFileSync(good);
  const bad = join(dir, 'bad.kn');
  const load = (): PerplexityModel => PerplexityModel.load(bad);
  writeFileSync(bad, Buffer.concat([Buffer.from('NOTAFILE'), bytes.subarray(8)]));
  assert.throws(load, /scorer model: .*bad\.kn: not a yi scorer model \(magic 'NOTAFILE'/);
  writeFileSync(bad, bytes.subarray(0, 5));
  assert.throws(load, /too short/);
  writeFileSync(bad, bytes.subarray(0, bytes.length - 100));
  assert.throws(load, /array '.*': \d+ bytes at data offset \d+ run past end of file/);
  const hdr = Buffer.from(bytes);
  hdr.writeUInt32LE(0x7fffffff, 8);
  writeFileSync(bad, hdr);
  assert.throws(load, /header length 2147483647 runs past end of file/);
  writeFileSync(bad, bytes);
  patchArray(bad, 'prefix_3', 5, (v, at) => v.setUint32(at, 0xfffffff0, true));
  assert.throws(load, /array 'prefix_3' element 5 is 4294967280, but order 2 has \d+ entries/);
  writeFileSync(bad, bytes);
  patchArray(bad, 'u_2', 0, (v, at) => v.setFloat32(at, 1.5, true));
  assert.throws(load, /array 'u_2' element 0 is 1.5, not a probability/);
  writeFileSync(bad, bytes.toString('latin1').replace('"scorer":"perplexity"', '"scorer":"safetysafe"'), 'latin1');
  assert.throws(load, /is a 'safetysafe' scorer model, expected a 'perplexity' one/);
  assert.throws(() => PerplexityModel.load(join(dir, 'missing.kn')), /missing\.kn: cannot open \(ENOENT\)/);
});

test('a tokenizer-based model scores pieces and refuses another tokenizer', { skip: missing(llama2Model) }, async () => {
  const { model } = await trainPerplexityModel({ input: train.slice(0, 100), tokenizer: llama2Model });
  assert.equal(model.info.tokens.kind, 'tokenizer');
  assert.ok(model.vocab.id('▁the') > 2 && model.vocab.id('ury') > 2, 'pieces are the vocabulary');
  const p = join(dir, 'tok.kn');
  model.save(p);
  const back = PerplexityModel.load(p);
  assert.equal(back.perplexity(unseen[0]!), model.perplexity(unseen[0]!));
  writeFileSync(p, readFileSync(p, 'latin1').replace(/"fingerprint":"[0-9a-f]{8}"/, '"fingerprint":"00000000"'), 'latin1');
  assert.throws(() => PerplexityModel.load(p), /was trained with another tokenizer \(32000 pieces, fingerprint 00000000\)/);
});

test('the stage adds perplexity and bucket, drops the configured buckets, and picks a model per language', async () => {
  const { model } = await trained;
  const path = join(dir, 'stage.kn');
  model.save(path);
  const stage = perplexityStage({ model: path });
  await stage.init!();
  assert.equal(stage.kind, 'scorer');
  assert.equal(stage.name, 'perplexity');
  const best = unseen.reduce((a, b) => (model.perplexity(a) <= model.perplexity(b) ? a : b));
  assert.notEqual(model.bucket(model.perplexity(best)), 'tail');
  const good = await stage.process({ id: 'a', text: best, metadata: { x: 1 } });
  assert.ok(good.keep);
  if (good.keep) {
    assert.equal(good.doc.metadata.x, 1);
    assert.equal(good.doc.metadata.perplexity, Math.round(model.perplexity(best) * 10) / 10);
    assert.ok(['head', 'middle'].includes(good.doc.metadata.perplexity_bucket as string));
  }
  const junk = webJunkDocuments(1, { seed: 9 })[0]!;
  assert.deepEqual(await stage.process({ id: 'b', text: junk, metadata: {} }), { keep: false, reason: 'perplexity_tail' });
  assert.deepEqual(await stage.process({ id: 'c', text: '  \n', metadata: {} }), { keep: false, reason: 'perplexity_no_tokens' });
  const cut = perplexityStage({ model, cutoffs: { head: 1e9, middle: 2e9 }, drop: ['head'] });
  assert.deepEqual(await cut.process({ id: 'a', text: best, metadata: {} }), { keep: false, reason: 'perplexity_head' });
  const perLang = perplexityStage({ models: { en: path } });
  assert.deepEqual(await perLang.process({ id: 'z', text: junk, metadata: { language: 'zh' } }), { keep: true, doc: { id: 'z', text: junk, metadata: { language: 'zh' } }, counts: { unscored: 1 } });
  assert.equal((await perLang.process({ id: 'e', text: junk, metadata: { language: 'en' } })).keep, false);
  assert.throws(() => perplexityStage({}), /perplexity: option 'model' .* or 'models' .* is required/);
  assert.throws(() => perplexityStage({ model: path, drop: ['bottom' as 'tail'] }), /option 'drop' must list buckets among head, middle, tail/);
  const missingFile = perplexityStage({ model: join(dir, 'nope.kn') });
  await assert.rejects(missingFile.init!(), /nope\.kn: cannot open/);
});
