// Worker thread of tokenizeCorpus: loads the tokenizer once, then encodes the batches it is sent
// and posts the ids back (transferred, not copied), tagged with the batch's number.
import { parentPort, workerData } from 'node:worker_threads';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import { encodeBatch, type DocumentIds } from './encode-batch.js';

const { tokenizer, marks } = workerData as { tokenizer: string; marks: DocumentIds };
const tok = Tokenizer.load(tokenizer);
parentPort!.on('message', (m: { id: number; texts: string[] }) => {
  const r = encodeBatch(tok, m.texts, marks);
  parentPort!.postMessage({ id: m.id, ...r }, [r.ids.buffer as ArrayBuffer, r.lengths.buffer as ArrayBuffer]);
});
