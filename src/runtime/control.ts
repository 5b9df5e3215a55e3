// Layout of the control block shared by the calling thread and the pool's workers.
// One dispatch = write the job here, bump SEQ, notify; workers decrement PENDING when done.

export const SEQ = 0; // job generation; workers wait for it to change
export const PENDING = 1; // workers that have not finished the current job
export const KERNEL = 2; // index into KernelModule.kernelNames
export const ARENA = 3; // arena id the job runs in
export const NTHREADS = 4; // threads taking a share (the caller is thread 0)
export const NARGS = 5;
export const TOTAL = 6; // units of work, split over threads
export const ALIGN = 7; // split points are multiples of this
export const STOP = 8; // set to ask workers to exit
export const FAILED = 9; // a worker's kernel threw
export const SCRATCH_STRIDE = 10; // bytes of private scratch per thread in every arena
export const ARENA_SCRATCH = 16; // [ARENA_SCRATCH + arena id] = scratch base of that arena
export const MAX_ARENAS = 240;
export const ARGS_BYTE_OFFSET = 1024; // Float64Array of arguments starts here
export const MAX_ARGS = 32;
export const CONTROL_BYTES = ARGS_BYTE_OFFSET + MAX_ARGS * 8 + 1024; // + error message bytes
export const ERROR_BYTE_OFFSET = ARGS_BYTE_OFFSET + MAX_ARGS * 8;

/** Which units [start, end) thread `tid` of `n` computes. Split points depend only on
 *  (total, align, n), and kernels reduce each output in a fixed order, so results do not depend on n. */
export function shareOf(total: number, align: number, n: number, tid: number): [number, number] {
  const chunks = Math.ceil(total / align);
  const c0 = Math.floor((tid * chunks) / n);
  const c1 = Math.floor(((tid + 1) * chunks) / n);
  return [Math.min(total, c0 * align), Math.min(total, c1 * align)];
}

/** Spin iterations before a waiting thread sleeps in Atomics.wait (a few tens of microseconds). */
export const SPIN = 20000;
