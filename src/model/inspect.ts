// What a checkpoint holds, read without loading it (`yi info -m`): its config, its tensors' types and
// sizes, and the same checks a model command makes on load (the tensor set against the config;
// with `strict`, unused tensors refused; with `check`, every weight the model reads scanned for NaN/Inf).
import type { YiConfig } from './config.js';
import { nonFiniteError, scanNonFinite, type TensorNonFinite } from './finite.js';
import { openWeights, type SourceDType, type SourceTensor, type WeightSource } from './source.js';
import { selectTensors, unusedWarning } from './tensor-set.js';

export interface InspectOptions {
  /** Refuse a file with tensors the model does not read (default: a warning). */
  strict?: boolean;
  /** Read every weight the model reads and fail naming each tensor with NaN or infinite values. */
  check?: boolean;
  /** Receives the warning about unused tensors; default: printed to stderr. */
  onWarning?: (message: string) => void;
}

export interface ModelInfo {
  path: string;
  format: WeightSource['format'];
  config: YiConfig;
  /** Weights the model reads (a tied head counted once). */
  parameters: number;
  /** Tensors the model reads, by their encoding in the file. */
  tensorTypes: Partial<Record<SourceDType, number>>;
  /** Bytes of the tensors the model reads, as stored. */
  bytes: number;
  /** The file's tensors the model does not read. */
  unused: string[];
  /** Whether every weight the model reads was scanned (`check`) and found finite. */
  checked: boolean;
}

/** Opens `path` (a Hugging Face model folder or a .gguf file), checks it as loading would, and describes it. */
export function inspectModel(path: string, opts: InspectOptions = {}): ModelInfo {
  const src = openWeights(path);
  try {
    const { sources, unused } = selectTensors(src, { strict: opts.strict });
    if (unused.length > 0) (opts.onWarning ?? ((m: string) => process.stderr.write(`warning: ${m}\n`)))(unusedWarning(src, unused));
    const distinct = new Set(sources.values());
    const tensorTypes: ModelInfo['tensorTypes'] = {};
    let parameters = 0;
    let bytes = 0;
    for (const s of distinct) {
      tensorTypes[s.dtype] = (tensorTypes[s.dtype] ?? 0) + 1;
      parameters += s.shape.reduce((a, b) => a * b, 1);
      bytes += rowsOf(s) * s.rowBytes;
    }
    if (opts.check) {
      const found = new Map<string, TensorNonFinite>();
      for (const [name, s] of sources) {
        const n = scanTensor(s);
        if (n) found.set(name, n);
      }
      if (found.size > 0) throw nonFiniteError(src, found);
    }
    return { path: src.path, format: src.format, config: src.config, parameters, tensorTypes, bytes, unused, checked: !!opts.check };
  } finally {
    src.close();
  }
}

function rowsOf(s: SourceTensor): number {
  return s.shape.length > 1 ? s.shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1;
}

/** Scans a tensor a few MiB at a time (whole rows), so a large checkpoint needs no more memory than that. */
function scanTensor(s: SourceTensor): TensorNonFinite | undefined {
  const rows = rowsOf(s);
  const chunk = Math.max(1, Math.min(rows, Math.floor((4 << 20) / s.rowBytes)));
  const buf = new Uint8Array(chunk * s.rowBytes);
  let n;
  for (let r = 0; r < rows; r += chunk) {
    const count = Math.min(chunk, rows - r);
    s.readRows(r, count, buf);
    n = scanNonFinite(s.dtype, buf.subarray(0, count * s.rowBytes), s.rowBytes, r, n);
  }
  return n && { n, dtype: s.dtype };
}
