// Documents are matched between index and filter by id, not by position: the executor may resume
// a task's filter mid-way after a crash, so a position counter would start from zero on the wrong
// document. Index records each document's 64-bit id hash in stream order (its local index);
// filter maps an id back to that index and refuses a document that index never saw.
import { createHash } from 'node:crypto';
import { readTableFile, writeTableFile } from './state-files.js';
import { sortU64, searchU64, U32List } from './u64.js';

/** First 8 bytes of SHA-1 of the UTF-8 text, as a little-endian uint64 split into (hi, lo). */
export function sha1Hash64(text: string, out: Uint32Array, at = 0): void {
  const d = createHash('sha1').update(text, 'utf8').digest();
  out[at] = d.readUInt32LE(4);
  out[at + 1] = d.readUInt32LE(0);
}

const KIND = 'doc-ids';

/** Collects the ids of one task's documents in stream order. */
export class DocIdWriter {
  private readonly words = new U32List(2048);
  private readonly tmp = new Uint32Array(2);

  /** Adds a document and returns its local index. */
  add(id: string): number {
    sha1Hash64(id, this.tmp);
    this.words.push2(this.tmp[0]!, this.tmp[1]!);
    return this.words.length / 2 - 1;
  }

  get count(): number {
    return this.words.length / 2;
  }

  /** The (hi, lo) hash of a document already added. */
  hashOf(local: number): [number, number] {
    return [this.words.data[2 * local]!, this.words.data[2 * local + 1]!];
  }

  write(path: string): void {
    writeTableFile(path, KIND, { docs: this.count }, { hash: this.words.toArray() });
  }
}

/** Id hash -> local index for one task, read from what DocIdWriter wrote. */
export class DocIdTable {
  private readonly hi: Uint32Array;
  private readonly lo: Uint32Array;
  private readonly local: Uint32Array;
  /** Hashes in stream order: words 2i, 2i + 1 are document i's (hi, lo). */
  readonly ordered: Uint32Array;
  private readonly tmp = new Uint32Array(2);

  constructor(
    private readonly path: string,
    private readonly stage: string,
  ) {
    const t = readTableFile(path, KIND);
    this.ordered = t.get<Uint32Array>('hash', 'u32');
    if (this.ordered.length % 2) throw new Error(`${path}: odd number of id hash words`);
    const n = this.ordered.length / 2;
    this.hi = new Uint32Array(n);
    this.lo = new Uint32Array(n);
    this.local = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      this.hi[i] = this.ordered[2 * i]!;
      this.lo[i] = this.ordered[2 * i + 1]!;
      this.local[i] = i;
    }
    sortU64(this.hi, this.lo, this.local);
    for (let i = 1; i < n; i++) {
      if (this.hi[i] === this.hi[i - 1] && this.lo[i] === this.lo[i - 1]) {
        throw new Error(`${stage}: documents ${this.local[i - 1]} and ${this.local[i]} of ${path} have the same id: ids must be unique within a run`);
      }
    }
  }

  get count(): number {
    return this.hi.length;
  }

  /** The document's local index; throws when index never saw this id. */
  indexOf(id: string): number {
    sha1Hash64(id, this.tmp);
    const at = searchU64(this.hi, this.lo, this.tmp[0]!, this.tmp[1]!);
    if (at < 0) {
      throw new Error(`${this.stage}: document '${id}' reaches filter but was not indexed in this task (${this.path}): the filter must see the documents index saw`);
    }
    return this.local[at]!;
  }
}
