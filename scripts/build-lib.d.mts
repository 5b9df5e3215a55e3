// Types of build-lib.mjs, for the tests that import it.
export function listInputs(root: string, paths: string[], exts: string[], exclude?: string[]): string[];
export function inputsDigest(root: string, files: string[]): string;
export function isUpToDate(stampFile: string, digest: string): boolean;
export function writeStamp(stampFile: string, digest: string): void;
export function syncTree(from: string, to: string, keep?: string[]): { unchanged: number; replaced: number; removed: number };
export function makeExecutable(file: string): void;
