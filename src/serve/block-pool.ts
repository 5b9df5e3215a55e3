// The KV block pool's bookkeeping (no tensors): reference counts, the free queue and the prefix
// cache's hash -> block map, as in vLLM v1's BlockPool. A block is either referenced (ref > 0, held
// by one or more sequences' block tables) or in the free queue (ref = 0). A free block may still
// hold a cached full block's K/V: it is handed back by a prefix hit until the allocator evicts it,
// least recently freed first (the queue's head).

/** The pool's counts (tests, logs). */
export interface BlockPoolState {
  numBlocks: number;
  numFree: number;
  numCached: number;
}

/** A bookkeeping invariant that does not hold (a bug in the engine, never a user's input). */
export class BlockPoolInvariantError extends Error {
  override name = 'BlockPoolInvariantError';
}

const NONE = -1;

export class BlockPool {
  private readonly ref: Int32Array;
  // The free queue: a doubly linked list over block ids, so a cached free block leaves it in O(1)
  // when a prefix hit takes it back.
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly inFree: Uint8Array;
  private head = NONE;
  private tail = NONE;
  private freeCount = 0;
  /** The hash each cached block holds (undefined: not a cached full block). */
  private readonly hashOf: (string | undefined)[];
  private readonly byHash = new Map<string, number>();

  constructor(readonly numBlocks: number) {
    this.ref = new Int32Array(numBlocks);
    this.prev = new Int32Array(numBlocks).fill(NONE);
    this.next = new Int32Array(numBlocks).fill(NONE);
    this.inFree = new Uint8Array(numBlocks);
    this.hashOf = new Array<string | undefined>(numBlocks).fill(undefined);
    for (let b = 0; b < numBlocks; b++) this.pushFree(b);
  }

  /** Blocks an allocation can take now (free, cached or not). */
  get numFree(): number {
    return this.freeCount;
  }

  /** Blocks held by at least one sequence. */
  get numUsed(): number {
    return this.numBlocks - this.freeCount;
  }

  refCount(block: number): number {
    return this.ref[block]!;
  }

  /** Takes n blocks from the head of the free queue (evicting their cached hashes), each with ref 1. */
  allocate(n: number): number[] {
    if (n > this.freeCount) throw new BlockPoolInvariantError(`allocate: ${n} blocks asked, ${this.freeCount} free`);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const b = this.head;
      this.unlinkFree(b);
      this.evict(b);
      this.ref[b] = 1;
      out.push(b);
    }
    return out;
  }

  /** One more reference to each block (a prefix hit); a free one leaves the free queue. */
  touch(blocks: readonly number[]): void {
    for (const b of blocks) {
      if (this.ref[b] === 0) {
        if (!this.inFree[b]) throw new BlockPoolInvariantError(`touch: block ${b} has no reference and is not free`);
        this.unlinkFree(b);
      }
      this.ref[b]!++;
    }
  }

  /** Drops one reference to each block, in order; a block left unreferenced joins the free queue's
   *  tail (evicted last), keeping its cached hash. */
  release(blocks: readonly number[]): void {
    for (const b of blocks) {
      if (this.ref[b]! <= 0) throw new BlockPoolInvariantError(`release: block ${b} is not referenced`);
      if (--this.ref[b]! === 0) this.pushFree(b);
    }
  }

  /** The cached block holding a full block of this hash, if any. */
  lookup(hash: string): number | undefined {
    return this.byHash.get(hash);
  }

  /** Records that a referenced full block holds the K/V of `hash` (a block of that hash already
   *  cached keeps its place: the new one is simply not shared). */
  cache(block: number, hash: string): void {
    if (this.ref[block]! <= 0) throw new BlockPoolInvariantError(`cache: block ${block} is not referenced`);
    if (this.hashOf[block] !== undefined || this.byHash.has(hash)) return;
    this.hashOf[block] = hash;
    this.byHash.set(hash, block);
  }

  isCached(block: number): boolean {
    return this.hashOf[block] !== undefined;
  }

  state(): BlockPoolState {
    return { numBlocks: this.numBlocks, numFree: this.freeCount, numCached: this.byHash.size };
  }

  /**
   * Checks the pool against itself and against the holders' block tables: no block both free and
   * referenced, each block's ref count equal to the number of table entries naming it, the free
   * queue a consistent list, the hash map and the per-block hashes one bijection.
   */
  check(tables: Iterable<readonly number[]>): void {
    const fail = (m: string): never => {
      throw new BlockPoolInvariantError(m);
    };
    const held = new Int32Array(this.numBlocks);
    for (const t of tables) for (const b of t) held[b]!++;
    let seen = 0;
    let prev = NONE;
    for (let b = this.head; b !== NONE; b = this.next[b]!) {
      if (this.prev[b] !== prev) fail(`free queue: block ${b}'s prev is ${this.prev[b]}, expected ${prev}`);
      if (!this.inFree[b]) fail(`free queue: block ${b} is listed but not marked free`);
      if (this.ref[b] !== 0) fail(`block ${b} is both free and referenced (${this.ref[b]})`);
      if (++seen > this.numBlocks) fail('free queue: a cycle');
      prev = b;
    }
    if (prev !== this.tail) fail(`free queue: tail is ${this.tail}, the list ends at ${prev}`);
    if (seen !== this.freeCount) fail(`free queue holds ${seen} blocks, the count says ${this.freeCount}`);
    for (let b = 0; b < this.numBlocks; b++) {
      if (this.ref[b] !== held[b]) fail(`block ${b}: ref count ${this.ref[b]}, named by ${held[b]} block-table entries`);
      if ((this.ref[b] === 0) !== (this.inFree[b] === 1)) fail(`block ${b}: ref count ${this.ref[b]} but ${this.inFree[b] ? '' : 'not '}in the free queue`);
      const h = this.hashOf[b];
      if (h !== undefined && this.byHash.get(h) !== b) fail(`block ${b} holds hash ${h}, which maps to ${this.byHash.get(h)}`);
    }
    for (const [h, b] of this.byHash) if (this.hashOf[b] !== h) fail(`hash ${h} maps to block ${b}, which holds ${this.hashOf[b]}`);
  }

  private evict(b: number): void {
    const h = this.hashOf[b];
    if (h === undefined) return;
    this.byHash.delete(h);
    this.hashOf[b] = undefined;
  }

  private pushFree(b: number): void {
    this.prev[b] = this.tail;
    this.next[b] = NONE;
    if (this.tail === NONE) this.head = b;
    else this.next[this.tail] = b;
    this.tail = b;
    this.inFree[b] = 1;
    this.freeCount++;
  }

  private unlinkFree(b: number): void {
    const p = this.prev[b]!;
    const n = this.next[b]!;
    if (p === NONE) this.head = n;
    else this.next[p] = n;
    if (n === NONE) this.tail = p;
    else this.prev[n] = p;
    this.prev[b] = NONE;
    this.next[b] = NONE;
    this.inFree[b] = 0;
    this.freeCount--;
  }
}
