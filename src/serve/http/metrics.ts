// /metrics in the Prometheus text format (version 0.0.4): the engine's gauges and counters read at
// scrape time, the latency histograms and HTTP counters kept here.
import type { EngineStats, FinishInfo } from '../engine-api.js';

class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {
    this.counts = buckets.map(() => 0);
  }

  observe(v: number): void {
    if (!Number.isFinite(v)) return;
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) this.counts[i]!++;
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`);
    this.buckets.forEach((b, i) => out.push(`${this.name}_bucket{le="${b}"} ${this.counts[i]}`));
    out.push(`${this.name}_bucket{le="+Inf"} ${this.count}`, `${this.name}_sum ${this.sum}`, `${this.name}_count ${this.count}`);
  }
}

const LATENCY = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const TOKEN_LATENCY = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 1, 2.5];

export class ServerMetrics {
  readonly ttft = new Histogram('yi_time_to_first_token_seconds', 'Time from the request to its first generated token.', LATENCY);
  readonly interToken = new Histogram('yi_inter_token_latency_seconds', 'Time between two generated tokens of one request.', TOKEN_LATENCY);
  readonly e2e = new Histogram('yi_e2e_request_latency_seconds', 'Time from the request to its last token.', LATENCY);
  private readonly http = new Map<string, number>();
  private readonly finished = new Map<string, number>();

  /** One HTTP response, by route and status code. */
  countResponse(route: string, status: number): void {
    const k = `route="${route}",code="${status}"`;
    this.http.set(k, (this.http.get(k) ?? 0) + 1);
  }

  /** One generation (one choice) that ended. */
  finish(info: FinishInfo, reason: string): void {
    this.ttft.observe(info.ttftMs / 1e3);
    this.e2e.observe(info.totalMs / 1e3);
    this.finished.set(reason, (this.finished.get(reason) ?? 0) + 1);
  }

  render(s: EngineStats): string {
    const out: string[] = [];
    const metric = (name: string, type: 'gauge' | 'counter', help: string, value: number) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
    metric('yi_requests_running', 'gauge', 'Requests the engine is generating for.', s.requestsRunning);
    metric('yi_requests_waiting', 'gauge', 'Requests queued, not yet started.', s.requestsWaiting);
    metric('yi_kv_blocks_total', 'gauge', 'KV cache blocks in the pool.', s.kvBlocksTotal);
    metric('yi_kv_blocks_used', 'gauge', 'KV cache blocks held by requests.', s.kvBlocksUsed);
    metric('yi_kv_blocks_free', 'gauge', 'KV cache blocks free.', s.kvBlocksFree);
    metric('yi_kv_block_tokens', 'gauge', 'Tokens per KV cache block.', s.blockTokens);
    metric('yi_prefix_cache_hit_tokens_total', 'counter', 'Prompt tokens whose K/V came from the prefix cache.', s.prefixCacheHitTokens);
    metric('yi_prompt_tokens_total', 'counter', 'Prompt tokens processed (prefix-cache hits included).', s.promptTokensTotal);
    metric('yi_generation_tokens_total', 'counter', 'Tokens generated.', s.generationTokensTotal);
    metric('yi_preemptions_total', 'counter', 'Requests preempted (blocks freed, recomputed later).', s.preemptionsTotal);
    out.push('# HELP yi_requests_finished_total Generations ended, by reason.', '# TYPE yi_requests_finished_total counter');
    for (const [r, n] of this.finished) out.push(`yi_requests_finished_total{reason="${r}"} ${n}`);
    out.push('# HELP yi_http_responses_total HTTP responses, by route and status code.', '# TYPE yi_http_responses_total counter');
    for (const [k, n] of this.http) out.push(`yi_http_responses_total{${k}} ${n}`);
    this.ttft.render(out);
    this.interToken.render(out);
    this.e2e.render(out);
    return out.join('\n') + '\n';
  }
}
