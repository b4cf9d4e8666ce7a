import { createServer, type Server } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** How long a scrape waits for the queue's counts; with Redis away the gauge keeps its last values. */
const QUEUE_COUNT_TIMEOUT_MS = 1000;

/**
 * Compass's own metrics, for the Prometheus it already relies on: Slack requests (conversation turns, commands,
 * button presses) and how fast each was acknowledged, how long planning took, deploy job outcomes, monitoring jobs, and the deploy queue's
 * depth (counted by `queueCounts` at each scrape). The bot serves them on PORT at /metrics, the worker on METRICS_PORT.
 */
export function createMetrics(queueCounts?: () => Promise<Record<string, number>>) {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    slackRequests: new Counter({
      name: 'compass_slack_requests_total',
      help: 'Slack requests received, by type (message, app_mention, slash_command, block_actions, view_submission…)',
      labelNames: ['type'] as const,
      registers,
    }),
    slackAckSeconds: new Histogram({
      name: 'compass_slack_ack_seconds',
      help: 'Time from receiving a Slack request to acknowledging it (Slack allows 3 s)',
      labelNames: ['type'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3],
      registers,
    }),
    plannerSeconds: new Histogram({
      name: 'compass_planner_seconds',
      help: 'Time a planning task (converse, quickPlan, whatIf, details…) took, waiting for a planning thread included',
      labelNames: ['task'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    deployJobs: new Counter({
      name: 'compass_deploy_jobs_total',
      help: 'Deploy job attempts by outcome: completed, or failed (retried while attempts remain)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    monitorJobs: new Counter({
      name: 'compass_monitor_jobs_total',
      help: 'Monitoring jobs (SLO evaluations, summaries, digests, outcomes) by job and outcome',
      labelNames: ['job', 'outcome'] as const,
      registers,
    }),
    queueJobs: new Gauge({
      name: 'compass_deploy_queue_jobs',
      help: 'Jobs in the deploy queue by state, read from Redis at scrape time',
      labelNames: ['state'] as const,
      registers,
      async collect() {
        if (!queueCounts) return;
        const giveUp = new AbortController();
        const counted = await Promise.race([
          queueCounts().catch(() => null),
          delay(QUEUE_COUNT_TIMEOUT_MS, null, { signal: giveUp.signal }).catch(() => null),
        ]);
        giveUp.abort();
        for (const [state, count] of Object.entries(counted ?? {})) this.set({ state }, count);
      },
    }),
  };
}
export type CompassMetrics = ReturnType<typeof createMetrics>;

/** Serves GET /metrics on `port` (0: any free one) until closed. */
export async function serveMetrics(metrics: CompassMetrics, port: number): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    metrics.registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, resolve));
  return server;
}
