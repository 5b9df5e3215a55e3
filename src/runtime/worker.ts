// A pool thread: instantiates the kernel module on every arena memory it is sent, then runs its
// share of each dispatched job. Jobs arrive through the shared control block, never postMessage.
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import { kernelImports } from './module.js';
import * as C from './control.js';

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
const args = new Float64Array(init.control, C.ARGS_BYTE_OFFSET, C.MAX_ARGS);
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
    const inst = new WebAssembly.Instance(init.module, kernelImports(memory));
    const ex = inst.exports as Record<string, KernelFn>;
    arenas[id] = names.map((n) => ex[n]!);
  }
}

function runJob(): void {
  const n = ctrl[C.NTHREADS]!;
  if (init.tid >= n) return;
  const arenaId = ctrl[C.ARENA]!;
  if (!arenas[arenaId]) adoptArenas();
  const fn = arenas[arenaId]?.[ctrl[C.KERNEL]!];
  if (!fn) throw new Error(`worker ${init.tid}: arena ${arenaId} or kernel ${ctrl[C.KERNEL]} unknown`);
  const [start, end] = C.shareOf(ctrl[C.TOTAL]!, ctrl[C.ALIGN]!, n, init.tid);
  if (start >= end) return;
  const scratch = ctrl[C.ARENA_SCRATCH + arenaId]! + init.tid * ctrl[C.SCRATCH_STRIDE]!;
  const a = args;
  switch (ctrl[C.NARGS]) {
    case 0: fn(start, end, scratch); break;
    case 1: fn(a[0]!, start, end, scratch); break;
    case 2: fn(a[0]!, a[1]!, start, end, scratch); break;
    case 3: fn(a[0]!, a[1]!, a[2]!, start, end, scratch); break;
    case 4: fn(a[0]!, a[1]!, a[2]!, a[3]!, start, end, scratch); break;
    case 5: fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, start, end, scratch); break;
    case 6: fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, start, end, scratch); break;
    default: {
      const list = Array.from(a.subarray(0, ctrl[C.NARGS]!));
      fn(...list, start, end, scratch);
    }
  }
}

let seen = Atomics.load(ctrl, C.SEQ);
parentPort!.postMessage('ready');
for (;;) {
  let spins = 0;
  let seq = Atomics.load(ctrl, C.SEQ);
  while (seq === seen) {
    if (++spins > C.SPIN) {
      Atomics.wait(ctrl, C.SEQ, seen);
      spins = 0;
    }
    seq = Atomics.load(ctrl, C.SEQ);
  }
  seen = seq;
  if (Atomics.load(ctrl, C.STOP)) break;
  try {
    runJob();
  } catch (e) {
    if (Atomics.compareExchange(ctrl, C.FAILED, 0, 1) === 0) {
      const msg = new TextEncoder().encode(String((e as Error)?.message ?? e).slice(0, 1000));
      errBytes.fill(0);
      errBytes.set(msg.subarray(0, 1023));
    }
  }
  if (Atomics.sub(ctrl, C.PENDING, 1) === 1) Atomics.notify(ctrl, C.PENDING);
}
