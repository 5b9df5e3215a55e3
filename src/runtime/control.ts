// Layout of the control block shared by the calling thread and the pool's workers, and the
// protocol over it.
//
// A job is `total` units of a kernel's work cut into chunks at multiples of `align`. Threads claim
// chunks with a compare-and-swap on a ticket counter, so the caller starts at once and a worker that
// wakes late (a futex wake costs ~200 us in this VM) only takes what is left: the caller never waits
// for a sleeping thread. Chunk boundaries depend only on (total, align, threads), and kernels reduce
// every output in a fixed order, so results are bit-identical whatever thread runs which chunk.
//
// Publishing is a seqlock: SEQ is odd while the caller writes a job, even once it is readable. A
// worker copies the job, re-reads SEQ, and retries if it changed. Tickets increase monotonically
// (mod 2^32), so a worker holding a stale job can never claim a chunk of a newer one.

export const SEQ = 0;
export const KERNEL = 1; // index into KernelModule.kernelNames
export const ARENA = 2; // arena id the job runs in
export const NARGS = 3;
export const TOTAL = 4; // units of work
export const CHUNK = 5; // units per chunk (a multiple of the job's align)
export const BASE = 6; // first ticket of this job
export const NCHUNKS = 7;
export const NEXT = 8; // ticket counter
export const DONE = 9; // chunks finished in this job
export const STOP = 10; // set to ask workers to exit
export const FAILED = 11; // a worker's kernel threw
export const SCRATCH_STRIDE = 12; // bytes of private scratch per thread in every arena
export const ARENA_SCRATCH = 16; // [ARENA_SCRATCH + arena id] = scratch base of that arena
export const MAX_ARENAS = 240;
export const ARGS_BYTE_OFFSET = 1024; // Float64Array of arguments starts here
export const MAX_ARGS = 32;
export const ERROR_BYTE_OFFSET = ARGS_BYTE_OFFSET + MAX_ARGS * 8;
export const CONTROL_BYTES = ERROR_BYTE_OFFSET + 1024;

/** Chunks per thread: enough to balance a late or preempted thread, few enough to keep calls cheap. */
export const CHUNKS_PER_THREAD = 4;

/** Units per chunk for a job of `total` units on `threads` threads; a multiple of `align`. */
export function chunkUnits(total: number, align: number, threads: number, perThread = CHUNKS_PER_THREAD): number {
  const aligned = Math.ceil(total / align);
  const chunks = Math.min(aligned, threads * perThread);
  return Math.ceil(aligned / chunks) * align;
}

/** Spin iterations (~10 ns each) before a waiting thread sleeps in Atomics.wait (~200 us). */
export const SPIN = 20000;

type KernelFn = (...args: number[]) => number;

/** Calls `fn(...args, start, end, scratch)`; the fixed arities avoid spreading on the hot path. */
export function invoke(fn: KernelFn, a: ArrayLike<number>, nargs: number, start: number, end: number, scratch: number): void {
  switch (nargs) {
    case 0: fn(start, end, scratch); return;
    case 1: fn(a[0]!, start, end, scratch); return;
    case 2: fn(a[0]!, a[1]!, start, end, scratch); return;
    case 3: fn(a[0]!, a[1]!, a[2]!, start, end, scratch); return;
    case 4: fn(a[0]!, a[1]!, a[2]!, a[3]!, start, end, scratch); return;
    case 5: fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, start, end, scratch); return;
    case 6: fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, start, end, scratch); return;
    case 7: fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, start, end, scratch); return;
    case 8: fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, start, end, scratch); return;
    default: fn(...Array.from(a).slice(0, nargs), start, end, scratch);
  }
}

/**
 * Claims and runs chunks of the job described by (base, nchunks) until none is left; returns how
 * many this thread ran. The CAS only succeeds while NEXT is inside this job's ticket range.
 */
export function runChunks(
  ctrl: Int32Array,
  base: number,
  nchunks: number,
  chunk: number,
  total: number,
  run: (start: number, end: number) => void,
): number {
  let ran = 0;
  for (;;) {
    const cur = Atomics.load(ctrl, NEXT);
    const idx = (cur - base) >>> 0;
    if (idx >= nchunks) return ran;
    if (Atomics.compareExchange(ctrl, NEXT, cur, (cur + 1) | 0) !== cur) continue;
    const start = idx * chunk;
    try {
      run(start, Math.min(total, start + chunk));
    } finally {
      ran++;
      Atomics.add(ctrl, DONE, 1);
    }
  }
}
