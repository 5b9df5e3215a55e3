// `yi tokenizer encode|decode`: ids of a text, or the text of ids, with any tokenizer source
// (tokenizer.model, tokenizer.json, a Hugging Face folder or a .gguf file).
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
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
  const cmd = program.command('tokenizer').description('encode text to token ids and decode them back');
  cmd
    .command('encode')
    .description('print the token ids of a text')
    .requiredOption('--tokenizer <path>', 'tokenizer.model, tokenizer.json, a Hugging Face folder or a .gguf file')
    .option('--text <text>', 'the text to encode')
    .option('--file <path>', 'a UTF-8 file to encode')
    .option('--bos', 'add the beginning-of-sequence token')
    .option('--eos', 'add the end-of-sequence token')
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
