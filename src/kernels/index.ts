// Entry point of the kernel module: re-exports every kernel family.
export * from './bench';
export * from './quant';
export * from './gemv';
