// Every tensor op, for `import { ... } from 'yi-ts'`. Convention: inputs first, then an optional
// `out` (allocated in the operands' arena when absent); each op returns its output.
export { swiglu, add } from './activation.js';
export { attention, writeKV } from './attention.js';
export { convert, toF32Array, type FloatDType } from './convert.js';
export { embedding } from './embedding.js';
export { matmul, gemm, type MatmulOptions, type GemmArgs } from './matmul.js';
export { rmsnorm, softmax } from './norm.js';
export { ropeTable, applyRope, type RopeOptions, type RopeTable } from './rope.js';
export { argmax, topK, type TopK } from './sample.js';
export { matvec, qmatmul } from './gemv.js';
export { linear } from './linear.js';
export { quantize, dequantize, fromGGUF, toGGUF, type QType } from './quant.js';
export { castInto } from './cast.js';
