// The runtime: the kernel module, the arenas (shared wasm memories) and the thread pool.
// A parallel kernel call is one dispatch through a shared control block: the caller writes the
// job, wakes the workers with Atomics.notify, computes share 0 itself and waits for the rest.
import { availableParallelism } from 'node:os';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { Arena, MAX_PAGES, OutOfArenaMemory, PAGE } from './arena.js';
import * as C from './control.js';
import { loadKernelModule, type KernelFlavor, type KernelModule } from './module.js';
import type { KernelProfile } from './profile.js';

export interface RuntimeOptions {
  /** Threads taking part in parallel kernels, the calling thread included. Default: the number of cores (or YI_THREADS). */
  threads?: number;
  /** Private scratch bytes per thread in every arena (GEMM packing buffers). */
  scratchBytesPerThread?: number;
  /** Largest arena in bytes (default 4 GiB, the wasm32 ceiling); smaller values help tests. */
  arenaBytes?: number;
  kernels?: KernelFlavor | 'auto';
}

/** Where a buffer lives: an arena and a byte offset in it. */
export interface Place {
  arena: Arena;
  offset: number;
}

const DEFAULT_SCRATCH = 2 << 20;

export class Runtime {
  readonly threads: number;
  readonly km: KernelModule;
  readonly arenas: Arena[] = [];
  readonly scratchBytesPerThread: number;
  readonly arenaBytes: number;
  private readonly ctrl: Int32Array;
  private readonly args: Float64Array;
  private readonly control: SharedArrayBuffer;
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly kernelIds = new Map<string, number>();
  private closed = false;
  /** When set, every parallel() call adds its wall time under its kernel name (or label). */
  profile: KernelProfile | undefined;

  private constructor(opts: RuntimeOptions) {
    const envThreads = process.env.YI_THREADS ? Number(process.env.YI_THREADS) : undefined;
    const threads = opts.threads ?? envThreads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
      throw new RangeError(`threads must be an integer from 1 to 256, got ${threads}`);
    }
    this.threads = threads;
    this.km = loadKernelModule(opts.kernels ?? 'auto');
    this.km.kernelNames.forEach((n, i) => this.kernelIds.set(n, i));
    this.scratchBytesPerThread = opts.scratchBytesPerThread ?? DEFAULT_SCRATCH;
    this.arenaBytes = opts.arenaBytes ?? MAX_PAGES * PAGE;
    this.control = new SharedArrayBuffer(C.CONTROL_BYTES);
    this.ctrl = new Int32Array(this.control);
    this.args = new Float64Array(this.control, C.ARGS_BYTE_OFFSET, C.MAX_ARGS);
    this.ctrl[C.SCRATCH_STRIDE] = this.scratchBytesPerThread;
  }

  /** Starts the worker threads (threads - 1 of them) and creates the first arena. */
  static async create(opts: RuntimeOptions = {}): Promise<Runtime> {
    const rt = new Runtime(opts);
    const ready: Promise<void>[] = [];
    for (let tid = 1; tid < rt.threads; tid++) {
      const { port1, port2 } = new MessageChannel();
      const w = new Worker(new URL('./worker.js', import.meta.url), {
        workerData: { tid, module: rt.km.module, control: rt.control, port: port2, relaxed: rt.km.flavor === 'relaxed-simd' },
        transferList: [port2],
      });
      ready.push(
        new Promise((resolve, reject) => {
          w.once('message', () => resolve());
          w.once('error', reject);
        }),
      );
      rt.workers.push(w);
      rt.ports.push(port1);
    }
    await Promise.all(ready);
    // Idle workers must not keep the process alive.
    for (const w of rt.workers) w.unref();
    rt.newArena();
    return rt;
  }

  /** Kernel flavor in use, for `yi` output. */
  get flavor(): KernelFlavor {
    return this.km.flavor;
  }

  kernelId(name: string): number {
    const id = this.kernelIds.get(name);
    if (id === undefined) throw new Error(`no kernel named '${name}' in the kernel module`);
    return id;
  }

  /** Adds an arena (a fresh shared memory) and hands it to every worker. */
  newArena(): Arena {
    if (this.arenas.length >= C.MAX_ARENAS) throw new OutOfArenaMemory(`too many arenas (${C.MAX_ARENAS}): the runtime holds at most ${C.MAX_ARENAS} wasm memories`);
    const arena = new Arena(this.arenas.length, this.km, this.arenaBytes);
    this.arenas.push(arena);
    const scratch = arena.alloc(this.scratchBytesPerThread * this.threads);
    this.ctrl[C.ARENA_SCRATCH + arena.id] = scratch;
    for (const p of this.ports) p.postMessage({ id: arena.id, memory: arena.memory });
    return arena;
  }

  /**
   * Allocates bytes in the first arena with room, or in a new one. `arena` pins the choice. `what`
   * (e.g. "f32 [64000, 4096]") names the buffer in an OutOfArenaMemory.
   */
  alloc(bytes: number, arena?: Arena, zero = true, what = 'a buffer'): Place {
    if (bytes > this.arenaBytes - this.scratchBytesPerThread * this.threads - 2 * PAGE) {
      throw new OutOfArenaMemory(`cannot allocate ${bytes} bytes for ${what}: one buffer must fit in one arena of ${this.arenaBytes} bytes (less its kernel scratch)`);
    }
    if (arena) return { arena, offset: arena.alloc(bytes, zero, what) };
    for (const a of this.arenas) {
      if (a.available >= bytes + 64) {
        try {
          return { arena: a, offset: a.alloc(bytes, zero, what) };
        } catch {
          /* fragmented: try the next arena */
        }
      }
    }
    const a = this.newArena();
    return { arena: a, offset: a.alloc(bytes, zero, what) };
  }

  release(place: Place): void {
    place.arena.release(place.offset);
  }

  /** Total bytes in use over all arenas. */
  get bytesInUse(): number {
    return this.arenas.reduce((s, a) => s + a.used, 0);
  }

  /** Runs a kernel on the calling thread only (small or sequential work). */
  call(name: string, arena: Arena, ...args: number[]): number {
    return arena.kernels[this.kernelId(name)]!(...args);
  }

  /** Scratch region of thread `tid` in an arena. */
  scratch(arena: Arena, tid = 0): number {
    return this.ctrl[C.ARENA_SCRATCH + arena.id]! + tid * this.scratchBytesPerThread;
  }

  /**
   * Runs kernel `name(args..., start, end, scratch)` over `total` units, in chunks cut at multiples
   * of `align` and claimed by the calling thread and the workers (see control.ts).
   * `minUnitsPerThread` keeps small jobs on fewer threads. `chunksPerThread` trades balance (more,
   * smaller chunks) against per-chunk setup such as GEMM's packing. Blocks until every chunk is done.
   */
  parallel(name: string, arena: Arena, args: readonly number[], total: number, align = 1, minUnitsPerThread = 1, chunksPerThread = C.CHUNKS_PER_THREAD, label?: string): void {
    const profile = this.profile;
    if (profile === undefined) return this.dispatch(name, arena, args, total, align, minUnitsPerThread, chunksPerThread);
    const t0 = performance.now();
    try {
      this.dispatch(name, arena, args, total, align, minUnitsPerThread, chunksPerThread);
    } finally {
      profile.add(label ?? name, performance.now() - t0);
    }
  }

  private dispatch(name: string, arena: Arena, args: readonly number[], total: number, align: number, minUnitsPerThread: number, chunksPerThread: number): void {
    if (this.closed) throw new Error('runtime is closed');
    if (args.length > C.MAX_ARGS) throw new RangeError(`kernel ${name}: at most ${C.MAX_ARGS} arguments`);
    if (total <= 0) return;
    const fn = arena.kernels[this.kernelId(name)]!;
    const scratch = this.scratch(arena, 0);
    const n = Math.max(1, Math.min(this.threads, Math.floor(total / Math.max(1, minUnitsPerThread))));
    const chunk = C.chunkUnits(total, align, n, chunksPerThread);
    const nchunks = Math.ceil(total / chunk);
    if (n === 1 || nchunks === 1) {
      fn(...args, 0, total, scratch);
      return;
    }
    const ctrl = this.ctrl;
    Atomics.add(ctrl, C.SEQ, 1); // odd: job being written
    ctrl[C.KERNEL] = this.kernelId(name);
    ctrl[C.ARENA] = arena.id;
    ctrl[C.NARGS] = args.length;
    ctrl[C.TOTAL] = total;
    ctrl[C.CHUNK] = chunk;
    const base = Atomics.load(ctrl, C.NEXT);
    ctrl[C.BASE] = base;
    ctrl[C.NCHUNKS] = nchunks;
    Atomics.store(ctrl, C.DONE, 0);
    for (let i = 0; i < args.length; i++) this.args[i] = args[i]!;
    Atomics.add(ctrl, C.SEQ, 1); // even: published
    Atomics.notify(ctrl, C.SEQ);
    let error: unknown;
    C.runChunks(ctrl, base, nchunks, chunk, total, (start, end) => {
      try {
        C.invoke(fn, args, args.length, start, end, scratch);
      } catch (e) {
        error ??= e;
      }
    });
    // Chunks still running were claimed by awake workers: spin, with a short sleep as a fallback.
    let spins = 0;
    for (;;) {
      const done = Atomics.load(ctrl, C.DONE);
      if (done >= nchunks) break;
      if (++spins > C.SPIN) Atomics.wait(ctrl, C.DONE, done, 0.05);
    }
    if (Atomics.load(ctrl, C.FAILED)) {
      const bytes = new Uint8Array(this.control, C.ERROR_BYTE_OFFSET, 1024);
      const end = bytes.indexOf(0);
      const msg = new TextDecoder().decode(bytes.slice(0, end < 0 ? 1024 : end));
      Atomics.store(ctrl, C.FAILED, 0);
      throw new Error(`kernel ${name} failed in a worker: ${msg}`);
    }
    if (error) throw error;
  }

  /** Stops the workers. The runtime cannot be used afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctrl, C.STOP, 1);
    Atomics.add(this.ctrl, C.SEQ, 2);
    Atomics.notify(this.ctrl, C.SEQ);
    await Promise.all(this.workers.map((w) => w.terminate()));
    for (const p of this.ports) p.close();
  }
}

let shared: Promise<Runtime> | undefined;

/** The process-wide runtime, created on first use with default options. */
export function getRuntime(): Promise<Runtime> {
  shared ??= Runtime.create();
  return shared;
}

/** Replaces the process-wide runtime (closing the old one). */
export async function setRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const old = shared;
  shared = Runtime.create(opts);
  if (old) await (await old).close();
  return shared;
}
