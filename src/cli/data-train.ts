// `yi data train-perplexity|train-quality|train-coherence|train-safety`: train a learned scorer of
// the cleaning pipeline on text files (or the bundled reference text) and save it as a model file.
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { statSync } from 'node:fs';
import { trainCoherenceClassifier } from '../data/scorers/coherence.js';
import type { ClassifierTrainingStats, ClassifierTrainOptions } from '../data/scorers/classifier-train.js';
import type { BinaryMetrics } from '../data/scorers/logistic.js';
import { trainPerplexityModel } from '../data/scorers/perplexity-train.js';
import { trainQualityClassifier } from '../data/scorers/quality.js';
import { bundledReferenceDocuments, brownDocuments, chineseReferenceDocuments } from '../data/scorers/reference-corpus.js';
import { trainSafetyClassifier } from '../data/scorers/safety.js';
import { concatTexts, type TextInput } from '../data/scorers/text-input.js';

interface InputFlags {
  field: string;
  textUnit: string;
  maxDocuments?: string;
  seed: string;
}

function num(v: string | undefined, flag: string, check: (n: number) => boolean = Number.isFinite, expected = 'a number'): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!check(n)) throw new Error(`--${flag} must be ${expected} (got '${v}')`);
  return n;
}

function numList(v: string | undefined, flag: string, len?: number): number[] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((x) => Number(x.trim()));
  if (parts.some((x) => !Number.isFinite(x)) || (len !== undefined && parts.length !== len)) throw new Error(`--${flag} must be ${len ?? 'a list of'} comma-separated numbers (got '${v}')`);
  return parts;
}

function textUnit(v: string): 'file' | 'line' {
  if (v !== 'file' && v !== 'line') throw new Error(`--text-unit must be 'file' or 'line' (got '${v}')`);
  return v;
}

/** Files given on the command line, plus the bundled reference documents when asked for. */
function inputOf(paths: string[] | undefined, bundled: TextInput | undefined, o: InputFlags, flag: string): TextInput {
  const parts: TextInput[] = [];
  if (paths?.length) parts.push({ paths, field: o.field, textUnit: textUnit(o.textUnit) });
  if (bundled) parts.push(bundled);
  if (parts.length === 0) throw new Error(`give the training text: --${flag} <paths...>, --bundled, or both`);
  return parts.length === 1 ? parts[0]! : concatTexts(...parts);
}

function classifierOptions(o: { bucketBits?: string; wordNgrams?: string; charNgrams?: string; epochs?: string; lr?: string; heldOut?: string; seed: string }): ClassifierTrainOptions {
  const isInt = (n: number): boolean => Number.isInteger(n) && n > 0;
  return {
    bucketBits: num(o.bucketBits, 'bucket-bits', isInt, 'a positive integer'),
    wordNgrams: num(o.wordNgrams, 'word-ngrams', isInt, 'a positive integer'),
    charNgrams: o.charNgrams === undefined ? undefined : o.charNgrams === 'none' ? null : (numList(o.charNgrams, 'char-ngrams', 2) as [number, number]),
    epochs: num(o.epochs, 'epochs', isInt, 'a positive integer'),
    learningRate: num(o.lr, 'lr', (n) => n > 0, 'a positive number'),
    heldOutFraction: num(o.heldOut, 'held-out', (n) => n >= 0 && n < 1, 'in [0, 1)'),
    seed: num(o.seed, 'seed', Number.isInteger, 'an integer'),
  };
}

const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');

function printMetrics(m: BinaryMetrics, labels: [string, string]): void {
  console.log(`held-out: ${m.n} documents (${m.positives} ${labels[0]}, ${m.n - m.positives} ${labels[1]}): accuracy ${pct(m.accuracy)} at p >= ${m.threshold}, precision ${pct(m.precision)}, recall ${pct(m.recall)}, AUC ${m.auc.toFixed(4)}`);
}

function printClassifier(out: string, stats: ClassifierTrainingStats, labels: [string, string]): void {
  console.log(`trained on ${stats.trainPositives} ${labels[0]} and ${stats.trainNegatives} ${labels[1]} documents in ${stats.seconds.toFixed(1)} s (${Math.round(stats.documentsPerSecond)} documents/s; scoring ${Math.round(stats.scoringDocumentsPerSecond)} documents/s)`);
  printMetrics(stats.heldOut, labels);
  console.log(`wrote ${out} (${(statSync(out).size / 2 ** 20).toFixed(1)} MiB)`);
}

const inputOptions = (c: Command): Command =>
  c
    .option('--field <name>', 'text field of JSONL records / column of Parquet files', 'text')
    .option('--text-unit <unit>', "plain text files: one document per 'file' or per 'line'", 'file')
    .option('--max-documents <n>', 'read at most this many documents (per class)')
    .option('--seed <n>', 'seed of the held-out split and of SGD', '0');

const classifierFlags = (c: Command, defaults: { bits: number; epochs: number; lr: number }): Command =>
  c
    .option('--bucket-bits <n>', `log2 of the number of hash buckets (default ${defaults.bits})`)
    .option('--epochs <n>', `SGD passes (default ${defaults.epochs})`)
    .option('--lr <f>', `initial learning rate, decaying linearly to 0 (default ${defaults.lr})`)
    .option('--held-out <f>', 'fraction held out to measure accuracy and AUC (default 0.2)');

export function registerDataTrainCommands(data: Command): void {
  inputOptions(
    data
      .command('train-perplexity')
      .description('train the perplexity scorer: a 5-gram Kneser-Ney model (CCNet) with head/middle/tail cutoffs measured on held-out text')
      .requiredOption('--out <file>', 'model file to write')
      .option('--input <paths...>', 'reference documents (CCNet: Wikipedia): .txt, .jsonl(.gz/.zst), .parquet or folders')
      .option('--bundled', 'add the bundled reference text (Brown corpus + a Chinese sample)')
      .option('--order <n>', 'n-gram order', '5')
      .option('--tokenizer <path>', "model a tokenizer's pieces (CCNet: SentencePiece) instead of normalised words")
      .option('--held-out <f>', 'fraction of documents held out to set the cutoffs (default 0.1)')
      .option('--percentiles <p30,p60>', 'held-out percentiles where head ends and tail begins', '30,60')
      .option('--cutoffs <head,middle>', 'fixed perplexity cutoffs instead of measured ones')
      .option('--prune <t1,t2,...>', 'lmplz-style pruning: drop n-grams with adjusted count <= t per order (e.g. 0,0,1)')
      .option('--no-progress', 'no progress line'),
  ).action(async (o: InputFlags & { out: string; input?: string[]; bundled?: boolean; order: string; tokenizer?: string; heldOut?: string; percentiles: string; cutoffs?: string; prune?: string; progress: boolean }) => {
    const input = inputOf(o.input, o.bundled ? bundledReferenceDocuments() : undefined, o, 'input');
    const cut = numList(o.cutoffs, 'cutoffs', 2);
    const bar = o.progress && process.stderr.isTTY ? new SingleBar({ format: 'reading {value} documents, {tokens} tokens', stream: process.stderr, clearOnComplete: true }) : undefined;
    bar?.start(0, 0, { tokens: 0 });
    const { model, stats } = await trainPerplexityModel({
      input,
      order: num(o.order, 'order', (n) => Number.isInteger(n) && n >= 1 && n <= 12, 'an integer from 1 to 12'),
      tokenizer: o.tokenizer,
      heldOutFraction: num(o.heldOut, 'held-out', (n) => n >= 0 && n < 1, 'in [0, 1)'),
      percentiles: numList(o.percentiles, 'percentiles', 2) as [number, number],
      cutoffs: cut ? { head: cut[0]!, middle: cut[1]! } : undefined,
      prune: numList(o.prune, 'prune'),
      seed: num(o.seed, 'seed', Number.isInteger, 'an integer'),
      maxDocuments: num(o.maxDocuments, 'max-documents', (n) => Number.isInteger(n) && n > 0, 'a positive integer'),
      onProgress: bar ? (p) => bar.update(p.documents, { tokens: p.tokens }) : undefined,
    });
    bar?.stop();
    model.save(o.out);
    const mb = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
    console.log(`trained a ${model.lm.order}-gram model on ${stats.tokens} tokens (${stats.sentences} lines of ${stats.documents - stats.heldOutDocuments} documents) in ${stats.seconds.toFixed(1)} s: ${Math.round(stats.tokensPerSecond)} tokens/s`);
    console.log(`n-grams per order: ${stats.ngrams.join(' / ')}; model ${mb(stats.modelBytes)} in memory, counts peaked at ${mb(stats.countBytes)}`);
    console.log(`discounts (D1, D2, D3+) per order: ${stats.discounts.map((d, i) => `${i + 1}: ${d.map((x) => x.toFixed(3)).join(', ')}${stats.discountFallback[i] ? ' (fallback)' : ''}`).join('; ')}`);
    const h = model.info.held_out;
    if (model.info.cutoff_source === 'held-out') console.log(`held-out: ${h.documents} documents, perplexity median ${h.median.toFixed(1)}, mean ${h.mean.toFixed(1)}`);
    console.log(`cutoffs (${model.info.cutoff_source}): head < ${model.info.cutoffs.head.toFixed(1)} <= middle < ${model.info.cutoffs.middle.toFixed(1)} <= tail`);
    console.log(`wrote ${o.out} (${mb(statSync(o.out).size)})`);
  });

  classifierFlags(
    inputOptions(
      data
        .command('train-quality')
        .description('train the document-quality classifier (fastText-style, hashed word and character n-grams): reference text vs web text; keep at p(reference) >= 0.25')
        .requiredOption('--out <file>', 'model file to write')
        .option('--positive <paths...>', 'reference-quality documents')
        .option('--bundled', 'add the bundled reference text (Brown corpus + a Chinese sample) to the positives')
        .option('--negative <paths...>', 'web documents (default: synthetic web junk, as many as the positives)')
        .option('--word-ngrams <n>', 'longest word n-gram (default 2)')
        .option('--char-ngrams <min,max>', "character n-gram lengths, or 'none' (default 3,5)"),
    ),
    { bits: 20, epochs: 5, lr: 16 },
  ).action(async (o: InputFlags & { out: string; positive?: string[]; bundled?: boolean; negative?: string[]; bucketBits?: string; wordNgrams?: string; charNgrams?: string; epochs?: string; lr?: string; heldOut?: string }) => {
    const positives = inputOf(o.positive, o.bundled ? bundledReferenceDocuments() : undefined, o, 'positive');
    const negatives = o.negative?.length ? { paths: o.negative, field: o.field, textUnit: textUnit(o.textUnit) } : undefined;
    const { model, stats, syntheticNegatives } = await trainQualityClassifier({ positives, negatives, maxDocuments: num(o.maxDocuments, 'max-documents', (n) => Number.isInteger(n) && n > 0, 'a positive integer'), ...classifierOptions(o) });
    model.save(o.out);
    if (syntheticNegatives) console.log('negatives: synthetic web junk (give --negative for real web text)');
    printClassifier(o.out, stats, ['reference', 'web']);
  });

  classifierFlags(
    inputOptions(
      data
        .command('train-coherence')
        .description('train the document-coherence classifier: windows of real documents vs windows spliced from sentences of different documents')
        .requiredOption('--out <file>', 'model file to write')
        .option('--input <paths...>', 'coherent documents (long ones give several windows)')
        .option('--bundled', 'add the bundled reference text (Brown samples whole + the Chinese sample)')
        .option('--min-sentences <n>', 'shortest window, and fewest sentences the stage scores (default 3)')
        .option('--max-sentences <n>', 'longest window (default 16)'),
    ),
    { bits: 12, epochs: 10, lr: 4 },
  ).action(async (o: InputFlags & { out: string; input?: string[]; bundled?: boolean; minSentences?: string; maxSentences?: string; bucketBits?: string; epochs?: string; lr?: string; heldOut?: string }) => {
    const input = inputOf(o.input, o.bundled ? [...brownDocuments(), ...chineseReferenceDocuments(1)] : undefined, o, 'input');
    const c = classifierOptions(o);
    const isInt = (n: number): boolean => Number.isInteger(n) && n > 0;
    const { model, stats } = await trainCoherenceClassifier({
      input,
      minSentences: num(o.minSentences, 'min-sentences', isInt, 'a positive integer'),
      maxSentences: num(o.maxSentences, 'max-sentences', isInt, 'a positive integer'),
      bucketBits: c.bucketBits,
      epochs: c.epochs,
      learningRate: c.learningRate,
      heldOutFraction: c.heldOutFraction,
      seed: c.seed,
      maxDocuments: num(o.maxDocuments, 'max-documents', isInt, 'a positive integer'),
    });
    model.save(o.out);
    printClassifier(o.out, stats, ['coherent', 'spliced']);
  });

  classifierFlags(
    inputOptions(
      data
        .command('train-safety')
        .description('train the safety scorer: word lists per category (violence, pornography, gambling, propaganda) plus a classifier of unsafe vs safe text')
        .requiredOption('--out <file>', 'model file to write')
        .option('--safe <paths...>', 'safe documents')
        .option('--bundled', 'add the bundled reference text (Brown corpus + a Chinese sample) to the safe documents')
        .option('--unsafe <paths...>', 'labelled unsafe documents (default: synthetic examples from templates and the word lists)')
        .option('--lists <dir>', 'folder of <category>.txt word lists stored with the model (default: the bundled samples)')
        .option('--word-ngrams <n>', 'longest word n-gram (default 2)')
        .option('--char-ngrams <min,max>', "character n-gram lengths, or 'none' (default 3,5)"),
    ),
    { bits: 20, epochs: 5, lr: 16 },
  ).action(async (o: InputFlags & { out: string; safe?: string[]; bundled?: boolean; unsafe?: string[]; lists?: string; bucketBits?: string; wordNgrams?: string; charNgrams?: string; epochs?: string; lr?: string; heldOut?: string }) => {
    const safe = inputOf(o.safe, o.bundled ? bundledReferenceDocuments() : undefined, o, 'safe');
    const unsafe = o.unsafe?.length ? { paths: o.unsafe, field: o.field, textUnit: textUnit(o.textUnit) } : undefined;
    const { model, stats, syntheticUnsafe } = await trainSafetyClassifier({ safe, unsafe, lists: o.lists, maxDocuments: num(o.maxDocuments, 'max-documents', (n) => Number.isInteger(n) && n > 0, 'a positive integer'), ...classifierOptions(o) });
    model.save(o.out);
    if (syntheticUnsafe) console.log('unsafe documents: synthetic examples (give --unsafe for labelled data)');
    console.log(`word lists: ${Object.entries(model.extra.lists as Record<string, string[]>).map(([c, t]) => `${c} (${t.length})`).join(', ')}`);
    printClassifier(o.out, stats, ['unsafe', 'safe']);
  });
}
