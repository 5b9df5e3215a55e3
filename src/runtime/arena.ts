// One arena = one shared wasm32 linear memory (at most 4 GiB) with a first-fit allocator.
// A model larger than 4 GiB spans several arenas; kernels run on the instance bound to an arena.
import { kernelImports, type KernelModule } from './module.js';

export const PAGE = 65536;
/** 65536 pages = 4 GiB, the wasm32 ceiling. */
export const MAX_PAGES = 65536;
/** Bytes below this address are left to the kernel module's own statics. */
export const RESERVED_BYTES = 65536;
/** Every allocation starts on a cache line and is a whole number of cache lines. */
export const ALIGN = 64;

/** An allocation that does not fit: the message names what was being allocated, its size and the capacity. */
export class OutOfArenaMemory extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutOfArenaMemory';
  }
}

/** Runs `alloc`, naming `what` (e.g. a parameter's name) in an OutOfArenaMemory it throws. */
export function naming<T>(what: string, alloc: () => T): T {
  try {
    return alloc();
  } catch (e) {
    if (e instanceof OutOfArenaMemory) throw new OutOfArenaMemory(`${what}: ${e.message}`);
    throw e;
  }
}

/** "12.0 MiB" next to exact byte counts, for people reading an allocation error. */
function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

type KernelFn = (...args: number[]) => number;

interface Block {
  offset: number;
  size: number;
}

export class Arena {
  readonly memory: WebAssembly.Memory;
  readonly instance: WebAssembly.Instance;
  /** Kernel exports of the calling thread's instance, indexed like KernelModule.kernelNames. */
  readonly kernels: KernelFn[];
  /** Free blocks sorted by offset; everything from `top` to the end of the reservation is free too. */
  private free: Block[] = [];
  private top = RESERVED_BYTES;
  /** The highest `top` ever reached: memory below it may hold old data after a release. */
  private highWater = RESERVED_BYTES;
  private live = new Map<number, number>();
  private bytesInUse = 0;
  private views?: { buffer: ArrayBuffer | SharedArrayBuffer; u8: Uint8Array; f32: Float32Array; i32: Int32Array; u16: Uint16Array };

  constructor(
    readonly id: number,
    km: KernelModule,
    readonly maxBytes: number = MAX_PAGES * PAGE,
  ) {
    if (maxBytes > MAX_PAGES * PAGE || maxBytes < RESERVED_BYTES + PAGE) {
      throw new RangeError(`arena size ${maxBytes} must be between ${RESERVED_BYTES + PAGE} and ${MAX_PAGES * PAGE} bytes`);
    }
    const initial = Math.ceil((RESERVED_BYTES + PAGE) / PAGE);
    this.memory = new WebAssembly.Memory({ initial, maximum: Math.ceil(maxBytes / PAGE), shared: true });
    this.instance = new WebAssembly.Instance(km.module, kernelImports(this.memory));
    const ex = this.instance.exports as Record<string, KernelFn>;
    this.kernels = km.kernelNames.map((n) => ex[n]!);
  }

  get used(): number {
    return this.bytesInUse;
  }

  /** Bytes this arena could still hand out (free blocks plus unreserved tail). */
  get available(): number {
    return this.free.reduce((s, b) => s + b.size, 0) + (this.maxBytes - this.top);
  }

  /**
   * Allocates `bytes` (rounded up to ALIGN), growing the memory as needed; zero-filled unless `zero`
   * is false (buffers a kernel overwrites whole: the fill is a measurable share of a training step).
   * `what` (e.g. "f32 [64000, 4096]") names the buffer in the error when it does not fit.
   */
  alloc(bytes: number, zero = true, what = 'a buffer'): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let offset = -1;
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i]!;
      if (b.size >= size) {
        offset = b.offset;
        if (b.size === size) this.free.splice(i, 1);
        else {
          b.offset += size;
          b.size -= size;
        }
        if (zero) this.u8.fill(0, offset, offset + size);
        break;
      }
    }
    if (offset < 0) {
      if (this.top + size > this.maxBytes) {
        throw new OutOfArenaMemory(
          `arena ${this.id}: cannot allocate ${size} bytes (${mib(size)}) for ${what}: ${this.available} bytes (${mib(this.available)}) free of its capacity of ${this.maxBytes} bytes (${mib(this.maxBytes)})`,
        );
      }
      const needPages = Math.ceil((this.top + size) / PAGE);
      const havePages = this.memory.buffer.byteLength / PAGE;
      // Fresh pages from grow() are already zero.
      if (needPages > havePages) this.grow(needPages - havePages, size, what);
      offset = this.top;
      this.top += size;
      // The tail may hold what a released top block left there; pages beyond highWater are fresh.
      if (zero && offset < this.highWater) this.u8.fill(0, offset, Math.min(this.top, this.highWater));
      this.highWater = Math.max(this.highWater, this.top);
    }
    this.live.set(offset, size);
    this.bytesInUse += size;
    return offset;
  }

  /** memory.grow, whose RangeError (the system has no memory to give) becomes an OutOfArenaMemory. */
  private grow(pages: number, size: number, what: string): void {
    try {
      this.memory.grow(pages);
    } catch (e) {
      const total = (this.memory.buffer.byteLength / PAGE + pages) * PAGE;
      throw new OutOfArenaMemory(`arena ${this.id}: cannot allocate ${size} bytes (${mib(size)}) for ${what}: growing this wasm memory to ${total} bytes (${mib(total)}) failed (${(e as Error).message})`);
    }
  }

  /** Returns a block to the free list, merging neighbours. */
  release(offset: number): void {
    const size = this.live.get(offset);
    if (size === undefined) throw new Error(`arena ${this.id}: release of unknown offset ${offset}`);
    this.live.delete(offset);
    this.bytesInUse -= size;
    if (offset + size === this.top) {
      this.top = offset;
      // Fold a free block that now touches the top back into the tail.
      const last = this.free[this.free.length - 1];
      if (last && last.offset + last.size === this.top) {
        this.top = last.offset;
        this.free.pop();
      }
      return;
    }
    let i = 0;
    while (i < this.free.length && this.free[i]!.offset < offset) i++;
    const prev = this.free[i - 1];
    const next = this.free[i];
    if (prev && prev.offset + prev.size === offset) {
      prev.size += size;
      if (next && prev.offset + prev.size === next.offset) {
        prev.size += next.size;
        this.free.splice(i, 1);
      }
    } else if (next && offset + size === next.offset) {
      next.offset = offset;
      next.size += size;
    } else {
      this.free.splice(i, 0, { offset, size });
    }
  }

  private refresh() {
    const buffer = this.memory.buffer;
    if (!this.views || this.views.buffer.byteLength !== buffer.byteLength) {
      this.views = {
        buffer,
        u8: new Uint8Array(buffer),
        f32: new Float32Array(buffer),
        i32: new Int32Array(buffer),
        u16: new Uint16Array(buffer),
      };
    }
    return this.views;
  }

  get u8(): Uint8Array {
    return this.refresh().u8;
  }
  get f32(): Float32Array {
    return this.refresh().f32;
  }
  get i32(): Int32Array {
    return this.refresh().i32;
  }
  get u16(): Uint16Array {
    return this.refresh().u16;
  }
}
