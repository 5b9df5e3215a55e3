// Tokenizer encode throughput (MB/s of UTF-8 input) on the Llama 2 tokenizer.model over generated mixed
// English/Chinese text, with the SentencePiece library's figure on the same text measured in the same run
// (python3-sentencepiece in a child process) when it is installed. Tokenizer training: seconds of our
// trainer and of spm_train (same corpus, vocabulary size and options, same run) when spm_train is installed,
// and the encode MB/s of the trained model, ours vs the sentencepiece library.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeModelProto } from '../src/tokenizer/sentencepiece-proto.js';
import { trainTokenizer } from '../src/tokenizer/train.js';
import { Tokenizer } from '../src/tokenizer/tokenizer.js';
import { bilingualCorpus } from './corpus.js';
import { timeIt, type Reporter } from './harness.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const llama2Model = join(repoRoot, '..', 'shared', 'data', 'llama2-tokenizer', 'tokenizer.model');

/** Deterministic text: English sentences, Chinese runs, numbers, punctuation and newlines. */
export function mixedText(bytes: number, seed = 1): string {
  let s = seed >>> 0;
  const rnd = (n: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
  const en = 'the of and to in is that for it with as was on be by this are from at or an have not which but all were when we there can more if no out so said what up its about into than them only other new some could time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three'.split(' ');
  const zh = '我们在这个世界上的时候需要学习如何使用语言模型来理解人类的知识和文化数据训练开源中文英文双语智能系统研究发展技术问题方法结果可以进行通过重要经济社会国家工作生活';
  const parts: string[] = [];
  let len = 0;
  while (len < bytes) {
    let piece: string;
    const r = rnd(10);
    if (r < 6) {
      const n = 5 + rnd(15);
      const w: string[] = [];
      for (let i = 0; i < n; i++) w.push(en[rnd(en.length)]!);
      w[0] = w[0]![0]!.toUpperCase() + w[0]!.slice(1);
      piece = w.join(' ') + (rnd(3) === 0 ? ', ' + rnd(100000) + ' items. ' : '. ');
    } else if (r < 9) {
      const n = 8 + rnd(30);
      let t = '';
      for (let i = 0; i < n; i++) t += zh[rnd(zh.length)];
      piece = t + (rnd(2) ? '，' : '。');
    } else piece = '\n';
    parts.push(piece);
    len += Buffer.byteLength(piece);
  }
  return parts.join('');
}

export async function benchTokenizer(rep: Reporter, opts: { quick?: boolean }): Promise<void> {
  if (!existsSync(llama2Model)) {
    process.stderr.write(`tokenizer bench skipped: ${llama2Model} not found\n`);
    return;
  }
  const tok = Tokenizer.fromSentencePiece(llama2Model);
  const text = mixedText(opts.quick ? 256 << 10 : 4 << 20);
  const mb = Buffer.byteLength(text) / 1e6;
  let nTokens = 0;
  const sec = timeIt(() => (nTokens = tok.encode(text).length), { warmup: 1, runs: opts.quick ? 2 : 5, minSeconds: 0 });
  const ours = mb / sec;
  const ref = sentencepieceMBs(llama2Model, text, opts.quick ? 2 : 5);
  rep.add({
    bench: 'tokenizer',
    case: `encode llama2 ${mb.toFixed(1)} MB mixed en/zh`,
    value: ours,
    unit: 'MB/s',
    note: `${(nTokens / sec / 1e6).toFixed(2)} M tokens/s` + (ref ? `; ${(ours / ref).toFixed(2)}x sentencepiece` : ''),
  });
  if (ref) rep.add({ bench: 'tokenizer', case: 'encode llama2, python3-sentencepiece (same text)', value: ref, unit: 'MB/s', note: 'C++ library via Python, same run' });
  const ids = tok.encode(text);
  const dsec = timeIt(() => tok.decode(ids), { warmup: 1, runs: opts.quick ? 2 : 5, minSeconds: 0 });
  rep.add({ bench: 'tokenizer', case: 'decode llama2', value: mb / dsec, unit: 'MB/s' });
}

/** MB/s of sentencepiece's encode on the same text, or undefined when python3-sentencepiece is absent. */
function sentencepieceMBs(model: string, text: string, runs: number): number | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'yi-tok-bench-'));
  try {
    const file = join(dir, 'text.txt');
    writeFileSync(file, text);
    const py = [
      'import sys, time',
      'import sentencepiece as spm',
      `sp = spm.SentencePieceProcessor(model_file=${JSON.stringify(model)})`,
      `text = open(${JSON.stringify(file)}, encoding="utf-8").read()`,
      'sp.encode(text)',
      'ts = []',
      `for _ in range(${runs}):`,
      '    t0 = time.perf_counter(); sp.encode(text); ts.append(time.perf_counter() - t0)',
      'ts.sort()',
      'print(len(text.encode("utf-8")) / 1e6 / ts[len(ts) // 2])',
    ].join('\n');
    const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    const r = spawnSync(python, ['-c', py], { encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) return undefined;
    const v = Number(r.stdout.trim());
    return Number.isFinite(v) ? v : undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SPM_TRAIN_FLAGS = [
  '--model_type=bpe', '--character_coverage=0.9995', '--byte_fallback=true', '--split_digits=true', '--add_dummy_prefix=false',
  '--normalization_rule_name=identity', '--remove_extra_whitespaces=false', '--allow_whitespace_only_pieces=true',
  '--max_sentencepiece_length=16', '--unk_id=0', '--bos_id=1', '--eos_id=2', '--pad_id=-1', '--unk_piece=<unk>',
  '--bos_piece=<|startoftext|>', '--eos_piece=<|endoftext|>',
  '--control_symbols=<fim_prefix>,<fim_middle>,<fim_suffix>,<|im_start|>,<|im_end|>,<|im_sep|>', '--minloglevel=2',
];

/** Training time, ours vs spm_train (same corpus and options, one thread each), and the trained model's encode speed. */
export async function benchTokenizerTrain(rep: Reporter, opts: { quick?: boolean }): Promise<void> {
  const bytes = opts.quick ? 1_000_000 : 20_000_000;
  const vocabSize = opts.quick ? 4000 : 32000;
  const corpus = bilingualCorpus(bytes, 1);
  const mb = Buffer.byteLength(corpus) / 1e6;
  const dir = mkdtempSync(join(tmpdir(), 'yi-train-bench-'));
  try {
    const file = join(dir, 'corpus.txt');
    writeFileSync(file, corpus);
    const t0 = performance.now();
    const { proto, stats } = await trainTokenizer([readFileSync(file, 'utf8')], { vocabSize });
    const ours = (performance.now() - t0) / 1000;
    const model = join(dir, 'ours.model');
    writeFileSync(model, encodeModelProto(proto));
    let spm: number | undefined;
    if (existsSync('/usr/bin/spm_train') || spawnSync('spm_train', ['--help']).status === 0) {
      const s0 = performance.now();
      const r = spawnSync('spm_train', [`--input=${file}`, `--model_prefix=${join(dir, 'spm')}`, `--vocab_size=${vocabSize}`, '--num_threads=1', ...SPM_TRAIN_FLAGS], { encoding: 'utf8' });
      if (r.status === 0) spm = (performance.now() - s0) / 1000;
    }
    rep.add({
      bench: 'tokenizer-train',
      case: `train BPE ${vocabSize} on ${mb.toFixed(0)} MB en/zh (${stats.merges} merges)`,
      value: ours,
      unit: 's',
      note: `${Math.round(stats.merges / ours)} merges/s` + (spm !== undefined ? `; ${(ours / spm).toFixed(2)}x spm_train's time (target <= 1.0x)` : '; spm_train not installed'),
    });
    if (spm !== undefined) rep.add({ bench: 'tokenizer-train', case: 'spm_train --model_type=bpe, same corpus and options (1 thread)', value: spm, unit: 's', note: 'sentencepiece 0.1.97 C++, same run' });
    const text = bilingualCorpus(opts.quick ? 256 << 10 : 4 << 20, 7);
    const tmb = Buffer.byteLength(text) / 1e6;
    const tok = Tokenizer.fromSentencePiece(model);
    const sec = timeIt(() => tok.encode(text), { warmup: 1, runs: opts.quick ? 2 : 5, minSeconds: 0 });
    const ref = sentencepieceMBs(model, text, opts.quick ? 2 : 5);
    rep.add({
      bench: 'tokenizer-train',
      case: `encode with the trained model, ${tmb.toFixed(1)} MB held-out`,
      value: tmb / sec,
      unit: 'MB/s',
      note: ref ? `${(tmb / sec / ref).toFixed(2)}x sentencepiece (${ref.toFixed(2)} MB/s, same model and text)` : 'python3-sentencepiece not installed',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
