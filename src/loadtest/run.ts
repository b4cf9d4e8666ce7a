import type { SendRequest } from './client.js';
import { arrivalOffsetsMs, requestShapes } from './schedule.js';
import type { LoadPoint, LoadtestSettings, PointResult, RequestSample } from './schema.js';

export interface Progress {
  pointIndex: number;
  points: number;
  point: LoadPoint;
  sent: number;
  completed: number;
  failed: number;
  elapsedSec: number;
}

export interface RunDeps {
  send: SendRequest;
  onProgress?: (progress: Progress) => void;
  /** Stops the run: no new requests, requests in flight cancelled, the points so far returned. */
  signal?: AbortSignal;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  progressEveryMs?: number;
}

const realSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/** Runs every point of `settings` in turn, each bounded by its request count and duration. */
export async function runLoadtest(settings: LoadtestSettings, deps: RunDeps): Promise<PointResult[]> {
  const warmup = requestShapes(settings.lengths, settings.seed);
  const cancel = AbortSignal.any([
    AbortSignal.timeout((settings.maxSeconds + settings.drainSeconds) * 1000),
    ...(deps.signal ? [deps.signal] : []),
  ]);
  for (let i = 0; i < settings.warmupRequests && !cancel.aborted; i++) await deps.send(warmup(), cancel);
  const results: PointResult[] = [];
  for (const [pointIndex, point] of settings.points.entries()) {
    if (deps.signal?.aborted) break;
    results.push(await runPoint(settings, point, pointIndex, deps));
  }
  return results;
}

async function runPoint(
  settings: LoadtestSettings,
  point: LoadPoint,
  pointIndex: number,
  deps: RunDeps,
): Promise<PointResult> {
  const now = deps.now ?? (() => performance.now());
  const sleep = deps.sleep ?? realSleep;
  const seed = settings.seed + pointIndex;
  const nextShape = requestShapes(settings.lengths, seed);
  const startedAt = new Date();
  const start = now();
  // Stops sending at the end of the point (or on the run's signal); cancels what is left after the drain time.
  const stopSending = AbortSignal.any([
    AbortSignal.timeout(settings.maxSeconds * 1000),
    ...(deps.signal ? [deps.signal] : []),
  ]);
  const cancel = AbortSignal.any([
    AbortSignal.timeout((settings.maxSeconds + settings.drainSeconds) * 1000),
    ...(deps.signal ? [deps.signal] : []),
  ]);

  const samples: RequestSample[] = [];
  let incomplete = 0;
  let sent = 0;
  let lastReport = Number.NEGATIVE_INFINITY;
  const report = (force: boolean) => {
    const at = now();
    if (!deps.onProgress || (!force && at - lastReport < (deps.progressEveryMs ?? 1000))) return;
    lastReport = at;
    deps.onProgress({
      pointIndex,
      points: settings.points.length,
      point,
      sent,
      completed: samples.length,
      failed: samples.filter((sample) => sample.error !== null).length,
      elapsedSec: (at - start) / 1000,
    });
  };
  const sendOne = async () => {
    sent++;
    const startedMs = now() - start;
    const result = await deps.send(nextShape(), cancel);
    if (cancel.aborted && result.error !== null) incomplete++;
    else samples.push({ startedMs, ...result });
    report(false);
  };

  report(true);
  if (point.kind === 'concurrent') {
    const more = () => !stopSending.aborted && sent < settings.maxRequests;
    await Promise.all(
      Array.from({ length: point.streams }, async () => {
        while (more()) await sendOne();
      }),
    );
  } else {
    const inFlight: Promise<void>[] = [];
    for (const offset of arrivalOffsetsMs(point, settings.maxRequests, settings.maxSeconds, seed)) {
      const wait = start + offset - now();
      if (wait > 0) await sleep(wait, stopSending);
      if (stopSending.aborted) break;
      inFlight.push(sendOne());
    }
    await Promise.all(inFlight);
  }
  const durationSec = (now() - start) / 1000;
  report(true);
  return { point, startedAt, durationSec, samples, incomplete };
}
