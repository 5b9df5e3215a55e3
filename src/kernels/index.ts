// Entry point of the kernel module: re-exports every kernel family.
export * from './bench';
export * from './convert';
export * from './norm';
export * from './activation';
export * from './rope';
export * from './attention';
export * from './embed';
export * from './sample';
export * from './gemm';
export * from './quant';
export * from './gemv';
