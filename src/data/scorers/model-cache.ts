// Stages load their model files once per process: several stages (or pipelines) naming the same
// file share one copy in memory. The key includes the file's size and modification time, so a
// retrained file is loaded again.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';

const cache = new Map<string, unknown>();

/** The model `load(path)` gives, loaded once per (kind, file, size, mtime). A failed load is not cached. */
export function cachedModel<T>(kind: string, path: string, load: (path: string) => T, extra = ''): T {
  let key = `${kind}\0${resolve(path)}\0${extra}`;
  try {
    const st = statSync(path);
    key += `\0${st.size}\0${st.mtimeMs}`;
  } catch {
    // load() reports the missing file with the format's own message
  }
  if (cache.has(key)) return cache.get(key) as T;
  const v = load(path);
  cache.set(key, v);
  return v;
}
