// The trainer's data: every conversation of the training files rendered once with the model's chat
// template (samples longer than the sequence are rejected, counted by reason), and the held-out
// conversations the evaluation uses: the --eval-data files, or the rows marked "split": "heldout" in
// the training files (the chat-facts export marks its held-out entities so), which are never trained on.
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { RejectCounter, SftDataError, type Conversation } from './conversation.js';
import { packSamples, type SftBatch } from './pack.js';
import { readConversations } from './read-conversations.js';
import { renderConversation, type RenderedSample } from './render.js';
import { SftError } from './errors.js';

export interface HeldoutConversation {
  conv: Conversation;
  /** The canonical answer exact-match compares with: the row's "answer", else the last assistant turn. */
  answer: string;
  /** Rendered for the held-out loss; undefined when longer than the sequence length. */
  sample?: RenderedSample;
}

export interface SftData {
  train: RenderedSample[];
  /** The conversations of `train`, in the same order (the few-shot evaluation's pool of shots). */
  trainConversations: Conversation[];
  heldout: HeldoutConversation[];
  /** Training rows refused, by reason. */
  rejects: RejectCounter;
  /** Held-out rows refused (the --eval-data files'), by reason. */
  heldoutRejects: RejectCounter;
}

export interface LoadSftDataOptions {
  seqLen: number;
  template: string;
  /** Where the template came from, named in errors. */
  templateSource?: string;
  /** Refuse the first bad sample instead of counting it. */
  strict?: boolean;
  /** Held-out conversations from these files instead of the training files' "heldout" rows. */
  evalData?: string[];
}

export async function loadSftData(tok: Tokenizer, files: string[], o: LoadSftDataOptions): Promise<SftData> {
  const rejects = new RejectCounter();
  const heldoutRejects = new RejectCounter();
  const train: RenderedSample[] = [];
  const trainConversations: Conversation[] = [];
  const heldout: HeldoutConversation[] = [];
  const render = (conv: Conversation, counter: RejectCounter): RenderedSample | undefined => {
    try {
      return renderConversation(tok, conv, { template: o.template, templateSource: o.templateSource, seqLen: o.seqLen });
    } catch (e) {
      if (!(e instanceof SftDataError) || o.strict) throw e;
      counter.add(e);
      return undefined;
    }
  };
  const keepHeldout = (conv: Conversation, counter: RejectCounter) => {
    heldout.push({ conv, answer: conv.answer ?? lastAssistant(conv).content, sample: render(conv, counter) });
  };
  for await (const conv of readConversations(files, { strict: o.strict, rejects })) {
    if (conv.split === 'heldout') {
      if (o.evalData === undefined) keepHeldout(conv, rejects);
      continue;
    }
    const s = render(conv, rejects);
    if (s) {
      train.push(s);
      trainConversations.push(conv);
    }
  }
  if (o.evalData) {
    for await (const conv of readConversations(o.evalData, { strict: o.strict, rejects: heldoutRejects })) keepHeldout(conv, heldoutRejects);
  }
  if (train.length === 0) {
    throw new SftError(`${files.join(', ')}: no conversation to train on (${rejects.total} rejected${rejects.total ? `: ${rejects.summary()}` : ''})`);
  }
  return { train, trainConversations, heldout, rejects, heldoutRejects };
}

/** The last assistant turn of a conversation (the reader refuses conversations without one). */
export function lastAssistant(conv: Conversation): { index: number; content: string } {
  for (let i = conv.messages.length - 1; i >= 0; i--) {
    if (conv.messages[i]!.role === 'assistant') return { index: i, content: conv.messages[i]!.content };
  }
  throw new SftError(`${conv.where}: the conversation has no assistant turn`);
}

/** The held-out samples that fit, packed as the training batches are (same packing, fixed order). */
export function heldoutBatches(heldout: readonly HeldoutConversation[], o: { seqLen: number; rows: number; packing: boolean }): SftBatch[] {
  const samples = heldout.flatMap((h) => (h.sample ? [h.sample] : []));
  return samples.length === 0 ? [] : packSamples(samples, { seqLen: o.seqLen, batchSize: o.rows, packing: o.packing, seed: 1, trimToLongest: true });
}

/** A cheap fingerprint of the rendered training data (FNV-1a over ids and masks): a resume refuses changed data. */
export function dataFingerprint(samples: readonly RenderedSample[]): string {
  let h = 0x811c9dc5;
  const mix = (x: number) => {
    h ^= x;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  for (const s of samples) {
    mix(s.ids.length);
    for (let i = 0; i < s.ids.length; i++) mix((s.ids[i]! << 1) | s.trained[i]!);
  }
  return h.toString(16).padStart(8, '0');
}
