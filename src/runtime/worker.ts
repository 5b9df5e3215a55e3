// A pool thread: instantiates the kernel module on every arena memory it is sent, then claims
// chunks of each published job (see control.ts). Jobs arrive through the shared control block,
// never through postMessage.
import { setFlagsFromString } from 'node:v8';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import * as C from './control.js';
import { kernelImports } from './module.js';

type KernelFn = (...args: number[]) => number;

interface Init {
  tid: number;
  module: WebAssembly.Module;
  control: SharedArrayBuffer;
  port: MessagePort;
  relaxed: boolean;
}

const init = workerData as Init;
if (init.relaxed) {
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  setFlagsFromString('--no-liftoff');
}
const ctrl = new Int32Array(init.control);
const sharedArgs = new Float64Array(init.control, C.ARGS_BYTE_OFFSET, C.MAX_ARGS);
const args = new Float64Array(C.MAX_ARGS);
const errBytes = new Uint8Array(init.control, C.ERROR_BYTE_OFFSET, 1024);
const names = WebAssembly.Module.exports(init.module)
  .filter((e) => e.kind === 'function')
  .map((e) => e.name)
  .sort();
const arenas: KernelFn[][] = [];

function adoptArenas(): void {
  for (;;) {
    const m = receiveMessageOnPort(init.port);
    if (!m) return;
    const { id, memory } = m.message as { id: number; memory: WebAssembly.Memory };
    const ex = new WebAssembly.Instance(init.module, kernelImports(memory)).exports as Record<string, KernelFn>;
    arenas[id] = names.map((n) => ex[n]!);
  }
}

function fail(e: unknown): void {
  if (Atomics.compareExchange(ctrl, C.FAILED, 0, 1) === 0) {
    const msg = new TextEncoder().encode(String((e as Error)?.message ?? e));
    errBytes.fill(0);
    errBytes.set(msg.subarray(0, 1023));
  }
}

/** Copies the job published under `seq`; false if the caller rewrote it meanwhile. */
function readJob(seq: number) {
  const job = {
    kernel: ctrl[C.KERNEL]!,
    arena: ctrl[C.ARENA]!,
    nargs: ctrl[C.NARGS]!,
    total: ctrl[C.TOTAL]!,
    chunk: ctrl[C.CHUNK]!,
    base: ctrl[C.BASE]!,
    nchunks: ctrl[C.NCHUNKS]!,
  };
  args.set(sharedArgs);
  return Atomics.load(ctrl, C.SEQ) === seq ? job : undefined;
}

let seen = 0;
parentPort!.postMessage('ready');
for (;;) {
  let spins = 0;
  let seq = Atomics.load(ctrl, C.SEQ);
  while (seq === seen || seq & 1) {
    if (++spins > C.SPIN) {
      Atomics.wait(ctrl, C.SEQ, seq);
      spins = 0;
    }
    seq = Atomics.load(ctrl, C.SEQ);
  }
  if (Atomics.load(ctrl, C.STOP)) break;
  const job = readJob(seq);
  if (!job) continue; // torn read: a newer job is being published
  seen = seq;
  if (!arenas[job.arena]) adoptArenas();
  const fn = arenas[job.arena]?.[job.kernel];
  const scratch = ctrl[C.ARENA_SCRATCH + job.arena]! + init.tid * ctrl[C.SCRATCH_STRIDE]!;
  C.runChunks(ctrl, job.base, job.nchunks, job.chunk, job.total, (start, end) => {
    try {
      if (!fn) throw new Error(`worker ${init.tid}: arena ${job.arena} or kernel ${job.kernel} unknown`);
      C.invoke(fn, args, job.nargs, start, end, scratch);
    } catch (e) {
      fail(e);
    }
  });
}
