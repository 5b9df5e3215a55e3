// Tokenizer encode throughput (MB/s of UTF-8 input) on the Llama 2 tokenizer.model over generated mixed
// English/Chinese text, with the SentencePiece library's figure on the same text measured in the same run
// (python3-sentencepiece in a child process) when it is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '../src/tokenizer/tokenizer.js';
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
  const ref = sentencepieceMBs(text, opts.quick ? 2 : 5);
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
function sentencepieceMBs(text: string, runs: number): number | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'yi-tok-bench-'));
  try {
    const file = join(dir, 'text.txt');
    writeFileSync(file, text);
    const py = [
      'import sys, time',
      'import sentencepiece as spm',
      `sp = spm.SentencePieceProcessor(model_file=${JSON.stringify(llama2Model)})`,
      `text = open(${JSON.stringify(file)}, encoding="utf-8").read()`,
      'sp.encode(text)',
      'ts = []',
      `for _ in range(${runs}):`,
      '    t0 = time.perf_counter(); sp.encode(text); ts.append(time.perf_counter() - t0)',
      'ts.sort()',
      'print(len(text.encode("utf-8")) / 1e6 / ts[len(ts) // 2])',
    ].join('\n');
    const r = spawnSync('python3', ['-c', py], { encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) return undefined;
    const v = Number(r.stdout.trim());
    return Number.isFinite(v) ? v : undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
