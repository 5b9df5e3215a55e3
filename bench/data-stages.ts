// The trivial stage the data-pipeline benchmark runs (imported by every worker through `imports`):
// it keeps every document and counts its characters, so the figure is the executor's own cost
// (reading, JSON, stats, writing gzip'd output, checkpoints).
import { registerStage } from '../src/data/pipeline/registry.js';

registerStage('bench_passthrough', (_o, ctx) => ({ name: ctx.name, kind: 'filter', process: (doc) => ({ keep: true, doc, counts: { chars: doc.text.length } }) }), 'bench: keep everything');
