/**
 * Honest SLO verdicts from coarse histograms. vLLM's latency buckets are coarse (the same from v0.11 to v0.19.1, the
 * pinned version; vllm/v1/metrics/loggers.py: ITL …10, 25, 50, 75 ms…; TTFT …100, 250, 500, 750 ms…; E2E …10, 15,
 * 20, 30 s…) and histogram_quantile interpolates linearly inside a bucket: a steady 26 ms ITL reads as a p95 of
 * 48.75 ms. So "95% of requests within the target" is judged from the cumulative counts at the bucket bounds around
 * the target: at least 95% at or under a bound at or under the target is a definite pass; under 95% at or under a
 * bound at or over it, a definite breach; anything else cannot be told from these buckets, and the verdict says
 * between which bounds the p95 lies.
 */
import { z } from 'zod';

/** A latency histogram over a window: requests per second at or under each finite bound, and in all. */
export const LatencyHistogram = z.object({
  /** Ascending finite upper bounds (ms), each with the rate of requests at or under it. */
  buckets: z.array(z.object({ leMs: z.number().nonnegative(), perSec: z.number().nonnegative() })),
  /** The rate of all requests (the +Inf bucket). */
  totalPerSec: z.number().nonnegative(),
});
export type LatencyHistogram = z.infer<typeof LatencyHistogram>;

/** Where the quantile lies: above `fromMs`, at or under `toMs` (null: above the last finite bound). */
export interface BucketInterval {
  fromMs: number;
  toMs: number | null;
}

export type SloVerdict =
  /** At least the quantile's share of requests finished within `boundMs`, which is at or under the target. */
  | { kind: 'pass'; boundMs: number; share: number; p95: BucketInterval }
  /** Less than the quantile's share finished within `boundMs`, which is at or over the target. */
  | { kind: 'breach'; boundMs: number; share: number; p95: BucketInterval }
  /** The target lies inside the bucket the quantile falls in: these buckets cannot tell. */
  | { kind: 'cannot-tell'; p95: BucketInterval }
  /** No requests in the window. */
  | { kind: 'no-data' };

/** Rounding in rate() may leave a share a hair under 1 when every request is in. */
const SHARE_TOLERANCE = 1e-9;

/** The bucket the quantile falls in; null without requests. */
export function quantileBucket(histogram: LatencyHistogram, quantile = 0.95): BucketInterval | null {
  const { buckets, totalPerSec } = histogram;
  if (!(totalPerSec > 0)) return null;
  let fromMs = 0;
  for (const { leMs, perSec } of buckets) {
    if (perSec / totalPerSec >= quantile - SHARE_TOLERANCE) return { fromMs, toMs: leMs };
    fromMs = leMs;
  }
  return { fromMs, toMs: null };
}

/** Whether `quantile` of the requests finished within `targetMs`, as far as the buckets can tell. */
export function sloVerdict(histogram: LatencyHistogram, targetMs: number, quantile = 0.95): SloVerdict {
  const p95 = quantileBucket(histogram, quantile);
  if (!p95) return { kind: 'no-data' };
  const share = (perSec: number) => perSec / histogram.totalPerSec;
  const below = histogram.buckets.filter((b) => b.leMs <= targetMs).at(-1);
  if (below && share(below.perSec) >= quantile - SHARE_TOLERANCE) {
    return { kind: 'pass', boundMs: below.leMs, share: share(below.perSec), p95 };
  }
  const above = histogram.buckets.find((b) => b.leMs >= targetMs);
  if (above && share(above.perSec) < quantile - SHARE_TOLERANCE) {
    return { kind: 'breach', boundMs: above.leMs, share: share(above.perSec), p95 };
  }
  return { kind: 'cannot-tell', p95 };
}

/** A histogram from Prometheus's cumulative per-`le` rates (seconds): the `sum by (le) (rate(…_bucket))` answer. */
export function histogramOf(rates: readonly { le: string; perSec: number }[]): LatencyHistogram | null {
  const finite = rates
    .map(({ le, perSec }) => ({ leMs: Number(le) * 1000, perSec }))
    .filter((b) => Number.isFinite(b.leMs) && Number.isFinite(b.perSec))
    .sort((a, b) => a.leMs - b.leMs);
  const total = rates.find(({ le }) => le === '+Inf')?.perSec;
  if (total === undefined || !Number.isFinite(total)) return null;
  return { buckets: finite, totalPerSec: total };
}

function scaled(ms: number): { value: string; unit: 's' | 'ms' } {
  return ms >= 1000
    ? { value: `${+(ms / 1000).toFixed(3)}`, unit: 's' }
    : { value: `${+ms.toFixed(3)}`, unit: 'ms' };
}

/** "25–50 ms", "1–2.5 s", "over 2560 s": the bucket a p95 lies in, in words. */
export function intervalText({ fromMs, toMs }: BucketInterval): string {
  const from = scaled(fromMs);
  if (toMs === null) return `over ${from.value} ${from.unit}`;
  const to = scaled(toMs);
  const fromText = fromMs === 0 || from.unit === to.unit ? from.value : `${from.value} ${from.unit}`;
  return `${fromText}–${to.value} ${to.unit}`;
}

/** ✓ a definite pass, ✗ a definite breach, ? the buckets cannot tell, – no requests. */
export const VERDICT_MARK: Record<SloVerdict['kind'], string> = {
  pass: '✓',
  breach: '✗',
  'cannot-tell': '?',
  'no-data': '–',
};

/** "48.75 ms (in 25–50 ms)": an interpolated p95 beside the bucket it surely lies in. */
export const withBucket = (p95: string, bucket: BucketInterval | null) =>
  bucket ? `${p95} (in ${intervalText(bucket)})` : p95;
