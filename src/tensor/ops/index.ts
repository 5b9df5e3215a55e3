// Every tensor op, for `import { ... } from 'yi-ts'`. Convention: inputs first, then an optional
// `out` (allocated in the operands' arena when absent); each op returns its output. The training ops
// (the *Backward ones, crossEntropy, adamw, the in-place helpers) take their outputs as required
// arguments and say which they overwrite and which they accumulate into.
export { swiglu, add } from './activation.js';
export { attention, attentionTrain, writeKV } from './attention.js';
export { attentionBackward, attentionBackwardScratchBytes } from './attention-backward.js';
export { pagedAttention, pagedWriteKV, type PagedLayout } from './paged-attention.js';
export { pagedAttentionI8, pagedWriteKVI8, i8RegionBytes, type I8PoolShape } from './paged-attention-i8.js';
export { swigluBackward } from './activation-backward.js';
export { convert, toF32Array, type FloatDType } from './convert.js';
export { embedding } from './embedding.js';
export { embeddingBackward } from './embedding-backward.js';
export { sumSquares, scaleInPlace, addInPlace, SUM_SQUARES_BLOCK } from './gradient.js';
export { crossEntropy, IGNORE_INDEX } from './loss.js';
export { matmul, gemm, type MatmulOptions, type GemmArgs } from './matmul.js';
export { rmsnorm, rmsnormTrain, softmax } from './norm.js';
export { rmsnormBackward } from './norm-backward.js';
export { adamw, type AdamWStep } from './optimizer.js';
export { ropeTable, applyRope, type RopeOptions, type RopeTable } from './rope.js';
export { argmax, topK, type TopK } from './sample.js';
export { matvec, qmatmul } from './gemv.js';
export { linear } from './linear.js';
export { quantize, dequantize, fromGGUF, toGGUF, type QType } from './quant.js';
export { castInto } from './cast.js';
