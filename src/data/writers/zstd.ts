// zstd compression for the JSONL writer: the WebAssembly build of the reference library
// (@bokuweb/zstd-wasm, bundled in the npm package: nothing is downloaded). Node 20's zlib has no zstd.
import { createRequire } from 'node:module';

interface ZstdWasm {
  init(): Promise<void>;
  compress(data: Uint8Array, level?: number): Uint8Array;
}

let ready: Promise<ZstdWasm> | undefined;

/** A synchronous compressor (one zstd frame per call), once the wasm module has loaded. */
export async function loadZstd(): Promise<(data: Uint8Array, level: number) => Uint8Array> {
  ready ??= (async () => {
    const z = createRequire(import.meta.url)('@bokuweb/zstd-wasm') as ZstdWasm;
    await z.init();
    return z;
  })();
  const z = await ready;
  return (data, level) => z.compress(data, level);
}
