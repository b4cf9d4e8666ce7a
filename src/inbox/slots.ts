/**
 * When turns may run: at most `size` past their acknowledgement at once, the rest waiting in arrival order, and none
 * starting while a request waits for its acknowledgement. A burst's turns would otherwise interleave their database
 * queries, Slack calls and Block Kit building with the intake of the requests behind them, on the same event loop and
 * the same pooled connections, and those requests' acknowledgements would wait for them.
 */
export interface TurnSlots {
  /**
   * Resolves when a slot is free and no request waits for its acknowledgement (or no turn runs at all); held until
   * release().
   */
  acquire(): Promise<void>;
  release(): void;
  /** A request arrived: no turn starts until the function returned is called (once it is acknowledged). */
  arriving(): () => void;
  /** Turns holding a slot, turns waiting for one, and requests waiting for their acknowledgement. */
  readonly busy: number;
  readonly waiting: number;
  readonly arrivals: number;
}

export function createTurnSlots(size: number): TurnSlots {
  let busy = 0;
  let arrivals = 0;
  let scheduled = false;
  const waiting: (() => void)[] = [];

  /** Starts waiting turns while slots are free, a macrotask later: requests already received go first. */
  function schedule() {
    if (scheduled || waiting.length === 0) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      // One turn runs whatever arrives, so a steady stream of requests cannot starve the turns.
      while (busy < size && waiting.length > 0 && (arrivals === 0 || busy === 0)) {
        busy++;
        waiting.shift()!();
      }
    });
  }

  return {
    acquire() {
      const slot = new Promise<void>((resolve) => waiting.push(resolve));
      schedule();
      return slot;
    },
    release() {
      busy--;
      schedule();
    },
    arriving() {
      arrivals++;
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
