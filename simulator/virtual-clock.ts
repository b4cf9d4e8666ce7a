/**
 * A clock that only moves when told: the engine runs as a pure discrete-event simulation, thousands of requests in
 * milliseconds, with exact timings. For engine tests and the engine-only bench; the server uses real time.
 */
import type { EngineClock } from './engine.js';

interface Timer {
  at: number;
  order: number;
  callback: () => void;
  cancelled: boolean;
}

const before = (a: Timer, b: Timer) => a.at < b.at || (a.at === b.at && a.order < b.order);

export class VirtualClock implements EngineClock {
  private nowMs = 0;
  private order = 0;
  /** Binary min-heap on (at, order). */
  private readonly heap: Timer[] = [];

  now(): number {
    return this.nowMs;
  }

  setTimer(callback: () => void, delayMs: number): () => void {
    const timer = { at: this.nowMs + Math.max(delayMs, 0), order: this.order++, callback, cancelled: false };
    this.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Runs `callback` at absolute time `atMs` (e.g. a request arrival). */
  at(atMs: number, callback: () => void): void {
    this.setTimer(callback, atMs - this.nowMs);
  }

  /** Fires timers in time order (ties in creation order) until none is left or the next is after `untilMs`. */
  run(untilMs = Number.POSITIVE_INFINITY): void {
    while (this.heap.length > 0 && this.heap[0]!.at <= untilMs) {
      const timer = this.pop();
      if (timer.cancelled) continue;
      this.nowMs = timer.at;
      timer.callback();
    }
    if (Number.isFinite(untilMs)) this.nowMs = Math.max(this.nowMs, untilMs);
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): Timer {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
        if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
        i = smallest;
      }
    }
    return top;
  }
}
