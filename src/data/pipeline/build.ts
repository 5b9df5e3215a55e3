// From a pipeline source (a spec, a file, a built-in name, a module, or Stage objects) to the
// stages of one pipeline instance. Each worker builds its own instance from the serializable
// form (`ResolvedPipeline`); Stage objects given directly run in the calling thread only.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isGlobalStage, type Stage, type StageKind } from '../types.js';
import { BUILTIN_PIPELINES } from '../pipelines/index.js';
import { createStage } from './registry.js';
import { unsafeName } from './names.js';
import { loadPipelineFile, PipelineError, resolveImports, type PipelineSpec } from './spec.js';
import './stage-types.js';

/** A module exporting the stages: an array of Stage, or a function returning one (maybe async). */
export interface PipelineModuleRef {
  module: string;
  /** Export name; default 'pipeline', then 'default'. */
  export?: string;
}

export type PipelineSource = PipelineSpec | PipelineModuleRef | string | readonly Stage[];

/** What a worker thread can rebuild a pipeline from. */
export type ResolvedPipeline = { kind: 'spec'; spec: PipelineSpec } | { kind: 'module'; module: string; export?: string };

export interface PipelineStage {
  /** Stats key: the spec's name (default its type), or the Stage's own name. */
  name: string;
  /** The registered type, for spec pipelines. */
  type?: string;
  stage: Stage;
}

/** What the stats and the plan record about each stage. */
export interface StageInfo {
  name: string;
  type?: string;
  kind: StageKind;
  global: boolean;
}

export function stageInfo(stages: readonly PipelineStage[]): StageInfo[] {
  return stages.map((s) => {
    const info: StageInfo = { name: s.name, kind: s.stage.kind, global: isGlobalStage(s.stage) };
    if (s.type) info.type = s.type;
    return info;
  });
}

export function resolvePipeline(source: PipelineSource): { resolved: ResolvedPipeline } | { stages: readonly Stage[] } {
  if (Array.isArray(source)) return { stages: source as readonly Stage[] };
  if (typeof source === 'string') {
    const builtin = BUILTIN_PIPELINES[source];
    if (builtin && !existsSync(source)) return { resolved: { kind: 'spec', spec: builtin } };
    if (/\.(m?js)$/i.test(source)) return { resolved: { kind: 'module', module: resolve(source) } };
    if (!/\.(json|ya?ml)$/i.test(source)) {
      throw new PipelineError(`pipeline '${source}': expected a .yaml, .yml or .json file, a .js module, or a built-in name (${Object.keys(BUILTIN_PIPELINES).join(', ')})`);
    }
    return { resolved: { kind: 'spec', spec: loadPipelineFile(source) } };
  }
  if ('module' in source) return { resolved: { kind: 'module', module: resolve(source.module), export: source.export } };
  return { resolved: { kind: 'spec', spec: source as PipelineSpec } };
}

/**
 * Imports modules that register stage types or shard formats (each once per thread). A module
 * listed by the pipeline `from` is reported with the pipeline's file.
 */
export async function importModules(modules: readonly string[], from?: ResolvedPipeline): Promise<void> {
  const listed = new Set(from ? specImports(from) : []);
  for (const m of modules) {
    try {
      await import(m.startsWith('/') || /^[A-Za-z]:[\\/]/.test(m) ? pathToFileURL(m).href : m);
    } catch (e) {
      const where = from?.kind === 'spec' && listed.has(m) ? `${from.spec.file ?? 'pipeline'}: imports: ` : '';
      throw new PipelineError(`${where}cannot import '${m}': ${(e as Error).message}`);
    }
  }
}

export function specImports(r: ResolvedPipeline): string[] {
  return r.kind === 'spec' ? resolveImports(r.spec.imports, r.spec.baseDir) : [];
}

export async function buildStages(r: ResolvedPipeline, o: { notice?: (line: string) => void } = {}): Promise<PipelineStage[]> {
  if (r.kind === 'module') {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(r.module).href)) as Record<string, unknown>;
    } catch (e) {
      throw new PipelineError(`pipeline module ${r.module}: cannot import (${(e as Error).message})`);
    }
    const name = r.export ?? ('pipeline' in mod ? 'pipeline' : 'default');
    let value = mod[name];
    if (typeof value === 'function') value = await (value as () => unknown)();
    if (!Array.isArray(value)) throw new PipelineError(`pipeline module ${r.module}: export '${name}' is not a list of stages (or a function returning one)`);
    return namedStages(value as Stage[], `pipeline module ${r.module}`);
  }
  const baseDir = r.spec.baseDir ?? process.cwd();
  const file = r.spec.file ?? 'pipeline';
  const out: PipelineStage[] = [];
  for (const [index, s] of r.spec.stages.entries()) {
    const name = s.name ?? s.type;
    // A spec built in code skips the file's checks: its names are checked here, before any is used.
    const bad = unsafeName(name);
    if (bad) throw new PipelineError(`${file}: stages[${index}].name: ${bad}`);
    out.push({ name, type: s.type, stage: await createStage(s.type, s.options ?? {}, { name, baseDir, file, index, notice: o.notice }) });
  }
  checkNames(out, file);
  return out;
}

export function namedStages(stages: readonly Stage[], where = 'pipeline'): PipelineStage[] {
  const out = stages.map((stage, i) => {
    if (!stage || typeof stage.name !== 'string' || !stage.name) throw new PipelineError(`${where}: stage #${i}: has no name`);
    const bad = unsafeName(stage.name);
    if (bad) throw new PipelineError(`${where}: stage #${i}: ${bad}`);
    return { name: stage.name, stage };
  });
  checkNames(out, where);
  return out;
}

function checkNames(stages: readonly PipelineStage[], where: string): void {
  const seen = new Set<string>();
  for (const s of stages) {
    if (seen.has(s.name)) throw new PipelineError(`${where}: two stages are named '${s.name}': give one of them a different \`name\``);
    seen.add(s.name);
  }
}

/** Identifies a pipeline's definition, so that a rerun in the same output folder is the same run. */
export function pipelineFingerprint(r: ResolvedPipeline | undefined, stages: readonly PipelineStage[]): string {
  if (r?.kind === 'spec') return JSON.stringify(r.spec.stages);
  return JSON.stringify({ module: r?.kind === 'module' ? r.module : undefined, stages: stageInfo(stages) });
}
