// The clustering stages by type name, for pipelines declared in files. cluster_filter is a global
// stage; topic_mix decides each document alone (a DocStage).
import type { Stage } from '../types.js';
import { clusterFilter } from './cluster-stage.js';
import { topicMix } from './topic-mix.js';

export const clusterFactories: Record<string, (opts?: any) => Stage> = {
  cluster_filter: clusterFilter,
  topic_mix: topicMix,
};

export { CLUSTER_FILTER_DEFAULTS, clusterFilter, type ClusterFilterOptions } from './cluster-stage.js';
export { expandCopies, TOPIC_MIX_DEFAULTS, topicMix, type TopicMixOptions } from './topic-mix.js';
