// `yi tokenizer encode|decode`: ids of a text, or the text of ids, with any tokenizer source
// (tokenizer.model, tokenizer.json, a Hugging Face folder or a .gguf file).
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { readDocuments } from '../data/documents.js';
import { trainTokenizer, YI_CONTROL_SYMBOLS } from '../tokenizer/train.js';
import { writeTokenizerFiles } from '../tokenizer/train-files.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';

function readInput(o: { text?: string; file?: string }, what: string): string {
  if (o.text !== undefined && o.file !== undefined) throw new Error(`give --text or --file, not both`);
  if (o.text !== undefined) return o.text;
  if (o.file !== undefined) {
    try {
      return readFileSync(o.file, 'utf8');
    } catch (e) {
      throw new Error(`cannot read ${what} file ${o.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  throw new Error(`give the ${what} with --text or --file`);
}

export function registerTokenizer(program: Command): void {
  const cmd = program.command('tokenizer').description('train a tokenizer, encode text to token ids and decode them back');
  cmd
    .command('train')
    .description('train a SentencePiece BPE tokenizer with Yi\'s options; writes tokenizer.model, tokenizer.json, tokenizer_config.json')
    .requiredOption('--input <files...>', 'corpus files or folders: .txt, .jsonl (.gz/.zst) with a text field, .parquet')
    .requiredOption('--vocab-size <n>', 'vocabulary size (Yi: 64000)')
    .requiredOption('--out <dir>', 'output folder')
    .option('--field <name>', 'text field of JSONL records / column of Parquet files', 'text')
    .option('--character-coverage <f>', 'fraction of characters kept as pieces; the rest use byte fallback', '0.9995')
    .option('--max-piece-length <n>', 'longest piece in characters', '16')
    .option('--input-sentence-size <n>', 'sample this many sentences (lines) from a large corpus; 0 = all', '0')
    .option('--seed <n>', 'seed of the sentence sampling', '0')
    .option('--user-defined-symbols <pieces...>', 'extra pieces with fixed ids after the control symbols, matched in text')
    .option('--control-symbols <pieces...>', `control pieces after <unk>, <|startoftext|>, <|endoftext|> (default: ${YI_CONTROL_SYMBOLS.join(' ')})`)
    .option('--no-split-digits', 'let numbers merge into multi-digit pieces')
    .option('--no-byte-fallback', 'no <0xNN> pieces: characters outside the vocabulary become <unk>')
    .option('--no-progress', 'no progress bar')
    .action(async (o: { input: string[]; vocabSize: string; out: string; field: string; characterCoverage: string; maxPieceLength: string; inputSentenceSize: string; seed: string; userDefinedSymbols?: string[]; controlSymbols?: string[]; splitDigits: boolean; byteFallback: boolean; progress: boolean }) => {
      const num = (v: string, name: string): number => {
        const n = Number(v);
        if (!Number.isFinite(n)) throw new Error(`--${name} must be a number (got '${v}')`);
        return n;
      };
      const bar = o.progress && process.stderr.isTTY ? new SingleBar({ format: 'merges {bar} {value}/{total} {rate} merges/s eta {eta_formatted}', hideCursor: true, etaBuffer: 50 }) : undefined;
      let started = 0;
      const { proto, stats } = await trainTokenizer(readDocuments(o.input, { field: o.field, textUnit: 'line' }), {
        vocabSize: num(o.vocabSize, 'vocab-size'),
        characterCoverage: num(o.characterCoverage, 'character-coverage'),
        maxSentencepieceLength: num(o.maxPieceLength, 'max-piece-length'),
        inputSentenceSize: num(o.inputSentenceSize, 'input-sentence-size'),
        seed: num(o.seed, 'seed'),
        splitDigits: o.splitDigits,
        byteFallback: o.byteFallback,
        userDefinedSymbols: o.userDefinedSymbols ?? [],
        controlSymbols: o.controlSymbols,
        onProgress: bar
          ? (done, total) => {
              if (!started) {
                started = performance.now();
                bar.start(total, 0, { rate: '0' });
              }
              const s = (performance.now() - started) / 1000;
              bar.update(done, { rate: s > 0 ? Math.round(done / s).toString() : '0' });
            }
          : undefined,
      });
      bar?.stop();
      const files = writeTokenizerFiles(o.out, proto);
      console.log(
        `trained ${proto.pieces.length} pieces (${stats.metaPieces} special/byte, ${stats.merges} merges, ${stats.requiredChars} characters) ` +
          `from ${stats.sentences} sentences, ${stats.words} distinct words in ${stats.seconds.toFixed(1)} s`,
      );
      for (const f of files) console.log(`wrote ${f}`);
    });
  cmd
    .command('encode')
    .description('print the token ids of a text')
    .requiredOption('--tokenizer <path>', 'tokenizer.model, tokenizer.json, a Hugging Face folder or a .gguf file')
    .option('--text <text>', 'the text to encode')
    .option('--file <path>', 'a UTF-8 file to encode')
    // Unset flags leave the tokenizer's own default (add_bos_token / add_eos_token), so encode
    // gives the ids the model saw in training; --bos / --no-bos override it either way.
    .option('--bos', 'add the beginning-of-sequence token (default: as the tokenizer says: add_bos_token of tokenizer_config.json or the GGUF, the post-processor of tokenizer.json; a bare tokenizer.model adds none)')
    .option('--no-bos', 'do not add the beginning-of-sequence token, whatever the tokenizer says')
    .option('--eos', 'add the end-of-sequence token (default: as the tokenizer says, usually not)')
    .option('--no-eos', 'do not add the end-of-sequence token')
    .option('--special', 'recognise special-token text such as <|im_start|>')
    .option('--json', 'print a JSON object with the ids and their pieces')
    .action((o: { tokenizer: string; text?: string; file?: string; bos?: boolean; eos?: boolean; special?: boolean; json?: boolean }) => {
      const tok = Tokenizer.load(o.tokenizer);
      const ids = tok.encode(readInput(o, 'text'), { addBos: o.bos, addEos: o.eos, parseSpecial: o.special });
      if (o.json) console.log(JSON.stringify({ ids, pieces: ids.map((i) => tok.idToPiece(i)) }));
      else console.log(ids.join(' '));
    });
  cmd
    .command('decode')
    .description('print the text of token ids (separated by spaces, commas or a JSON array)')
    .requiredOption('--tokenizer <path>', 'tokenizer.model, tokenizer.json, a Hugging Face folder or a .gguf file')
    .option('--text <ids>', 'the ids, e.g. "1 450 4996"')
    .option('--file <path>', 'a file holding the ids')
    .option('--keep-special', 'print control tokens instead of dropping them')
    .action((o: { tokenizer: string; text?: string; file?: string; keepSpecial?: boolean }) => {
      const tok = Tokenizer.load(o.tokenizer);
      const raw = readInput(o, 'ids');
      const parts = raw.replace(/[[\],]/g, ' ').trim().split(/\s+/).filter(Boolean);
      const ids = parts.map((p, i) => {
        const n = Number(p);
        if (!Number.isInteger(n) || n < 0 || n >= tok.vocabSize) throw new Error(`id #${i} '${p}' is not a token id of this tokenizer (0 .. ${tok.vocabSize - 1})`);
        return n;
      });
      process.stdout.write(tok.decode(ids, { skipSpecial: !o.keepSpecial }) + '\n');
    });
}
