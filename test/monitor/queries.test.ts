import { describe, expect, it } from 'vitest';
import {
  deploymentQueries,
  latencyQuantileMs,
  OBSERVED_METRICS,
  renderSelector,
  selectorOf,
  uptimeQueries,
} from '../../src/monitor/index.js';

const deployment = selectorOf({ namespace: 'llm', compass_dev_deploy_id: 'd-1' });
const SEL = '{namespace="llm",compass_dev_deploy_id="d-1"}';

describe('selectors', () => {
  it('render label matchers as PromQL, escaping quotes, backslashes and newlines in values', () => {
    expect(renderSelector(deployment)).toBe(SEL);
    expect(renderSelector(selectorOf({ model_name: 'a"b\\c\nd' }))).toBe('{model_name="a\\"b\\\\c\\nd"}');
    expect(
      renderSelector(
        [{ label: 'pod', op: '=~', value: 'chat-.*' }],
        [{ label: 'status', op: '!=', value: '2xx' }],
      ),
    ).toBe('{pod=~"chat-.*",status!="2xx"}');
  });

  it('refuse label names PromQL would not parse, and an empty selector that would match every deployment', () => {
    expect(() => selectorOf({ 'compass.dev/deploy-id': 'x' })).toThrow(/Prometheus label name/);
    expect(() => selectorOf({})).toThrow(/at least one label/);
  });
});

describe('deployment queries', () => {
  const queries = deploymentQueries(deployment, 300);

  it('take latency p95s with histogram_quantile over the summed bucket rates, in milliseconds', () => {
    expect(queries.ttftP95Ms).toBe(
      `1000 * histogram_quantile(0.95, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket${SEL}[300s])))`,
    );
    expect(queries.e2eP95Ms).toBe(
      `1000 * histogram_quantile(0.95, sum by (le) (rate(vllm:e2e_request_latency_seconds_bucket${SEL}[300s])))`,
    );
    expect(latencyQuantileMs('ttft', deployment, 60, 0.5)).toContain('histogram_quantile(0.5,');
  });

  it('read ITL from inter_token_latency, falling back per series to the deprecated time_per_output_token', () => {
    expect(queries.itlP95Ms).toBe(
      '1000 * histogram_quantile(0.95, sum by (le) (' +
        `rate(vllm:inter_token_latency_seconds_bucket${SEL}[300s]) or ` +
        `rate(vllm:time_per_output_token_seconds_bucket${SEL}[300s])))`,
    );
  });

  it('measure throughput, traffic shape and failures from vLLM’s counters', () => {
    expect(queries.requestsPerSec).toBe(`sum(rate(vllm:request_success_total${SEL}[300s]))`);
    expect(queries.generationTokensPerSec).toBe(`sum(rate(vllm:generation_tokens_total${SEL}[300s]))`);
    expect(queries.meanPromptTokens).toBe(
      `sum(rate(vllm:request_prompt_tokens_sum${SEL}[300s])) / sum(rate(vllm:request_prompt_tokens_count${SEL}[300s]))`,
    );
    expect(queries.meanOutputTokens).toContain('vllm:request_generation_tokens_sum');
    expect(queries.abortedShare).toBe(
      `sum(rate(vllm:request_success_total{namespace="llm",compass_dev_deploy_id="d-1",finished_reason="abort"}[300s])) / ` +
        `sum(rate(vllm:request_success_total${SEL}[300s]))`,
    );
    expect(queries.httpErrorRate).toBe(
      '(sum(rate(http_requests_total{namespace="llm",compass_dev_deploy_id="d-1",handler=~"/v1/.*",status="5xx"}[300s])) or vector(0)) / ' +
        'sum(rate(http_requests_total{namespace="llm",compass_dev_deploy_id="d-1",handler=~"/v1/.*"}[300s]))',
    );
  });

  it('average the gauges over the window and take their peaks', () => {
    expect(queries.queueDepth).toBe(`sum(avg_over_time(vllm:num_requests_waiting${SEL}[300s]))`);
    expect(queries.queueDepthMax).toBe(`max(max_over_time(vllm:num_requests_waiting${SEL}[300s]))`);
    expect(queries.kvCacheUsage).toBe(
      `avg(avg_over_time(vllm:kv_cache_usage_perc${SEL}[300s]) or avg_over_time(vllm:gpu_cache_usage_perc${SEL}[300s]))`,
    );
    expect(queries.replicas).toBe(
      `sum(up${SEL}) or count(count by (instance) (vllm:num_requests_running${SEL}))`,
    );
  });

  it('cover every observed figure, and select the deployment in every series they read', () => {
    expect(Object.keys(queries).sort()).toEqual([...OBSERVED_METRICS].sort());
    for (const expr of Object.values(queries)) {
      const selections = expr.match(/[a-z_:]+\{[^}]*\}/g) ?? [];
      expect(selections.length).toBeGreaterThan(0);
      for (const selection of selections)
        expect(selection).toContain('namespace="llm",compass_dev_deploy_id="d-1"');
    }
  });

  it('take windows in whole seconds only', () => {
    expect(deploymentQueries(selectorOf({ model_name: 'm' }), 30).requestsPerSec).toContain('[30s]');
    expect(() => deploymentQueries(deployment, 0)).toThrow(/positive whole number of seconds/);
    expect(() => deploymentQueries(deployment, 2.5)).toThrow(RangeError);
  });
});

describe('uptimeQueries', () => {
  it('sample the targets up once a second for a short life, and in at most ~5000 steps for a long one', () => {
    expect(uptimeQueries(deployment, 90)).toEqual({
      replicaHours: `sum_over_time((sum(up${SEL}))[90s:1s]) * 1 / 3600`,
      coveredHours: `count_over_time((sum(up${SEL}))[90s:1s]) * 1 / 3600`,
    });
    // 30 days: one sample every 519 s, the range rounded to whole seconds.
    expect(uptimeQueries(deployment, 30 * 86_400 + 0.4).replicaHours).toBe(
      `sum_over_time((sum(up${SEL}))[2592000s:519s]) * 519 / 3600`,
    );
    // Less than one step since deploy: one step's range.
    expect(uptimeQueries(deployment, 0.2).coveredHours).toContain('[1s:1s]');
  });
});
