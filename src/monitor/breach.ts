/**
 * Breach detection as in multi-window burn-rate alerting: a check is breached only when it fails over a short window
 * (it is failing now) and over a longer one (it has been failing for a while), so a spike does not page anyone and a
 * sustained violation does, once. The breach lasts until every check is back within target over both windows for
 * `recoveryEvaluations` evaluations in a row, then recovery is announced once. The state is plain data (JSON).
 */
import { z } from 'zod';
import type { Slo } from '../planner/schema.js';
import type { Observation } from './observation.js';
import { DEFAULT_ERROR_RATE_TARGET, errorRateOf, latencyVerdict } from './summary.js';

export const SloCheck = z.enum(['ttft', 'itl', 'e2e', 'errors']);
export type SloCheck = z.infer<typeof SloCheck>;

/** The checks failing over each window at one instant. */
export const SloEvaluation = z.object({
  at: z.iso.datetime(),
  short: z.array(SloCheck),
  long: z.array(SloCheck),
});
export type SloEvaluation = z.infer<typeof SloEvaluation>;

export const BreachState = z.object({
  status: z.enum(['ok', 'breach']),
  /** When the current breach opened; null when there is none. */
  since: z.iso.datetime().nullable(),
  /** Every check that failed over both windows during the current breach. */
  checks: z.array(SloCheck),
  /** Evaluations in a row with everything within target, during a breach. */
  clearStreak: z.number().int().nonnegative(),
});
export type BreachState = z.infer<typeof BreachState>;

export const INITIAL_BREACH_STATE: BreachState = { status: 'ok', since: null, checks: [], clearStreak: 0 };

export type BreachEvent =
  | { kind: 'breach'; at: string; checks: SloCheck[] }
  | { kind: 'recovered'; at: string; since: string; checks: SloCheck[] };

export interface BreachPolicy {
  /** Clear evaluations in a row before recovery is announced, so a check hovering at its target does not flap. */
  recoveryEvaluations: number;
}

export const DEFAULT_BREACH_POLICY: BreachPolicy = { recoveryEvaluations: 2 };

/**
 * The checks an observation fails. A latency check fails only on a definite breach of its histogram's buckets (a
 * p95 the buckets cannot place against the target is no breach); no data (no traffic) fails nothing.
 */
export function failedChecks(
  observed: Observation,
  targets: Slo,
  errorRateTarget = DEFAULT_ERROR_RATE_TARGET,
): SloCheck[] {
  const over = (value: number | null, limit: number) => value !== null && value > limit;
  const failed: SloCheck[] = [];
  const breached = (metric: 'ttft' | 'itl' | 'e2e', targetMs: number) =>
    latencyVerdict(observed, metric, targetMs).verdict === 'breach';
  if (breached('ttft', targets.ttftP95Ms)) failed.push('ttft');
  if (breached('itl', targets.itlP95Ms)) failed.push('itl');
  if (breached('e2e', targets.e2eP95Ms)) failed.push('e2e');
  if (over(errorRateOf(observed).rate, errorRateTarget)) failed.push('errors');
  return failed;
}

/** The evaluation of one instant from its short-window and long-window observations. */
export function sloEvaluation(
  short: Observation,
  long: Observation,
  targets: Slo,
  errorRateTarget = DEFAULT_ERROR_RATE_TARGET,
): SloEvaluation {
  return {
    at: short.at,
    short: failedChecks(short, targets, errorRateTarget),
    long: failedChecks(long, targets, errorRateTarget),
  };
}

/** The state after one more evaluation, and what to announce (null: nothing). */
export function nextBreachState(
  state: BreachState,
  evaluation: SloEvaluation,
  policy: BreachPolicy = DEFAULT_BREACH_POLICY,
): { state: BreachState; event: BreachEvent | null } {
  const sustained = evaluation.short.filter((check) => evaluation.long.includes(check));
  if (state.status === 'ok') {
    if (sustained.length === 0) return { state, event: null };
    return {
      state: { status: 'breach', since: evaluation.at, checks: sustained, clearStreak: 0 },
      event: { kind: 'breach', at: evaluation.at, checks: sustained },
    };
  }
  const clear = evaluation.short.length === 0 && evaluation.long.length === 0;
  if (!clear) {
    const checks = [...state.checks, ...sustained.filter((check) => !state.checks.includes(check))];
    return { state: { ...state, checks, clearStreak: 0 }, event: null };
  }
  const clearStreak = state.clearStreak + 1;
  if (clearStreak < policy.recoveryEvaluations) return { state: { ...state, clearStreak }, event: null };
  return {
    state: INITIAL_BREACH_STATE,
    event: {
      kind: 'recovered',
      at: evaluation.at,
      since: state.since ?? evaluation.at,
      checks: state.checks,
    },
  };
}

/** Folds a sequence of evaluations through the detector: the final state and every announcement, in order. */
export function detectBreaches(
  evaluations: SloEvaluation[],
  state: BreachState = INITIAL_BREACH_STATE,
  policy: BreachPolicy = DEFAULT_BREACH_POLICY,
): { state: BreachState; events: BreachEvent[] } {
  const events: BreachEvent[] = [];
  for (const evaluation of evaluations) {
    const next = nextBreachState(state, evaluation, policy);
    state = next.state;
    if (next.event) events.push(next.event);
  }
  return { state, events };
}
