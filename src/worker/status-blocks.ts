import { redactSecrets } from '../log/redact.js';
import type { PlannedOption } from '../planner/plan.js';
import { check, ms, usdMonthly } from '../slack/blocks/format.js';
import type { Block, ButtonElement, SlackMessage } from '../slack/blocks/kit.js';
import { actions, button, context, escapeMrkdwn, header, section } from '../slack/blocks/kit.js';
import type { DeploymentSpec } from '../spec/schema.js';
import type { BenchmarkStatus, DeployProgress, StepState } from './progress.js';
import { BENCHMARK_BUSY, STEP_LABEL } from './progress.js';
import type { DeployState } from './runner.js';

/** action_id of the buttons on a deploy's status message; value: the deploy id. */
export const DEPLOY_ACTION = {
  retry: 'compass_deploy_retry',
  rollback: 'compass_deploy_rollback',
  delete: 'compass_deploy_delete',
} as const;
type DeployButton = keyof typeof DEPLOY_ACTION;

/** action_id of the benchmark buttons on a deployed deploy's status message; value: the deploy id. */
export const BENCHMARK_ACTION = {
  start: 'compass_deploy_benchmark',
  cancel: 'compass_deploy_benchmark_cancel',
} as const;

/** The benchmark's line under the endpoint. */
function benchmarkLine(benchmark: BenchmarkStatus): string {
  const by = `<@${benchmark.requestedBy}>`;
  switch (benchmark.state) {
    case 'queued':
      return `⏳ Benchmark queued by ${by}: a worker starts its load test next.`;
    case 'running':
      return `⏳ Benchmark running since ${benchmark.at.slice(11, 16)} UTC (asked by ${by}): a load-test Job next to the deployment; the results follow in this thread.`;
    case 'cancelling':
      return `⏳ Benchmark cancelling (asked by <@${benchmark.cancelledBy ?? benchmark.requestedBy}>).`;
    case 'done':
      return `📈 Benchmarked on ${benchmark.at.slice(0, 10)} (asked by ${by}): the table and chart are in this thread; plans for this configuration use the measurements.`;
    case 'failed':
      return `Benchmark failed: ${escapeMrkdwn(benchmark.detail ?? 'no reason given')}`;
    case 'cancelled':
      return `Benchmark cancelled by <@${benchmark.cancelledBy ?? benchmark.requestedBy}>; nothing was imported.`;
  }
}

/** Benchmark while the deployment is live and idle; Cancel while a benchmark is queued or running. */
function benchmarkButtons(deployId: string, benchmark: BenchmarkStatus | undefined): ButtonElement[] {
  if (!benchmark || !BENCHMARK_BUSY.includes(benchmark.state))
    return [button('Benchmark', BENCHMARK_ACTION.start, deployId)];
  if (benchmark.state === 'cancelling') return [];
  return [button('Cancel benchmark', BENCHMARK_ACTION.cancel, deployId, 'danger')];
}

/** The deploy states in which each button's job can still do something: it shows, and a press is taken, only then. */
export const ACTION_STATES: Record<DeployButton, readonly DeployState[]> = {
  retry: ['failed'],
  // A rolled-back deploy's objects are gone; the deploy running again offers the way back.
  rollback: ['deployed', 'failed'],
  delete: ['deployed', 'failed', 'rolled_back'],
};

const BUTTON: Record<DeployButton, (deployId: string) => ButtonElement> = {
  retry: (id) => button('Retry', DEPLOY_ACTION.retry, id, 'primary'),
  rollback: (id) => button('Roll back', DEPLOY_ACTION.rollback, id),
  delete: (id) => button('Delete', DEPLOY_ACTION.delete, id, 'danger'),
};

/** States after the deploy's own outcome (a rollback or delete of it, or a newer spec): the title says which. */
const AFTERWARDS: Partial<Record<DeployState, string>> = {
  rolling_back: 'Rolling back',
  rolled_back: 'Rolled back',
  deleting: 'Deleting',
  deleted: 'Deleted',
  superseded: 'Superseded',
};

const STEP_ICON: Record<StepState, string> = {
  pending: '◻️',
  running: '⏳',
  done: '✅',
  retrying: '🔁',
  failed: '❌',
};

/** Where a deploy goes and what it runs: what the status message needs to know about it. */
export interface DeploySummary {
  id: string;
  name: string;
  namespace: string;
  /** Kubeconfig context; null: the current one. */
  context: string | null;
  option: PlannedOption;
  spec: DeploymentSpec;
}

export function targetLabel(deploy: Pick<DeploySummary, 'name' | 'namespace' | 'context'>): string {
  return `${deploy.namespace}/${deploy.name}${deploy.context ? ` on ${deploy.context}` : ''}`;
}

function predictedLine({ option, spec }: DeploySummary): string {
  const p = option.predicted;
  const slo = spec.slo;
  return [
    `TTFT ${ms(p.ttftP95Ms)} ${check(p.ttftP95Ms <= slo.ttftP95Ms.value)} ≤ ${ms(slo.ttftP95Ms.value)}`,
    `ITL ${ms(p.itlP95Ms)} ${check(p.itlP95Ms <= slo.itlP95Ms.value)} ≤ ${ms(slo.itlP95Ms.value)}`,
    `E2E ${ms(p.e2eP95Ms)} ${check(p.e2eP95Ms <= slo.e2eP95Ms.value)} ≤ ${ms(slo.e2eP95Ms.value)}`,
  ].join(' · ');
}

/**
 * The one status message a deploy keeps up to date in its thread (chat.update), from queued to its outcome and on
 * to a rollback or delete. Only the buttons whose job can still do something in the deploy's state show.
 */
export function deployStatusBlocks(
  deploy: DeploySummary & { state: DeployState },
  progress: DeployProgress | null,
): SlackMessage {
  const target = targetLabel(deploy);
  const what = `${deploy.option.modelName} on ${deploy.option.gpuCount}× ${deploy.option.gpuId}`;
  const outcome = progress?.outcome;
  const afterwards = AFTERWARDS[deploy.state];
  const title = afterwards
    ? `${afterwards}: ${deploy.name}`
    : outcome?.kind === 'deployed'
      ? `Deployed: ${deploy.name}`
      : outcome?.kind === 'failed'
        ? `Deploy failed: ${deploy.name}`
        : `Deploying ${deploy.name}`;
  const buttons = (extra: ButtonElement[], ...offered: DeployButton[]): Block[] => {
    const usable = offered.filter((action) => ACTION_STATES[action].includes(deploy.state));
    const elements = [...extra, ...usable.map((action) => BUTTON[action](deploy.id))];
    return elements.length ? [actions(...elements)] : [];
  };
  const blocks: Block[] = [
    header(title),
    section(
      `*${escapeMrkdwn(what)}* → \`${escapeMrkdwn(target)}\` · ${usdMonthly(deploy.option.monthlyCostUsd)}`,
    ),
  ];
  if (!progress) {
    blocks.push(context('Queued: a worker picks it up next.'));
  } else {
    const lines = progress.steps.map(({ step, state, detail }) => {
      const note = detail ? ` — ${escapeMrkdwn(detail)}` : '';
      return `${STEP_ICON[state]} ${STEP_LABEL[step]}${note}`;
    });
    blocks.push(section(lines.join('\n')));
    if (progress.attempt > 1 && !outcome) blocks.push(context(`Attempt ${progress.attempt}`));
  }
  if (outcome?.kind === 'deployed') {
    const benchmark = progress?.benchmark;
    const live = deploy.state === 'deployed';
    blocks.push(
      section(`*Endpoint* ${escapeMrkdwn(outcome.endpoint)}\n*Predicted p95* ${predictedLine(deploy)}`),
      ...(benchmark && live ? [context(benchmarkLine(benchmark))] : []),
      ...buttons(live ? benchmarkButtons(deploy.id, benchmark) : [], 'rollback', 'delete'),
      context(`Deploy ${deploy.id} · healthy at ${outcome.at}`),
    );
  }
  if (outcome?.kind === 'failed') {
    blocks.push(
      section(`*Why:* ${escapeMrkdwn(outcome.reason)}`),
      ...buttons([], 'retry', 'rollback', 'delete'),
      context(`Deploy ${deploy.id} · failed at ${outcome.at}`),
    );
  }
  const state = afterwards
    ? deploy.state.replace(/_/g, ' ')
    : (outcome?.kind ?? (progress ? 'in progress' : 'queued'));
  // Step details and failure reasons quote what the cluster said, which may hold a URL's credentials or a token.
  const message = { text: `${title} (${what} → ${target}): ${state}`, blocks };
  return JSON.parse(redactSecrets(JSON.stringify(message))) as typeof message;
}

const STATE_ICON: Record<string, string> = {
  pending: '🕓',
  running: '⏳',
  deployed: '🟢',
  failed: '🔴',
  rolling_back: '⏪',
  rolled_back: '⏪',
  deleting: '🗑️',
  deleted: '⚪',
  superseded: '⚪',
};

/** Deploys shown by `/compass status`; the rest are counted. */
export const STATUS_LIST_MAX = 20;

/** `/compass status`: each deployment's state, what it runs, its monthly cost and endpoint, newest first. */
export function deployListBlocks(
  deploys: (DeploySummary & { state: string; endpoint: string | null })[],
): SlackMessage {
  if (deploys.length === 0) {
    const text = 'No deployments yet. Ask Compass for a plan in a thread, then Request deploy on an option.';
    return { text, blocks: [section(text)] };
  }
  const live = deploys.filter((d) => d.state === 'deployed');
  const monthly = live.reduce((sum, d) => sum + d.option.monthlyCostUsd, 0);
  const blocks: Block[] = [
    header('Deployments'),
    context(`${live.length} running · ${usdMonthly(monthly)} · ${deploys.length} in all`),
  ];
  for (const deploy of deploys.slice(0, STATUS_LIST_MAX)) {
    const icon = STATE_ICON[deploy.state] ?? '•';
    const endpoint = deploy.endpoint ? ` · ${escapeMrkdwn(deploy.endpoint)}` : '';
    blocks.push(
      section(
        `${icon} *${escapeMrkdwn(targetLabel(deploy))}* — ${deploy.state.replace(/_/g, ' ')}\n` +
          `${escapeMrkdwn(deploy.option.modelName)} on ${deploy.option.gpuCount}× ${deploy.option.gpuId} · ` +
          `${usdMonthly(deploy.option.monthlyCostUsd)}${endpoint}`,
      ),
    );
  }
  if (deploys.length > STATUS_LIST_MAX)
    blocks.push(context(`…and ${deploys.length - STATUS_LIST_MAX} older ones.`));
  return { text: `Deployments: ${live.length} running, ${deploys.length} in all`, blocks };
}
