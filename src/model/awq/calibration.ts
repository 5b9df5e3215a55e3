// Calibration tokens: the start of a text file, tokenized with the model's own tokenizer and cut into
// S sequences of T tokens, each starting with BOS as a prompt does (AutoAWQ cuts its samples into
// blocks of 512 tokens the same way).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Tokenizer } from '../../tokenizer/tokenizer.js';
import { AwqError } from './errors.js';

export interface CalibrationOptions {
  /** Tokens in all (default 4096). */
  tokens?: number;
  /** Tokens per sequence (default 512, at most the model's context). */
  seqLen?: number;
}

export interface Calibration {
  /** S * T token ids, sequence after sequence. */
  tokens: Int32Array;
  seqLen: number;
  sequences: number;
}

export const DEFAULT_CALIB_TOKENS = 4096;
export const DEFAULT_CALIB_SEQ_LEN = 512;

/** Bytes read per token asked for: far more than any tokenizer's average (about 4 for English). */
const BYTES_PER_TOKEN = 64;

function readPrefix(file: string, maxBytes: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AwqError(`calibration file ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a text file' : `cannot be read (${code ?? String(e)})`}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new AwqError(`calibration file ${file}: not a regular file`);
    const n = Math.min(st.size, maxBytes);
    const buf = Buffer.alloc(n);
    let done = 0;
    while (done < n) {
      const got = readSync(fd, buf, done, n - done, done);
      if (got === 0) break;
      done += got;
    }
    let text = buf.toString('utf8', 0, done);
    // A cut prefix may end inside a character or a word: keep whole lines.
    if (done < st.size) text = text.slice(0, Math.max(0, text.lastIndexOf('\n')));
    return text;
  } catch (e) {
    if (e instanceof AwqError) throw e;
    throw new AwqError(`calibration file ${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  } finally {
    closeSync(fd);
  }
}

/** The calibration sequences from `file`; an AwqError when it is missing, empty or too short. */
export function calibrationFromFile(file: string, tokenizer: Tokenizer, maxPositions: number, opts: CalibrationOptions = {}): Calibration {
  const want = opts.tokens ?? DEFAULT_CALIB_TOKENS;
  if (!Number.isInteger(want) || want < 2) throw new AwqError(`--calib-tokens must be an integer of at least 2, got ${want}`);
  const seqLen = Math.min(opts.seqLen ?? DEFAULT_CALIB_SEQ_LEN, maxPositions, want);
  const sequences = Math.ceil(want / seqLen);
  const bos = tokenizer.specials.bos;
  const body = bos >= 0 ? seqLen - 1 : seqLen;
  const need = sequences * body;
  const text = readPrefix(file, want * BYTES_PER_TOKEN + 4096);
  if (text.trim().length === 0) throw new AwqError(`calibration file ${file} has no text`);
  const ids = tokenizer.encode(text, { addBos: false, addEos: false });
  if (ids.length < need) {
    throw new AwqError(
      `calibration file ${file} has ${ids.length} tokens; ${sequences} sequence${sequences > 1 ? 's' : ''} of ${seqLen} (--calib-tokens ${want}) need ${need}: give a longer text or a smaller --calib-tokens`,
    );
  }
  const tokens = new Int32Array(sequences * seqLen);
  for (let s = 0; s < sequences; s++) {
    let at = s * seqLen;
    if (bos >= 0) tokens[at++] = bos;
    for (let i = 0; i < body; i++) tokens[at + i] = ids[s * body + i]!;
  }
  return { tokens, seqLen, sequences };
}
