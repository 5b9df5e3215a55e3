// TEMPORARY: the interfaces of SFT-CONTRACT.md that other branches (sftdata, chatfacts) implement,
// reduced to what the trainer needs, so that the trainer builds and is tested before they land. Each
// export is replaced by the real module when its branch is merged, and this file is then deleted.
import { readFileSync } from 'node:fs';
import type { Tokenizer } from '../tokenizer/tokenizer.js';

export type ChatRole = 'system' | 'user' | 'assistant';
export interface ChatTurn {
  role: ChatRole;
  content: string;
}
export interface Conversation {
  id: string;
  messages: ChatTurn[];
  where: string;
  split?: string;
  answer?: string;
}
export type RejectReason = 'invalid-json' | 'bad-shape' | 'unknown-role' | 'empty-content' | 'no-assistant-turn' | 'too-long';

export class SftDataError extends Error {
  override name = 'SftDataError';
}

export class RejectCounter {
  readonly counts = new Map<RejectReason, number>();
  readonly examples = new Map<RejectReason, string[]>();
  add(reason: RejectReason, where: string): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
    const ex = this.examples.get(reason) ?? [];
    if (ex.length < 3) ex.push(where);
    this.examples.set(reason, ex);
  }
  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }
  summary(): string {
    if (this.total === 0) return 'no samples rejected';
    return [...this.counts].map(([r, n]) => `${r}: ${n} (e.g. ${this.examples.get(r)!.join(', ')})`).join('\n');
  }
}

export async function* readConversations(files: string[], opts: { strict?: boolean; rejects?: RejectCounter } = {}): AsyncGenerator<Conversation> {
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '') continue;
      const where = `${file}:${i + 1}`;
      const reject = (r: RejectReason) => {
        if (opts.strict) throw new SftDataError(`${where}: ${r}`);
        opts.rejects?.add(r, where);
      };
      let row: Record<string, unknown>;
      try {
        row = JSON.parse(line) as Record<string, unknown>;
      } catch {
        reject('invalid-json');
        continue;
      }
      const msgs = row.messages as { role: string; content: string }[] | undefined;
      if (!Array.isArray(msgs)) {
        reject('bad-shape');
        continue;
      }
      if (msgs.some((m) => !['system', 'user', 'assistant'].includes(m.role))) {
        reject('unknown-role');
        continue;
      }
      if (msgs.some((m) => typeof m.content !== 'string' || m.content === '')) {
        reject('empty-content');
        continue;
      }
      if (!msgs.some((m) => m.role === 'assistant')) {
        reject('no-assistant-turn');
        continue;
      }
      yield {
        id: typeof row.id === 'string' ? row.id : where,
        messages: msgs as ChatTurn[],
        where,
        ...(typeof row.split === 'string' ? { split: row.split } : {}),
        ...(typeof row.answer === 'string' ? { answer: row.answer } : {}),
      };
    }
  }
}

export interface RenderedSample {
  id: string;
  ids: Int32Array;
  trained: Uint8Array;
}

export class TooLongError extends Error {}

export function renderConversation(tok: Tokenizer, conv: Conversation, opts: { template?: string; seqLen?: number } = {}): RenderedSample {
  const start = tok.pieceToId('<|im_start|>')!;
  const end = tok.pieceToId('<|im_end|>')!;
  const ids: number[] = [];
  const trained: number[] = [];
  const push = (xs: number[], t: number) => xs.forEach((x) => (ids.push(x), trained.push(t)));
  for (const m of conv.messages) {
    const t = m.role === 'assistant' ? 1 : 0;
    push([start, ...tok.encode(`${m.role}\n`)], 0);
    push(tok.encode(m.content), t);
    push([end], t);
    push(tok.encode('\n'), 0);
  }
  if (opts.seqLen !== undefined && ids.length > opts.seqLen) throw new TooLongError(`${conv.where}: ${ids.length} tokens`);
  return { id: conv.id, ids: Int32Array.from(ids), trained: Uint8Array.from(trained) };
}

export interface SftBatch {
  B: number;
  T: number;
  inputs: Int32Array;
  targets: Int32Array;
  positions: Int32Array;
  segments: Int32Array;
  samples: number;
  trainedTokens: number;
}

export function packSamples(samples: readonly RenderedSample[], o: { seqLen: number; batchSize: number; packing: boolean; seed: number }): SftBatch[] {
  let s = o.seed >>> 0 || 1;
  const order = samples.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = Math.floor((s / 4294967296) * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const rows: number[][] = [];
  const fill: number[] = [];
  for (const i of order) {
    const n = samples[i]!.ids.length;
    let r = o.packing ? fill.findIndex((f) => f + n <= o.seqLen) : -1;
    if (r < 0) {
      rows.push([]);
      fill.push(0);
      r = rows.length - 1;
    }
    rows[r]!.push(i);
    fill[r]! += n;
  }
  const T = o.seqLen;
  const out: SftBatch[] = [];
  for (let b = 0; b < rows.length; b += o.batchSize) {
    const rs = rows.slice(b, b + o.batchSize);
    const B = rs.length;
    const batch: SftBatch = { B, T, inputs: new Int32Array(B * T), targets: new Int32Array(B * T).fill(-1), positions: new Int32Array(B * T), segments: new Int32Array(B * T).fill(-1), samples: 0, trainedTokens: 0 };
    rs.forEach((row, r) => {
      let at = r * T;
      row.forEach((si, seg) => {
        const smp = samples[si]!;
        for (let j = 0; j < smp.ids.length; j++) {
          batch.inputs[at + j] = smp.ids[j]!;
          batch.positions[at + j] = j;
          batch.segments[at + j] = seg;
          if (j + 1 < smp.ids.length && smp.trained[j + 1]) {
            batch.targets[at + j] = smp.ids[j + 1]!;
            batch.trainedTokens++;
          }
        }
        at += smp.ids.length;
        batch.samples++;
      });
    });
    out.push(batch);
  }
  return out;
}

export function normalizeAnswer(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(/[\s.,!?;:'"。！？，]+/g, ' ').trim();
}

export function exactMatch(pred: string, answer: string): boolean {
  return normalizeAnswer(pred) === normalizeAnswer(answer);
}
