import { RELAXED_LATENCY } from '../intent/latency.js';
import type { BatchJob, Intent } from '../intent/schema.js';
import { e2eFloorMs, type UseCase, type UseCaseId } from '../knowledge/catalog.js';
import type { DeploymentSpec, FieldSource } from './schema.js';

/** Use case assumed when the text names none; the conversation asks, the CLI says so in the notes. */
export const FALLBACK_USE_CASE: UseCaseId = 'chatbot_conversational';
/** Users assumed when the text gives neither users nor a request rate. */
export const FALLBACK_USERS = 100;

/**
 * p95 targets a batch job gets where the user states none: nobody waits on a single item, so the use case's
 * interactive targets would buy replicas for latency the job does not need. These only keep each replica out of the
 * queueing that grows without bound near capacity, so it runs large batches at most of its throughput.
 */
export const BATCH_SLO = { ttftP95Ms: 60_000, itlP95Ms: 200, e2eP95Ms: 600_000 } as const;

const round = (value: number, digits = 2) => Number(value.toFixed(digits));
const figure = (value: number) => value.toLocaleString('en-US');
const stated = <T>(value: T) => ({ value, source: 'stated' as const });
const defaulted = <T>(value: T) => ({ value, source: 'default' as const });
const derived = <T>(value: T) => ({ value, source: 'derived' as const });
const fromIntent = <T>(value: T | null, fallback: T) =>
  value === null ? defaulted(fallback) : stated(value);

/**
 * Request rates from a user count (documented in README "How Compass sizes traffic"):
 *   average QPS = users × activeShare × requestsPerActiveUserPerMinute / 60
 *   peak QPS    = average QPS × burstiness
 * A stated QPS is the peak the deployment must carry; its average is peak / burstiness.
 */
export function trafficFromUsers(
  users: number,
  traffic: UseCase['traffic'],
): { avgQps: number; peakQps: number } {
  const avgQps = (users * traffic.activeShare * traffic.requestsPerActiveUserPerMinute) / 60;
  return { avgQps, peakQps: avgQps * traffic.burstiness };
}

export class UnknownUseCaseError extends Error {
  constructor(id: string) {
    super(`The knowledge base has no use case "${id}". Run "compass db seed" to load the catalog.`);
    this.name = 'UnknownUseCaseError';
  }
}

/**
 * The batch job a request's text states ("2 million tickets overnight in 8 hours"): its items a day, and the window
 * their rate (items ÷ window, as the extractor reads it) implies, so a plan gives each option's makespan as
 * `--batch-per-day` does. Null for interactive traffic.
 */
export function batchOfText(intent: Intent): BatchJob | null {
  const items = intent.batchItemsPerDay ?? null;
  if (items === null || intent.qps === null || intent.qps <= 0) return null;
  return {
    itemsPerDay: items,
    windowHours: Math.min(Math.round((items / (intent.qps * 3600)) * 10) / 10, 24),
  };
}

/** Turns an intent into the deployment spec, filling what the user did not say from the use case's defaults. */
export function buildSpec(intent: Intent, useCases: readonly UseCase[]): DeploymentSpec {
  const notes: string[] = [];
  const useCaseId = intent.useCase ?? FALLBACK_USE_CASE;
  const useCase = useCases.find((candidate) => candidate.id === useCaseId);
  if (!useCase) throw new UnknownUseCaseError(useCaseId);
  if (intent.useCase === null) notes.push(`No use case was named; assumed ${useCase.name}.`);

  const { traffic: defaults } = useCase;
  let users: DeploymentSpec['users'];
  let avgQps: DeploymentSpec['traffic']['avgQps'];
  let peakQps: DeploymentSpec['traffic']['peakQps'];
  const batch = intent.batch ?? batchOfText(intent);
  if (batch !== null) {
    users = intent.users === null ? defaulted(null) : stated(intent.users);
    const windowSec = batch.windowHours * 3600;
    peakQps = derived(round(batch.itemsPerDay / windowSec, 3));
    avgQps = derived(round(batch.itemsPerDay / 86_400, 3));
    notes.push(
      `Batch job: ${figure(batch.itemsPerDay)} items a day in a ${figure(batch.windowHours)}-hour window = ${round(batch.itemsPerDay / windowSec)} requests/s while it runs; each option also says how long the day's items take.`,
    );
  } else if (intent.qps !== null) {
    users = intent.users === null ? defaulted(null) : stated(intent.users);
    peakQps = stated(intent.qps);
    avgQps = derived(round(intent.qps / defaults.burstiness, 3));
    notes.push(
      `Sized for the stated ${round(intent.qps)} requests/s as peak; average assumed peak ÷ ${defaults.burstiness}.`,
    );
  } else {
    const userCount = intent.users ?? FALLBACK_USERS;
    const source: FieldSource = intent.users === null ? 'default' : 'stated';
    if (source === 'default')
      notes.push(`No user count or request rate was given; assumed ${FALLBACK_USERS} users.`);
    const rates = trafficFromUsers(userCount, defaults);
    users = { value: userCount, source };
    avgQps = derived(round(rates.avgQps, 3));
    peakQps = derived(round(rates.peakQps, 3));
    notes.push(
      `Peak ${round(rates.peakQps)} requests/s = ${userCount} users × ${defaults.activeShare * 100}% active × ` +
        `${defaults.requestsPerActiveUserPerMinute} requests/min ÷ 60 × burstiness ${defaults.burstiness}.`,
    );
  }

  const promptTokens = fromIntent(intent.promptTokens, defaults.promptTokens);
  const outputTokens = fromIntent(intent.outputTokens, defaults.outputTokens);
  const targets =
    batch !== null ? BATCH_SLO : intent.latencyWaived ? { ...useCase.slo, ...RELAXED_LATENCY } : useCase.slo;
  const ttft = fromIntent(intent.ttftP95Ms, targets.ttftP95Ms);
  const itl = fromIntent(intent.itlP95Ms, targets.itlP95Ms);
  let e2e: DeploymentSpec['slo']['e2eP95Ms'] = fromIntent(intent.e2eP95Ms, targets.e2eP95Ms);
  const promptTokensCv = fromIntent(intent.promptTokensCv ?? null, defaults.promptTokensCv ?? 0);
  const outputTokensCv = fromIntent(intent.outputTokensCv ?? null, defaults.outputTokensCv ?? 0);
  // A defaulted end-to-end target must leave room for the stated first-token and per-token targets.
  const { floorMs, replyTokens } = e2eFloorMs(
    ttft.value,
    itl.value,
    outputTokens.value,
    outputTokensCv.value,
  );
  if (e2e.source === 'default' && e2e.value < floorMs) {
    e2e = derived(floorMs);
    notes.push(
      `E2E p95 target raised to ${figure(floorMs)} ms = TTFT + ${figure(replyTokens)} output tokens (the p95 reply) × ITL, to match the stated targets.`,
    );
  }

  return {
    useCase: intent.useCase === null ? defaulted(useCaseId) : stated(useCaseId),
    users,
    traffic: {
      promptTokens,
      outputTokens,
      avgQps,
      peakQps,
      prefixShare:
        intent.prefixShare == null ? defaulted(useCase.traffic.prefixShare ?? 0) : stated(intent.prefixShare),
      promptTokensCv,
      outputTokensCv,
    },
    slo: { ttftP95Ms: ttft, itlP95Ms: itl, e2eP95Ms: e2e },
    priority: intent.priorityStated ? stated(intent.priority) : defaulted(intent.priority),
    budgetMonthlyUsd: fromIntent(intent.budgetMonthlyUsd, null),
    gpuTypes: intent.gpuTypes.length > 0 ? stated(intent.gpuTypes) : defaulted([]),
    models: intent.models.length > 0 ? stated(intent.models) : defaulted([]),
    maxGpus: fromIntent(intent.maxGpus, null),
    ...(intent.precisions?.length && { precisions: stated(intent.precisions) }),
    ...(batch !== null && { batch: stated(batch) }),
    ...(intent.latencyWaived && { latencyWaived: true as const }),
    notes,
  };
}

/**
 * What a plan of this spec takes for granted because the user did not say it, in the order a reader checks them:
 * the use case, the load, the request shape, the latency targets. Plans show these first.
 */
export function assumptionsOf(spec: DeploymentSpec): string[] {
  const assumptions = spec.notes.filter((note) => /^No (use case|user count)/.test(note));
  const { promptTokens, outputTokens } = spec.traffic;
  if (promptTokens.source === 'default' || outputTokens.source === 'default') {
    const lengths = [
      promptTokens.source === 'default' && `${figure(promptTokens.value)} prompt tokens`,
      outputTokens.source === 'default' && `${figure(outputTokens.value)} output tokens`,
    ].filter(Boolean);
    assumptions.push(`Request shape is the use case's default: ${lengths.join(' and ')}.`);
  }
  const spreads = (
    [
      ['prompt', spec.traffic.promptTokensCv],
      ['output', spec.traffic.outputTokensCv],
    ] as const
  ).flatMap(([name, cv]) => (cv?.source === 'default' && cv.value > 0 ? [`${name} ${cv.value}`] : []));
  if (spreads.length > 0)
    assumptions.push(
      `Request lengths vary as the use case's published trace does (standard deviation ÷ mean: ${spreads.join(', ')}), so p95s are those of long requests.`,
    );
  const prefix = spec.traffic.prefixShare;
  if (prefix && prefix.source === 'default' && prefix.value > 0)
    assumptions.push(
      `${Math.round(prefix.value * 100)}% of each prompt is a prefix earlier requests sent (system prompt, history, template), served from vLLM's prefix cache: the use case's default.`,
    );
  const targets = (
    [
      ['TTFT', spec.slo.ttftP95Ms],
      ['ITL', spec.slo.itlP95Ms],
      ['E2E', spec.slo.e2eP95Ms],
    ] as const
  )
    .filter(([, target]) => target.source !== 'stated')
    .map(([name, target]) => `${name} ${figure(target.value)} ms`);
  if (targets.length > 0)
    assumptions.push(
      spec.batch
        ? `p95 targets not stated are a batch job's (nobody waits on one item): ${targets.join(', ')}.`
        : spec.latencyWaived
          ? `p95 targets not stated are relaxed, as latency was waived: ${targets.join(', ')}.`
          : `p95 targets not stated are the use case's: ${targets.join(', ')}.`,
    );
  return assumptions;
}

export interface SpecProblem {
  field: string;
  message: string;
}

/** Contradictions in a spec that no plan can satisfy, in words the user can act on. */
export function checkSpec(spec: DeploymentSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const { ttftP95Ms, itlP95Ms, e2eP95Ms } = spec.slo;
  const floor = ttftP95Ms.value + spec.traffic.outputTokens.value * itlP95Ms.value;
  if (e2eP95Ms.value < floor) {
    problems.push({
      field: 'slo.e2eP95Ms',
      message:
        `E2E p95 target ${e2eP95Ms.value} ms is below TTFT ${ttftP95Ms.value} ms + ` +
        `${spec.traffic.outputTokens.value} output tokens × ITL ${itlP95Ms.value} ms = ${Math.ceil(floor)} ms; ` +
        'raise the E2E target, lower the output length or tighten ITL.',
    });
  }
  return problems;
}
