// Loads a pipeline file as `yi data run` does before it reads any data: the file parsed and
// checked, its imports imported, every stage built from its options (each type's schema, then its
// factory), the phases cut, and each global stage's work folder placed in an output folder.
import { buildStages, importModules, resolvePipeline, specImports, stageInfo } from '../../../src/data/pipeline/build.js';
import { RunLayout } from '../../../src/data/pipeline/layout.js';
import { phasesOf } from '../../../src/data/pipeline/plan.js';
import { isGlobalStage } from '../../../src/data/types.js';

export async function loadPipeline(path: string): Promise<number> {
  const source = resolvePipeline(path);
  if (!('resolved' in source)) throw new Error('a file resolves to a spec or a module');
  await importModules(specImports(source.resolved), source.resolved);
  const stages = await buildStages(source.resolved);
  const phases = phasesOf(stageInfo(stages));
  // Placing a folder touches no disk: the layout only checks that it stays inside the output folder.
  const layout = new RunLayout('/fuzz-out');
  for (const s of stages) if (isGlobalStage(s.stage)) layout.stageDir(s.name);
  return phases.length;
}
