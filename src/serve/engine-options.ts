// The engine's knobs (`yi serve --max-seqs --max-batched-tokens --kv-memory --kv-type`), their
// defaults and checks.
import type { SamplerFactory } from './engine-api.js';

export type KVType = 'f32' | 'int8';

export interface EngineOptions {
  /** Per-request samplers (the HTTP layer's sampling.ts; tests may pass a greedy one). */
  sampler: SamplerFactory;
  /** Name reported by /v1/models (default 'yi'). */
  modelName?: string;
  /** Positions one sequence may hold, prompt + generated (default: the config's maxPositions, at most
   *  4096); capped at the KV pool's capacity so that a request alone always fits. */
  contextLength?: number;
  /** Requests running at once (default 16). */
  maxSeqs?: number;
  /** Tokens computed per step over all requests: decodes plus prompt chunks (default 256). */
  maxBatchedTokens?: number;
  /** Requests waiting for a slot before submit refuses with QueueFullError (default 256). */
  maxWaiting?: number;
  /** Bytes of the KV pool over all layers (default: room for maxSeqs full contexts, at most 1 GiB). */
  kvMemory?: number;
  /** Tokens per KV block (default 16). */
  blockTokens?: number;
  /** Share full blocks of identical prefixes between requests (default true). */
  prefixCaching?: boolean;
  /** K/V element type (default 'f32'). */
  kvType?: KVType;
}

/** A knob out of range, named as the CLI flag spells it. */
export class EngineOptionsError extends Error {
  override name = 'EngineOptionsError';
}

export const ENGINE_DEFAULTS = { maxSeqs: 16, maxBatchedTokens: 256, maxWaiting: 256, blockTokens: 16, maxKvMemory: 1 << 30 } as const;

/** Throws unless v is an integer in [lo, hi], naming the flag. */
export function checkInt(flag: string, v: number, lo: number, hi = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new EngineOptionsError(`${flag} must be an integer from ${lo} to ${hi}, got ${v}`);
  return v;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, kib: 2 ** 10, m: 1e6, mb: 1e6, mib: 2 ** 20, g: 1e9, gb: 1e9, gib: 2 ** 30, t: 1e12, tb: 1e12, tib: 2 ** 40 };

/** "2GiB", "512MiB", "1.5 GB", "1048576" -> bytes (whole bytes, rounded down). */
export function parseByteSize(flag: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new EngineOptionsError(`${flag}: expected a size such as 2GiB, 512MiB or a byte count, got ${JSON.stringify(text)}`);
  const bytes = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new EngineOptionsError(`${flag}: ${JSON.stringify(text)} is not a positive size`);
  return bytes;
}
