// The stage types every pipeline can name: one registration per type. Imported by every worker
// before it builds a pipeline. The stages' own folders (src/data/filters, dedup, cluster,
// scorers) export the factories; connect each with one line, e.g.
//   import { registerStage } from './registry.js';
//   registerStage('gopher_quality', gopherQualityStage, 'Gopher quality rules (DATA-RULES.md)');
export {};
