// Chat samples for supervised finetuning: the conversation type every reader produces, why a sample
// is refused, and the tally of refusals a run reports (a bad sample is counted or, with strict, stops
// the run; it is never silently changed into something else).

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatTurn {
  role: ChatRole;
  content: string;
  /**
   * Whether the loss is computed on this assistant turn. Default true; OpenAI's fine-tuning format
   * spells false as `"weight": 0` (an earlier answer kept as context but not learnt from).
   */
  train?: boolean;
}

export interface Conversation {
  id: string;
  messages: ChatTurn[];
  /** Where the sample came from: "file:line" (JSONL, 1-based) or "file:row N" (Parquet, 0-based). */
  where: string;
  /** The record's "split" field when a string ("train", "heldout": the chat-facts export's): held-out rows are evaluated, not trained on. */
  split?: string;
  /** The record's "answer" field when a string: the canonical answer held-out exact match compares with. */
  answer?: string;
  /** The record's "task" field when a string (the chat-facts export's: "country-capital"...): few-shot prompts take shots of the same task. */
  task?: string;
  /** The record's "entity" field when a string ("country:GH"): a few-shot prompt never shows the asked entity. */
  entity?: string;
}

export type RejectReason =
  /** A line that is not JSON or not UTF-8. */
  | 'invalid-json'
  /** A file, or the rest of one, that cannot be read: a corrupt or cut-short .gz/.zst stream, a damaged Parquet row group. */
  | 'unreadable'
  /** JSON of the wrong shape: no messages/conversations list, a turn that is not {role, content}, a non-string... */
  | 'bad-shape'
  | 'unknown-role'
  /** Content that is empty or only whitespace. */
  | 'empty-content'
  /** Content holding a lone surrogate (not encodable as UTF-8) or a noncharacter U+FDD0..U+FDEF. */
  | 'invalid-text'
  /** A system turn anywhere but first. */
  | 'misplaced-system'
  /** No assistant turn to learn from. */
  | 'no-assistant-turn'
  /** The rendered sample has more tokens than the sequence length. */
  | 'too-long'
  /** The chat template failed on the sample, dropped one of its turns or changed a turn's text. */
  | 'template-error';

export const REJECT_REASONS: readonly RejectReason[] = [
  'invalid-json',
  'unreadable',
  'bad-shape',
  'unknown-role',
  'empty-content',
  'invalid-text',
  'misplaced-system',
  'no-assistant-turn',
  'too-long',
  'template-error',
];

/** A sample that cannot be trained on as it is. */
export class SftDataError extends Error {
  override name = 'SftDataError';
  constructor(
    readonly reason: RejectReason,
    /** "file:line" of the sample (or the file alone for a failure of the whole file). */
    readonly where: string,
    /** The field at fault as a path into the record ('messages[2].role'), if one is. */
    readonly field: string | undefined,
    /** What was wrong and what was expected. */
    readonly detail: string,
  ) {
    super(`${where}: ${field === undefined ? '' : `${field}: `}${detail} (${reason})`);
  }
}

/** Refusals per reason, with the first few places each happened, for the run's report. */
export class RejectCounter {
  /** Records read (accepted or not): the denominator of the summary. */
  records = 0;
  private readonly byReason = new Map<RejectReason, { count: number; examples: string[] }>();

  constructor(readonly examplesPerReason = 3) {}

  add(e: SftDataError): void {
    let r = this.byReason.get(e.reason);
    if (!r) this.byReason.set(e.reason, (r = { count: 0, examples: [] }));
    r.count++;
    if (r.examples.length < this.examplesPerReason) r.examples.push(e.message.replace(/ \([a-z-]+\)$/, ''));
  }

  count(reason: RejectReason): number {
    return this.byReason.get(reason)?.count ?? 0;
  }

  get total(): number {
    let n = 0;
    for (const r of this.byReason.values()) n += r.count;
    return n;
  }

  /** Reasons in a fixed order, for logs and run reports. */
  toJSON(): { records: number; rejected: number; reasons: Partial<Record<RejectReason, { count: number; examples: string[] }>> } {
    const reasons: Partial<Record<RejectReason, { count: number; examples: string[] }>> = {};
    for (const reason of REJECT_REASONS) {
      const r = this.byReason.get(reason);
      if (r) reasons[reason] = { count: r.count, examples: [...r.examples] };
    }
    return { records: this.records, rejected: this.total, reasons };
  }

  /** One line per reason: "too-long: 12 (e.g. train.jsonl:40: 9123 tokens, more than the sequence length 4096)". */
  summary(): string {
    const total = this.total;
    if (total === 0) return `${this.records} samples read, none rejected`;
    // `records` is counted by readConversations; conversations made in code have none.
    const lines = [`${total}${this.records > 0 ? ` of ${this.records}` : ''} samples rejected:`];
    for (const [reason, r] of Object.entries(this.toJSON().reasons)) {
      lines.push(`  ${reason}: ${r.count} (e.g. ${r.examples.join('; ')})`);
    }
    return lines.join('\n');
  }
}
