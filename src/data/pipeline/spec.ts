// A pipeline written down: stage types with options, in a JSON or YAML file or as a TypeScript
// value. `{ stages: [{ type: 'gopher_quality', options: { min_doc_words: 50 } }, ...] }`.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { PipelineError } from '../errors.js';
import { unsafeName } from './names.js';

export { PipelineError };

/** A pipeline file is a page of YAML; anything this large is not one (and would be read whole). */
const MAX_PIPELINE_BYTES = 1 << 20;
/** Aliases a YAML file may expand (the yaml package's guard against "billion laughs"; its default, pinned). */
const MAX_YAML_ALIASES = 100;

export interface StageSpec {
  /** A registered stage type (see `stageTypes()`). */
  type: string;
  /** The stage's name in stats and reports; default the type. Must be unique within the pipeline. */
  name?: string;
  /** Passed to the type's factory. */
  options?: Record<string, unknown>;
}

export interface PipelineSpec {
  stages: StageSpec[];
  /**
   * Modules imported (in every worker) before the stages are built: they register extra stage
   * types or token shard formats. Paths are relative to `baseDir`; bare names are packages.
   */
  imports?: string[];
  /** Folder that relative paths in `imports` and in stage options resolve against (a file's own folder). */
  baseDir?: string;
  /** The file the pipeline was read from, for errors. */
  file?: string;
}

const STAGE_KEYS = new Set(['type', 'name', 'options']);
const PIPELINE_KEYS = new Set(['stages', 'imports']);

/** Checks the shape of a parsed pipeline file; errors name the file and the field. */
export function parsePipelineSpec(value: unknown, where: string, baseDir?: string): PipelineSpec {
  const fail = (field: string, what: string): never => {
    throw new PipelineError(`${where}: ${field}: ${what}`);
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('top level', 'expected an object with a "stages" list');
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) if (!PIPELINE_KEYS.has(k)) fail(k, `unknown key (expected ${[...PIPELINE_KEYS].join(', ')})`);
  if (!Array.isArray(v.stages)) fail('stages', 'expected a list of stages');
  const stages = (v.stages as unknown[]).map((s, i): StageSpec => {
    const at = `stages[${i}]`;
    if (s === null || typeof s !== 'object' || Array.isArray(s)) fail(at, 'expected an object { type, name?, options? }');
    const o = s as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!STAGE_KEYS.has(k)) fail(`${at}.${k}`, `unknown key (expected type, name, options)`);
    if (typeof o.type !== 'string' || !o.type) fail(`${at}.type`, 'expected a stage type name');
    if (o.name !== undefined) {
      const bad = unsafeName(o.name);
      if (bad) fail(`${at}.name`, bad);
    }
    if (o.options !== undefined && (o.options === null || typeof o.options !== 'object' || Array.isArray(o.options))) fail(`${at}.options`, 'expected an object');
    const spec: StageSpec = { type: o.type as string };
    if (o.name !== undefined) spec.name = o.name as string;
    if (o.options !== undefined) spec.options = o.options as Record<string, unknown>;
    return spec;
  });
  if (stages.length === 0) fail('stages', 'the list is empty');
  const out: PipelineSpec = { stages };
  if (v.imports !== undefined) {
    if (!Array.isArray(v.imports) || v.imports.some((x) => typeof x !== 'string' || !x)) fail('imports', 'expected a list of module paths');
    out.imports = v.imports as string[];
  }
  if (baseDir) out.baseDir = baseDir;
  return out;
}

/** The file's text, refusing what is not a regular file of reasonable size (a FIFO would block, a device never end). */
function readPipelineText(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new PipelineError(`${path}: cannot read the pipeline file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new PipelineError(`${path}: not a regular file, so not a pipeline file`);
    if (st.size > MAX_PIPELINE_BYTES) throw new PipelineError(`${path}: ${st.size} bytes is too large for a pipeline file (at most ${MAX_PIPELINE_BYTES})`);
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got).toString('utf8');
  } catch (e) {
    if (e instanceof PipelineError) throw e;
    throw new PipelineError(`${path}: cannot read the pipeline file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    closeSync(fd);
  }
}

/** A pipeline from a .json, .yaml or .yml file. */
export function loadPipelineFile(path: string): PipelineSpec {
  const text = readPipelineText(path);
  let value: unknown;
  try {
    value = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text, { maxAliasCount: MAX_YAML_ALIASES });
  } catch (e) {
    throw new PipelineError(`${path}: not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'} (${(e as Error).message})`);
  }
  return { ...parsePipelineSpec(value, path, dirname(resolve(path))), file: path };
}

export function pipelineToYaml(spec: PipelineSpec): string {
  const { stages, imports } = spec;
  return toYaml(imports ? { stages, imports } : { stages });
}

/** Module specifiers of `imports`, relative paths made absolute. */
export function resolveImports(imports: readonly string[] | undefined, baseDir: string | undefined): string[] {
  return (imports ?? []).map((m) => (m.startsWith('.') || isAbsolute(m) ? resolve(baseDir ?? process.cwd(), m) : m));
}
