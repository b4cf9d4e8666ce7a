/**
 * When turns may run: at most `size` past their acknowledgement at once, the rest waiting in arrival order, and none
 * starting while requests are arriving. A burst's turns would otherwise interleave their database queries, Slack calls,
 * Block Kit building and plans (a planning thread takes a core of its own) with the intake of the requests behind
 * them, on the same event loop, the same pooled connections and the same cores, and those requests'
 * acknowledgements would wait for them. Under a steady stream, never quiet, turns that have waited long enough start in
 * the gaps between acknowledgements.
 */
export interface TurnSlots {
  /** Resolves when a slot is free and requests have stopped arriving (see TurnPacing); held until release(). */
  acquire(): Promise<void>;
  release(): void;
  /** A request arrived: no turn starts until the function returned is called (once it is acknowledged). */
  arriving(): () => void;
  /** Turns holding a slot, turns waiting for one, and requests waiting for their acknowledgement. */
  readonly busy: number;
  readonly waiting: number;
  readonly arrivals: number;
}

export interface TurnPacing {
  /**
   * How long after the latest arrival turns keep waiting: the requests of a burst reach the bot a few at a time, and a
   * turn started in a gap between them would take the CPU from those still coming.
   */
  quietMs: number;
  /**
   * How long the oldest waiting turn waits for a quiet period. Then a turn starts at each acknowledgement or release
   * that leaves no request waiting for its acknowledgement, so a steady stream of requests (never quiet for quietMs)
   * is served at the slots' rate; and if requests never stop waiting for theirs, one starts whenever none runs.
   */
  patienceMs: number;
  /** Milliseconds on a monotonic clock. */
  now: () => number;
}

export const TURN_PACING: TurnPacing = { quietMs: 50, patienceMs: 1000, now: () => performance.now() };

export function createTurnSlots(size: number, pacing: TurnPacing = TURN_PACING): TurnSlots {
  const { quietMs, patienceMs, now } = pacing;
  let busy = 0;
  let arrivals = 0;
  let lastArrival = Number.NEGATIVE_INFINITY;
  let scheduled = false;
  let timer: NodeJS.Timeout | undefined;
  const waiting: { since: number; start: () => void }[] = [];

  /** Starts waiting turns while slots are free, a macrotask later: requests already received go first. */
  function schedule() {
    if (scheduled || waiting.length === 0) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      clearTimeout(timer);
      timer = undefined;
      const at = now();
      const quietFrom = lastArrival + quietMs;
      // Past the oldest turn's patience, one turn starts per look (each acknowledgement and release looks again), so
      // turns go at the pace the intake leaves gaps; beside an unacknowledged request only when none runs.
      const impatient = at >= waiting[0]!.since + patienceMs;
      let oneMore = impatient && (arrivals === 0 || busy === 0);
      while (busy < size && waiting.length > 0) {
        const quiet = arrivals === 0 && at >= quietFrom;
        if (!quiet && !oneMore) break;
        oneMore = false;
        busy++;
        waiting.shift()!.start();
      }
      if (busy >= size || waiting.length === 0) return;
      // Look again when the quiet period or the oldest turn's patience ends, whichever comes first; an arrival's
      // acknowledgement and a release look again on their own.
      const patienceEnds = waiting[0]!.since + patienceMs;
      const next = Math.min(
        arrivals === 0 ? quietFrom : Number.POSITIVE_INFINITY,
        patienceEnds > at && (arrivals === 0 || busy === 0) ? patienceEnds : Number.POSITIVE_INFINITY,
      );
      if (next === Number.POSITIVE_INFINITY) return;
      timer = setTimeout(schedule, Math.max(0, next - at));
    });
  }

  return {
    acquire() {
      const slot = new Promise<void>((start) => waiting.push({ since: now(), start }));
      schedule();
      return slot;
    },
    release() {
      busy--;
      schedule();
    },
    arriving() {
      arrivals++;
      lastArrival = now();
      let done = false;
      return () => {
        if (done) return;
        done = true;
        arrivals--;
        schedule();
      };
    },
    get busy() {
      return busy;
    },
    get waiting() {
      return waiting.length;
    },
    get arrivals() {
      return arrivals;
    },
  };
}
