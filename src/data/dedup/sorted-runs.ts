// External sorting for the global stages: index writes records sorted by a 64-bit key in runs of
// bounded size, combine streams all runs of all tasks through one k-way merge. Only a chunk of
// each run is in memory at a time, so memory is (number of runs) x (chunk), whatever the corpus.
import { openTableFile, readU32Range, type OpenTable, type SectionPlace } from './state-files.js';

/** Streams one sorted section of u32 records, `words` per record, the first two the key (hi, lo). */
export class RunReader {
  private buf: Uint32Array;
  private at = 0;
  private end = 0;
  private next = 0;
  /** Words of the current record start at `buf[pos]`. */
  pos = 0;

  constructor(
    private readonly table: OpenTable,
    private readonly place: SectionPlace,
    readonly words: number,
    /** Caller's label, e.g. the task the run belongs to. */
    readonly tag: number,
    chunkRecords = 4096,
  ) {
    if (place.type !== 'u32' || place.length % words) throw new Error(`${table.path}: a run section must hold u32 records of ${words} words`);
    this.buf = new Uint32Array(chunkRecords * words);
    this.fill();
  }

  get records(): number {
    return this.place.length / this.words;
  }

  private fill(): void {
    const left = this.place.length - this.next;
    const n = Math.min(left, this.buf.length);
    if (n > 0) readU32Range(this.table, this.place, this.next, n, this.buf);
    this.next += n;
    this.at = 0;
    this.end = n;
    this.pos = 0;
  }

  get done(): boolean {
    return this.at >= this.end;
  }

  hi(): number {
    return this.buf[this.pos]!;
  }
  lo(): number {
    return this.buf[this.pos + 1]!;
  }
  word(k: number): number {
    return this.buf[this.pos + k]!;
  }

  advance(): void {
    this.at += this.words;
    if (this.at >= this.end && this.next < this.place.length) this.fill();
    else this.pos = this.at;
  }
}

function less(a: RunReader, b: RunReader, ia: number, ib: number): boolean {
  const ah = a.hi();
  const bh = b.hi();
  if (ah !== bh) return ah < bh;
  const al = a.lo();
  const bl = b.lo();
  if (al !== bl) return al < bl;
  return ia < ib; // equal keys: in the order the readers were given (deterministic)
}

/**
 * Visits every record of every reader in key order (ties in reader order): `visit(reader)` reads
 * the current record through the reader's accessors.
 */
export function mergeRuns(readers: RunReader[], visit: (r: RunReader) => void): void {
  const heap: number[] = [];
  for (let i = 0; i < readers.length; i++) if (!readers[i]!.done) heap.push(i);
  const lt = (x: number, y: number) => less(readers[heap[x]!]!, readers[heap[y]!]!, heap[x]!, heap[y]!);
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) return;
      const m = l + 1 < heap.length && lt(l + 1, l) ? l + 1 : l;
      if (!lt(m, i)) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
  while (heap.length) {
    const r = readers[heap[0]!]!;
    visit(r);
    r.advance();
    if (r.done) {
      heap[0] = heap[heap.length - 1]!;
      heap.pop();
    }
    if (heap.length) down(0);
  }
}

/** Opens section `section` of each run file; close them with closeRuns. */
export function openRuns(files: { path: string; tag: number }[], kind: string, section: string, words: number): { readers: RunReader[]; tables: OpenTable[] } {
  const tables: OpenTable[] = [];
  const readers: RunReader[] = [];
  try {
    for (const f of files) {
      const t = openTableFile(f.path, kind);
      tables.push(t);
      readers.push(new RunReader(t, t.section(section), words, f.tag));
    }
  } catch (e) {
    for (const t of tables) t.close();
    throw e;
  }
  return { readers, tables };
}

export function closeRuns(tables: OpenTable[]): void {
  for (const t of tables) t.close();
}
