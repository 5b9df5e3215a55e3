// `yi data run|report|stages|pipeline`: the cleaning pipeline (src/data/pipeline/run.ts) from
// the command line. `yi data train-...` commands of the learned scorers join through
// DATA_SUBCOMMANDS below.
import { registerDataTrainCommands } from './data-train.js';
import type { Command } from 'commander';
import { BUILTIN_PIPELINES } from '../data/pipelines/index.js';
import { resolve } from 'node:path';
import type { OutputFormat } from '../data/pipeline/run.js';
import { pipelineToYaml } from '../data/pipeline/spec.js';
import { pipelineProgress } from './pipeline-progress.js';

// The pipeline's modules load only when a data command runs, so that `yi` starts fast.

/** Registration functions of more `yi data` subcommands (e.g. `train-perplexity`): one entry each. */
export const DATA_SUBCOMMANDS: ((data: Command) => void)[] = [registerDataTrainCommands];

function int(v: string | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number >= ${min} (got '${v}')`);
  return n;
}

interface RunFlags {
  input: string[];
  out: string;
  tasks?: string;
  workers?: string;
  rank?: string;
  world?: string;
  writeDropped?: boolean;
  format: string;
  gzipLevel: string;
  field: string;
  idField: string | boolean;
  checkpointEvery: string;
  tokenizer?: string;
  valFraction: string;
  import?: string[];
  keepWork?: boolean;
  progress: boolean;
}

export function registerData(program: Command): Command {
  const data = program.command('data').description('clean, deduplicate and mix pretraining data (Yi\'s cascade)');
  data
    .command('run')
    .description('run a pipeline over a corpus; a rerun with the same --out resumes it')
    .argument('<pipeline>', `a .yaml/.yml/.json pipeline file, a .js module exporting stages, or a built-in name (${Object.keys(BUILTIN_PIPELINES).join(', ')})`)
    .requiredOption('--input <paths...>', 'input files or folders: .jsonl/.ndjson (.gz, .zst), .parquet, .warc/.wet (.gz), .txt/.md')
    .requiredOption('--out <dir>', 'output folder (data/, stats.json, report.md, report.html; work/ for resuming)')
    .option('--tasks <n>', 'at least this many tasks (default one per file; large plain JSONL and Parquet files are split)')
    .option('--workers <n>', 'worker threads (default: the number of cores; 0 runs in this thread)')
    .option('--rank <i>', 'this process takes tasks i, i+N, ... (default: SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX, else 0)')
    .option('--world <n>', 'number of ranks (default: SLURM_ARRAY_TASK_COUNT or YI_WORLD_SIZE, else 1)')
    .option('--write-dropped', 'also write the dropped documents, with stage and reason, to dropped/')
    .option('--format <f>', 'output format: jsonl.zst, jsonl.gz or parquet', 'jsonl.zst')
    .option('--gzip-level <n>', 'gzip level of the JSONL.gz output (1 fast .. 9 small)', '1')
    .option('--field <name>', 'text field of JSONL records / text column of Parquet files', 'text')
    .option('--id-field <name>', "field holding a record's id (else <file>:<index>)", 'id')
    .option('--no-id-field', 'always use <file>:<index> as the document id')
    .option('--checkpoint-every <n>', 'input records per checkpoint within a task', '10000')
    .option('--tokenizer <path>', 'also tokenize the kept documents into OUT/tokens (the dataset `yi pretrain --data` reads)')
    .option('--val-fraction <f>', 'with --tokenizer: fraction of documents in the validation split', '0.005')
    .option('--import <modules...>', 'modules that register more stage types, imported by every worker')
    .option('--keep-work', 'keep the documents between phases (work/phase-*) after use')
    .option('--no-progress', 'no progress bar or log lines')
    .action(async (pipeline: string, o: RunFlags) => {
      if (o.format !== 'jsonl.zst' && o.format !== 'jsonl.gz' && o.format !== 'parquet') throw new Error(`--format must be jsonl.zst, jsonl.gz or parquet (got '${o.format}')`);
      const valFraction = Number(o.valFraction);
      if (!(valFraction >= 0 && valFraction < 1)) throw new Error(`--val-fraction must be a number in [0, 1) (got '${o.valFraction}')`);
      const { runPipeline } = await import('../data/pipeline/run.js');
      const rep = pipelineProgress(o.progress, { prefix: '[data] ', logJobs: true });
      const warnings: string[] = [];
      let r;
      try {
        r = await runPipeline({
          pipeline,
          input: o.input,
          out: o.out,
          format: o.format as OutputFormat,
          gzipLevel: int(o.gzipLevel, 'gzip-level', 1),
          field: o.field,
          idField: o.idField === false ? null : (o.idField as string),
          tasks: int(o.tasks, 'tasks', 1),
          workers: int(o.workers, 'workers', 0),
          rank: int(o.rank, 'rank', 0),
          world: int(o.world, 'world', 1),
          checkpointEvery: int(o.checkpointEvery, 'checkpoint-every', 1),
          writeDropped: o.writeDropped ?? false,
          tokens: o.tokenizer ? { tokenizer: o.tokenizer, valFraction } : undefined,
          imports: o.import,
          keepWork: o.keepWork ?? false,
          onProgress: rep.onProgress,
          onLog: rep.onLog,
          onWarning: (w) => warnings.push(w),
          onNotice: rep.onNotice,
        });
      } finally {
        rep.stop();
        for (const w of warnings) console.error(`warning: ${w}`);
      }
      const who = r.rank.world > 1 ? `rank ${r.rank.rank} of ${r.rank.world} (${r.rank.from}): ` : '';
      console.log(`${who}${r.myTasks} of ${r.tasks} tasks (${r.tasksDone} done before): ${r.jobsRun} jobs run, ${r.records} records read in ${r.seconds.toFixed(1)} s`);
      if (r.stats && r.report) {
        const s = r.stats;
        console.log(`${s.documents.read} documents read, ${s.documents.written} written (${s.documents.read ? ((100 * s.documents.written) / s.documents.read).toFixed(1) : '0'}% kept)`);
        console.log(`wrote ${r.report.stats}, ${r.report.markdown}, ${r.report.html}`);
      }
    });
  data
    .command('report')
    .description("merge a finished run's task stats again and rewrite stats.json, report.md and report.html")
    .argument('<out>', 'the output folder of `yi data run`')
    .action(async (out: string) => {
      const { reportPipelineRun } = await import('../data/pipeline/run.js');
      const { stats, report } = await reportPipelineRun(out);
      console.log(`${stats.documents.read} documents read, ${stats.documents.written} written`);
      console.log(`wrote ${report.stats}, ${report.markdown}, ${report.html}`);
    });
  data
    .command('stages')
    .description('list the registered stage types')
    .option('--import <modules...>', 'modules that register more stage types')
    .action(async (o: { import?: string[] }) => {
      const { importModules } = await import('../data/pipeline/build.js');
      const { stageTypes } = await import('../data/pipeline/registry.js');
      await importModules((o.import ?? []).map((m) => (m.startsWith('.') ? resolve(m) : m)));
      const types = stageTypes();
      if (types.length === 0) console.log('no stage types are registered');
      for (const t of types) console.log(t.description ? `${t.type}\t${t.description}` : t.type);
    });
  data
    .command('pipeline')
    .description('print a built-in pipeline as YAML (a starting point for your own)')
    .argument('[name]', `built-in pipeline (${Object.keys(BUILTIN_PIPELINES).join(', ')})`, 'default')
    .action((name: string) => {
      const spec = BUILTIN_PIPELINES[name];
      if (!spec) throw new Error(`no built-in pipeline '${name}' (known: ${Object.keys(BUILTIN_PIPELINES).join(', ')})`);
      process.stdout.write(pipelineToYaml(spec));
    });
  for (const add of DATA_SUBCOMMANDS) add(data);
  return data;
}
