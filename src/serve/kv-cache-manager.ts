// Block tables per request on top of the block pool, and the prefix cache's lookups (vLLM v1's
// KVCacheManager): which blocks hold a request's positions, making room for the tokens a step will
// compute, registering full computed blocks under their hashes, and freeing.
import { BlockPool } from './block-pool.js';
import type { EngineRequest } from './request.js';

/** Cached full blocks that can stand for a request's first `tokens` tokens. */
export interface PrefixHit {
  blocks: number[];
  tokens: number;
}

const NO_HIT: PrefixHit = { blocks: [], tokens: 0 };

export class KVCacheManager {
  readonly pool: BlockPool;
  private readonly tables = new Map<EngineRequest, number[]>();
  /** Leading blocks of each request already registered in the prefix cache. */
  private readonly registered = new Map<EngineRequest, number>();

  constructor(
    numBlocks: number,
    readonly blockTokens: number,
    readonly prefixCaching: boolean,
  ) {
    this.pool = new BlockPool(numBlocks);
  }

  /** The request's block table: block i holds positions i * blockTokens .. (i + 1) * blockTokens - 1. */
  table(req: EngineRequest): readonly number[] {
    return this.tables.get(req) ?? [];
  }

  /**
   * The longest run of cached full blocks matching the request's leading tokens, leaving at least
   * its last token to compute (the step must produce that token's logits).
   */
  prefixHit(req: EngineRequest): PrefixHit {
    if (!this.prefixCaching) return NO_HIT;
    const bt = this.blockTokens;
    const maxBlocks = Math.floor((req.tokens.length - 1) / bt);
    const hashes = req.hashes(maxBlocks, bt);
    const blocks: number[] = [];
    for (let i = 0; i < maxBlocks; i++) {
      const b = this.pool.lookup(hashes[i]!);
      if (b === undefined) break;
      blocks.push(b);
    }
    return blocks.length ? { blocks, tokens: blocks.length * bt } : NO_HIT;
  }

  /**
   * Makes room for `n` tokens after the request's first `from` positions (its computed tokens, or
   * the prefix `hit` it is admitted with, whose blocks join its table first). Returns false, changing
   * nothing, when the pool has too few free blocks.
   */
  allocateSlots(req: EngineRequest, from: number, n: number, hit: PrefixHit = NO_HIT): boolean {
    const table = this.tables.get(req) ?? [];
    const need = Math.ceil((from + n) / this.blockTokens) - table.length - hit.blocks.length;
    // A hit on a free (cached, unreferenced) block takes it out of the free queue.
    let reclaimed = 0;
    for (const b of hit.blocks) if (this.pool.refCount(b) === 0) reclaimed++;
    if (need > this.pool.numFree - reclaimed) return false;
    if (hit.blocks.length) {
      this.pool.touch(hit.blocks);
      table.push(...hit.blocks);
      this.registered.set(req, hit.blocks.length);
    }
    if (need > 0) table.push(...this.pool.allocate(need));
    this.tables.set(req, table);
    return true;
  }

  /** Registers the request's full blocks of computed tokens in the prefix cache. */
  cacheComputed(req: EngineRequest): void {
    if (!this.prefixCaching) return;
    const bt = this.blockTokens;
    const full = Math.floor(req.numComputed / bt);
    const done = this.registered.get(req) ?? 0;
    if (full <= done) return;
    const table = this.tables.get(req)!;
    const hashes = req.hashes(full, bt);
    for (let i = done; i < full; i++) this.pool.cache(table[i]!, hashes[i]!);
    this.registered.set(req, full);
  }

  /** Releases the request's blocks, last first: a prompt's tail is the least likely to be shared,
   *  so it is evicted before its head. */
  free(req: EngineRequest): void {
    const table = this.tables.get(req);
    this.tables.delete(req);
    this.registered.delete(req);
    if (table) this.pool.release([...table].reverse());
  }

  /** Slot (block * blockTokens + offset) of the request's position p. */
  slot(req: EngineRequest, p: number): number {
    const bt = this.blockTokens;
    return this.tables.get(req)![Math.floor(p / bt)]! * bt + (p % bt);
  }

  /** Throws a BlockPoolInvariantError unless the pool agrees with the block tables. */
  check(): void {
    this.pool.check(this.tables.values());
  }

  /** Requests holding a block table. */
  get holders(): number {
    return this.tables.size;
  }
}
