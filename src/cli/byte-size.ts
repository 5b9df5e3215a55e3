// Sizes on the command line: 1048576, 512KiB, 1MiB, 2GiB (also KB/MB/GB as powers of 1000, and k/m/g as binary).
import { ModelOptionError } from './model-options.js';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kib: 1024, kb: 1e3, m: 1024 ** 2, mib: 1024 ** 2, mb: 1e6, g: 1024 ** 3, gib: 1024 ** 3, gb: 1e9, t: 1024 ** 4, tib: 1024 ** 4, tb: 1e12 };

export function byteSizeOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(v);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new ModelOptionError(`--${name} must be a size such as 1048576, 512KiB, 1MiB or 2GiB, got '${v}'`);
  const n = Math.floor(Number(m[1]) * unit);
  if (n < 1) throw new ModelOptionError(`--${name} must be at least 1 byte, got '${v}'`);
  return n;
}
