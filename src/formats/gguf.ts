// GGUF (llama.cpp's checkpoint format): reader, writer and the types they share.
export { openGGUF } from './gguf-read.js';
export { writeGGUF } from './gguf-write.js';
export * from './gguf-types.js';
export * from './ggml-types.js';
export { GGUFError } from './errors.js';
export type { ByteStream } from './atomic.js';
