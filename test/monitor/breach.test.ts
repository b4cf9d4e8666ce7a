import { describe, expect, it } from 'vitest';
import {
  type BreachEvent,
  type BreachPolicy,
  BreachState,
  detectBreaches,
  failedChecks,
  INITIAL_BREACH_STATE,
  nextBreachState,
  type SloCheck,
  type SloEvaluation,
  sloEvaluation,
} from '../../src/monitor/index.js';
import { deployedOption, idleObservation, observation } from './fixtures.js';

const { targets } = deployedOption();
const minute = (n: number) => new Date(Date.UTC(2026, 4, 1, 12, n)).toISOString();

/** One evaluation a minute: [short-window failures, long-window failures]. */
type Step = [SloCheck[], SloCheck[]];
const BOTH: Step = [['ttft'], ['ttft']];
const CLEAR: Step = [[], []];
const SPIKE: Step = [['ttft'], []];

const evaluations = (steps: Step[]): SloEvaluation[] =>
  steps.map(([short, long], step) => ({ at: minute(step), short, long }));

/** Feeds the steps through the detector; each event is tagged with the step it came at. */
function run(steps: Step[], policy?: BreachPolicy, start?: BreachState) {
  const { state, events } = detectBreaches(evaluations(steps), start, policy);
  return { state, events: events.map((event) => ({ ...event, step: Number(event.at.slice(14, 16)) })) };
}

describe('breach detection', () => {
  it('does not alert on a short spike the long window does not confirm', () => {
    const { events, state } = run([CLEAR, SPIKE, SPIKE, SPIKE, CLEAR, CLEAR]);
    expect(events).toEqual([]);
    expect(state).toEqual(INITIAL_BREACH_STATE);
  });

  it('does not alert on a long window still remembering an old violation while the short one is clear', () => {
    expect(
      run([
        [[], ['e2e']],
        [[], ['e2e']],
      ]).events,
    ).toEqual([]);
  });

  it('alerts exactly once on a sustained violation, when both windows fail', () => {
    const { events, state } = run([CLEAR, SPIKE, BOTH, BOTH, BOTH, BOTH, BOTH]);
    expect(events).toEqual([{ kind: 'breach', at: minute(2), checks: ['ttft'], step: 2 }]);
    expect(state).toEqual({ status: 'breach', since: minute(2), checks: ['ttft'], clearStreak: 0 });
  });

  it('announces recovery once, after both windows are back within target for the policy’s evaluations', () => {
    const { events, state } = run([BOTH, BOTH, CLEAR, CLEAR, CLEAR, CLEAR]);
    expect(events).toEqual([
      { kind: 'breach', at: minute(0), checks: ['ttft'], step: 0 },
      { kind: 'recovered', at: minute(3), since: minute(0), checks: ['ttft'], step: 3 },
    ]);
    expect(state).toEqual(INITIAL_BREACH_STATE);
    expect(run([BOTH, CLEAR], { recoveryEvaluations: 1 }).events.map((e) => [e.kind, e.step])).toEqual([
      ['breach', 0],
      ['recovered', 1],
    ]);
  });

  it('keeps the breach while the long window still fails, even when the short one is clear', () => {
    const lingering: Step = [[], ['ttft']];
    const { events, state } = run([BOTH, lingering, lingering, lingering, lingering]);
    expect(events.map((e) => e.kind)).toEqual(['breach']);
    expect(state.status).toBe('breach');
  });

  it('rides out flapping: one breach, no recovery until it has been clear long enough, no second alert', () => {
    const { events } = run([BOTH, CLEAR, BOTH, CLEAR, SPIKE, CLEAR, BOTH, CLEAR, CLEAR, CLEAR]);
    expect(events.map((e) => [e.kind, e.step])).toEqual([
      ['breach', 0],
      ['recovered', 8],
    ]);
  });

  it('adds checks that fail later to the open breach without announcing it again', () => {
    const { events } = run([
      BOTH,
      [
        ['ttft', 'itl'],
        ['ttft', 'itl'],
      ],
      [['itl'], ['itl']],
      CLEAR,
      CLEAR,
    ]);
    expect(events.map((e) => e.kind)).toEqual(['breach', 'recovered']);
    expect(events[1]).toMatchObject({ checks: ['ttft', 'itl'] });
  });

  it('alerts again on a new sustained violation after a recovery', () => {
    const { events } = run([BOTH, CLEAR, CLEAR, SPIKE, BOTH, BOTH]);
    expect(events.map((e) => [e.kind, e.step])).toEqual([
      ['breach', 0],
      ['recovered', 2],
      ['breach', 4],
    ]);
  });

  it('keeps its state as plain JSON, one evaluation at a time, with the same announcements as a whole sequence', () => {
    const steps = [CLEAR, SPIKE, BOTH, BOTH, CLEAR, BOTH, CLEAR, CLEAR, BOTH, BOTH];
    let state = INITIAL_BREACH_STATE;
    const events: BreachEvent[] = [];
    for (const evaluation of evaluations(steps)) {
      const next = nextBreachState(BreachState.parse(JSON.parse(JSON.stringify(state))), evaluation);
      state = next.state;
      if (next.event) events.push(next.event);
    }
    expect(events).toEqual(detectBreaches(evaluations(steps)).events);
    expect(events.map((event) => event.kind)).toEqual(['breach', 'recovered', 'breach']);
  });

  it('resumes from a stored state', () => {
    const stored = BreachState.parse({
      status: 'breach',
      since: minute(0),
      checks: ['errors'],
      clearStreak: 1,
    });
    expect(run([CLEAR], undefined, stored).events).toEqual([
      { kind: 'recovered', at: minute(0), since: minute(0), checks: ['errors'], step: 0 },
    ]);
  });
});

describe('failed checks', () => {
  it('fail each p95 above its target and an error rate above its target; no data fails nothing', () => {
    expect(failedChecks(observation(), targets)).toEqual([]);
    expect(failedChecks(idleObservation(), targets)).toEqual([]);
    expect(
      failedChecks(
        observation({
          ttftP95Ms: targets.ttftP95Ms + 1,
          itlP95Ms: targets.itlP95Ms,
          e2eP95Ms: targets.e2eP95Ms * 2,
          abortedShare: 0.05,
        }),
        targets,
      ),
    ).toEqual(['ttft', 'e2e', 'errors']);
    expect(failedChecks(observation({ abortedShare: 0.05 }), targets, 0.1)).toEqual([]);
    expect(failedChecks(observation({ httpErrorRate: 0.2, abortedShare: 0 }), targets)).toEqual(['errors']);
  });

  it('make an evaluation from the short and the long window at the short window’s instant', () => {
    const short = observation({ windowSec: 60, itlP95Ms: targets.itlP95Ms * 3 });
    const long = observation({ windowSec: 600, at: minute(5) });
    expect(sloEvaluation(short, long, targets)).toEqual({ at: short.at, short: ['itl'], long: [] });
  });
});

describe('failedChecks from histograms', () => {
  /** Every request at `ms`, in vLLM's E2E buckets (… 10, 15, 20, 30 s). */
  const e2eAt = (ms: number) => ({
    buckets: [5000, 10000, 15000, 20000, 30000].map((leMs) => ({ leMs, perSec: ms <= leMs ? 1 : 0 })),
    totalPerSec: 1,
  });
  const slo = { ...targets, e2eP95Ms: 12000 };

  it('fails a check only on a definite breach, never on an interpolated p95 inside the target’s bucket', () => {
    // 11 s steady reads as a 14.75 s p95 (linear inside 10–15 s), over 12 s, but the buckets cannot tell.
    expect(failedChecks(observation({ e2eP95Ms: 14750, e2eHistogram: e2eAt(11000) }), slo)).toEqual([]);
    expect(failedChecks(observation({ e2eP95Ms: 19750, e2eHistogram: e2eAt(16000) }), slo)).toEqual(['e2e']);
    expect(failedChecks(observation({ e2eP95Ms: 9750, e2eHistogram: e2eAt(9000) }), slo)).toEqual([]);
  });
});
