// Loads the compiled kernel module: relaxed SIMD when the engine can run it, else baseline SIMD128.
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

export type KernelFlavor = 'relaxed-simd' | 'simd128';

export interface KernelModule {
  module: WebAssembly.Module;
  flavor: KernelFlavor;
  /** Export names in a fixed order: a kernel's index in this list is its id in a dispatch. */
  kernelNames: string[];
}

const buildDir = new URL('../../../build/', import.meta.url);

function readWasm(name: string): Uint8Array<ArrayBuffer> {
  const url = new URL(name, buildDir);
  try {
    return new Uint8Array(readFileSync(url));
  } catch (e) {
    throw new Error(`kernel module ${url.pathname} is missing: run \`npm run build\` (${(e as Error).message})`);
  }
}

let cached: KernelModule | undefined;

/** Compiles the kernel module once per process. `prefer: 'simd128'` (or YI_KERNELS=simd128) forces the baseline. */
export function loadKernelModule(prefer: KernelFlavor | 'auto' = 'auto'): KernelModule {
  const wanted = prefer === 'auto' ? ((process.env.YI_KERNELS as KernelFlavor | undefined) ?? 'auto') : prefer;
  if (cached && (wanted === 'auto' || cached.flavor === wanted)) return cached;
  let flavor: KernelFlavor = 'simd128';
  let bytes = readWasm('kernels.wasm');
  if (wanted !== 'simd128') {
    const relaxed = readWasm('kernels-relaxed.wasm');
    // Node 20 compiles relaxed SIMD only behind a V8 flag; the flag is process-wide, so worker
    // threads started later see it too.
    if (!WebAssembly.validate(relaxed)) setFlagsFromString('--experimental-wasm-relaxed-simd');
    // Node 20's baseline compiler (Liftoff) doubles i32x4.relaxed_dot_i8x16_i7x16_add_s
    // (ENGINE-NOTES.md): compile the relaxed module with the optimizing tier only.
    setFlagsFromString('--no-liftoff');
    if (WebAssembly.validate(relaxed)) {
      flavor = 'relaxed-simd';
      bytes = relaxed;
    }
  }
  const module = new WebAssembly.Module(bytes);
  const kernelNames = WebAssembly.Module.exports(module)
    .filter((e) => e.kind === 'function')
    .map((e) => e.name)
    .sort();
  cached = { module, flavor, kernelNames };
  return cached;
}

/** Imports every instance gets: the arena memory and an abort that names the failing kernel site. */
export function kernelImports(memory: WebAssembly.Memory): WebAssembly.Imports {
  return {
    env: {
      memory,
      abort(_msg: number, _file: number, line: number, col: number): never {
        throw new Error(`kernel abort at ${line}:${col}`);
      },
    },
  };
}
