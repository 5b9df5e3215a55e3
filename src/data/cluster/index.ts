// The clustering stages by type name, for pipelines declared in files. cluster_filter is a global
// stage; topic_mix decides each document alone (a DocStage).
import type { OptionRule } from '../options/schema.js';
import type { Stage } from '../types.js';
import { CLUSTER_FILTER_SCHEMA, clusterFilter } from './cluster-stage.js';
import { TOPIC_MIX_SCHEMA, topicMix } from './topic-mix.js';

export const clusterFactories: Record<string, (opts?: any) => Stage> = {
  cluster_filter: clusterFilter,
  topic_mix: topicMix,
};

/** Each type's option schema (what a pipeline file may set). */
export const clusterSchemas: Record<string, Record<string, OptionRule>> = {
  cluster_filter: CLUSTER_FILTER_SCHEMA,
  topic_mix: TOPIC_MIX_SCHEMA,
};

export { CLUSTER_FILTER_DEFAULTS, clusterFilter, type ClusterFilterOptions } from './cluster-stage.js';
export { expandCopies, TOPIC_MIX_DEFAULTS, topicMix, type TopicMixOptions } from './topic-mix.js';
