/**
 * Capacity advice from what was observed: under-used capacity → fewer replicas with the predicted saving; queueing or
 * a breach → more replicas, or a faster option when the latency misses at light load (more replicas would not help).
 * Every figure comes from the planner's `whatIf` at the observed load, and every piece of advice carries the what-if
 * request that reproduces it, so the what-if modal opens on exactly these numbers.
 */
import { z } from 'zod';
import type { Knowledge } from '../knowledge/catalog.js';
import { type PlannedOption, type Scenario, type WhatIfOverrides, whatIf } from '../planner/plan.js';
import { ms, rps, usd } from '../slack/blocks/format.js';
import type { DeploymentSpec } from '../spec/schema.js';
import type { SloSummary } from './summary.js';
import { withBucket } from './verdict.js';

/** What the what-if modal opens with: the deployed option and the overrides to try (a subset of WhatIfOverrides). */
export const WhatIfPrefill = z.object({
  optionId: z.string().min(1),
  overrides: z.object({
    tensorParallel: z.number().int().positive().optional(),
    gpuCount: z.number().int().positive().optional(),
    peakQps: z.number().positive().optional(),
  }),
});
export type WhatIfPrefill = z.infer<typeof WhatIfPrefill>;

export const Advice = z.object({
  kind: z.enum(['fewer-replicas', 'more-replicas', 'faster-option']),
  /** The advice in a sentence or two, for the thread. */
  text: z.string(),
  replicas: z.object({ from: z.number().int().nonnegative(), to: z.number().int().positive() }).nullable(),
  /** Change of the monthly bill against what runs now; null when the planner could not price the change. */
  monthlyCostDeltaUsd: z.number().nullable(),
  /** The planner's p95s for the change at the observed load; null when it has none. */
  predicted: z
    .object({ ttftP95Ms: z.number(), itlP95Ms: z.number(), e2eP95Ms: z.number(), meetsSlo: z.boolean() })
    .nullable(),
  prefill: WhatIfPrefill,
});
export type Advice = z.infer<typeof Advice>;

/** Mean requests waiting per replica below which the queue counts as empty. */
export const QUEUE_EMPTY_BELOW = 0.1;
/** Mean requests waiting per replica from which the deployment counts as queueing. */
export const QUEUEING_FROM = 1;
/** KV-cache usage below which the cache counts as mostly idle. */
export const KV_IDLE_BELOW = 0.5;
/** Load per replica, as a share of what one carries within the SLOs, below which a latency miss is not capacity. */
export const LIGHT_LOAD_SHARE = 0.5;
/** The planner needs a positive rate; a deployment with no traffic is sized for this. */
const MIN_RATE = 0.01;

export interface AdviceInput {
  summary: SloSummary;
  /** The option that was deployed, as planned. */
  option: PlannedOption;
  spec: DeploymentSpec;
  knowledge: Knowledge;
  /** An open breach from the breach detector; the summary's own status when not given. */
  breaching?: boolean;
}

const significant = (value: number) => Number(value.toPrecision(3));
const percent = (share: number) => `${Math.round(share * 100)}%`;
const signedUsd = (value: number) => `${value >= 0 ? '+' : '−'}${usd(Math.abs(value))}/month`;

interface Priced {
  option: PlannedOption;
  monthlyCostDeltaUsd: number;
  predicted: NonNullable<Advice['predicted']>;
}

/** A planned scenario priced against the `current` replicas of the deployed option; null when it is not planned. */
function priced(scenario: Scenario, deployed: PlannedOption, current: number): Priced | null {
  if (scenario.kind !== 'planned') return null;
  const { option } = scenario;
  return {
    option,
    monthlyCostDeltaUsd: option.monthlyCostUsd - (deployed.monthlyCostUsd / deployed.replicas) * current,
    predicted: {
      ttftP95Ms: option.predicted.ttftP95Ms,
      itlP95Ms: option.predicted.itlP95Ms,
      e2eP95Ms: option.predicted.e2eP95Ms,
      meetsSlo: option.meetsSlo,
    },
  };
}

const p95Words = (predicted: Priced['predicted']) =>
  `p95 TTFT ${ms(predicted.ttftP95Ms)}, ITL ${ms(predicted.itlP95Ms)}, E2E ${ms(predicted.e2eP95Ms)}`;

const CHECK_WORDS = { ttft: 'TTFT p95', itl: 'ITL p95', e2e: 'E2E p95' } as const;

/** Why the deployment needs more: the failing checks and the queue, in words. */
function pressure(summary: SloSummary, queuePerReplica: number): string {
  const missing = summary.latency
    .filter((check) => check.meetsTarget === false)
    .map(
      (check) =>
        `${CHECK_WORDS[check.metric]} at ${withBucket(ms(check.observedMs ?? 0), check.p95Bucket)}, over its ${ms(check.targetMs)} target`,
    );
  if (summary.errors.meetsTarget === false) missing.push(`error rate ${percent(summary.errors.rate ?? 0)}`);
  if (queuePerReplica >= QUEUEING_FROM)
    missing.push(`${significant(queuePerReplica)} requests waiting per replica`);
  return missing.length > 0 ? missing.join(', ') : 'an open SLO breach';
}

export function capacityAdvice(input: AdviceInput): Advice[] {
  const { summary, option, spec, knowledge } = input;
  const observedRps = summary.traffic.requestsPerSec;
  const current = summary.replicas.observed ?? option.replicas;
  // Without traffic figures, or with nothing up, there is no load to size for.
  if (observedRps === null || current < 1) return [];
  const tp = option.tensorParallel;
  const burstiness = Math.max(1, spec.traffic.peakQps.value / spec.traffic.avgQps.value);
  const peakQps = significant(Math.max(observedRps * burstiness, MIN_RATE));
  const queuePerReplica = (summary.queue.mean ?? 0) / current;
  const breaching = input.breaching ?? summary.status === 'missing';
  const at = (overrides: WhatIfOverrides) =>
    priced(whatIf(spec, option, { peakQps, ...overrides }, knowledge).scenario, option, current);
  const peakWords = `the observed ${rps(observedRps)} (peak ${rps(peakQps)} at the spec's burstiness)`;

  if (breaching || queuePerReplica >= QUEUEING_FROM) {
    const advice: Advice[] = [];
    const why = pressure(summary, queuePerReplica);
    const lightLoad =
      observedRps / current < LIGHT_LOAD_SHARE * option.predicted.maxRpsPerReplica &&
      queuePerReplica < QUEUE_EMPTY_BELOW;
    let more: Priced | null = null;
    if (!lightLoad) {
      const needed = at({})?.option.replicas ?? 0;
      const to = Math.max(needed, current + 1);
      more = at({ gpuCount: to * tp });
      advice.push({
        kind: 'more-replicas',
        text:
          `${why}: ${to} replicas instead of ${current} for ${peakWords}` +
          (more
            ? ` (${signedUsd(more.monthlyCostDeltaUsd)}); the planner predicts ${p95Words(more.predicted)}.`
            : '.'),
        replicas: { from: current, to },
        monthlyCostDeltaUsd: more?.monthlyCostDeltaUsd ?? null,
        predicted: more?.predicted ?? null,
        prefill: { optionId: option.id, overrides: { gpuCount: to * tp, peakQps } },
      });
    }
    if (lightLoad || !more?.predicted.meetsSlo) advice.push(fasterOption(input, why, peakQps, current, at));
    return advice;
  }

  const kvIdle = (summary.kvCache.mean ?? 0) < KV_IDLE_BELOW;
  if (current < 2 || queuePerReplica >= QUEUE_EMPTY_BELOW || !kvIdle) return [];
  const needed = at({})?.option.replicas;
  if (needed === undefined || needed >= current) return [];
  const fewer = at({ gpuCount: needed * tp });
  if (!fewer?.predicted.meetsSlo) return [];
  const share = summary.traffic.loadShare;
  return [
    {
      kind: 'fewer-replicas',
      text:
        `Under-used: ${share === null ? '' : `${percent(share)} of the planned capacity, `}an empty queue and the ` +
        `KV cache ${percent(summary.kvCache.mean ?? 0)} used. ${needed} replica${needed === 1 ? '' : 's'} ` +
        `instead of ${current} ${needed === 1 ? 'carries' : 'carry'} ${peakWords} within the SLOs (${p95Words(fewer.predicted)}): ` +
        `${signedUsd(fewer.monthlyCostDeltaUsd)}.`,
      replicas: { from: current, to: needed },
      monthlyCostDeltaUsd: fewer.monthlyCostDeltaUsd,
      predicted: fewer.predicted,
      prefill: { optionId: option.id, overrides: { gpuCount: needed * tp, peakQps } },
    },
  ];
}

/** Twice the tensor parallelism where the node has room and the planner says it meets the SLOs; else an open what-if. */
function fasterOption(
  input: AdviceInput,
  why: string,
  peakQps: number,
  current: number,
  at: (overrides: WhatIfOverrides) => Priced | null,
): Advice {
  const { option, knowledge } = input;
  const tensorParallel = option.tensorParallel * 2;
  const perNode = knowledge.gpus.find((gpu) => gpu.id === option.gpuId)?.maxPerNode ?? 0;
  const faster = tensorParallel <= perNode ? at({ tensorParallel }) : null;
  if (faster?.predicted.meetsSlo) {
    return {
      kind: 'faster-option',
      text:
        `${why}, and more replicas would not fix it: TP${tensorParallel} on ${faster.option.gpuCount}× ${option.gpuId} ` +
        `predicts ${p95Words(faster.predicted)} (${signedUsd(faster.monthlyCostDeltaUsd)}).`,
      replicas: { from: current, to: faster.option.replicas },
      monthlyCostDeltaUsd: faster.monthlyCostDeltaUsd,
      predicted: faster.predicted,
      prefill: { optionId: option.id, overrides: { tensorParallel, peakQps } },
    };
  }
  return {
    kind: 'faster-option',
    text: `${why}, and no more replicas or tensor parallelism of ${option.gpuId} fix it in the planner's model: try a faster GPU or a smaller model in the what-if.`,
    replicas: null,
    monthlyCostDeltaUsd: null,
    predicted: null,
    prefill: { optionId: option.id, overrides: { peakQps } },
  };
}
