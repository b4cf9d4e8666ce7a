/** Small closed-form distributions for latency percentiles; no sampling, so predictions stay deterministic. */

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 via erf; |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** Standard normal quantile (Acklam's rational approximation; relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p <= 0) return Number.NEGATIVE_INFINITY;
  if (p >= 1) return Number.POSITIVE_INFINITY;
  if (p < low || p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(p < low ? p : 1 - p));
    const value =
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
    return p < low ? value : -value;
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/** Log-normal with the given mean and coefficient of variation, as (μ, σ) of its logarithm. */
export function lognormalFromMean(mean: number, cv: number): { mu: number; sigma: number } {
  const sigma2 = Math.log(1 + cv * cv);
  return { mu: Math.log(mean) - sigma2 / 2, sigma: Math.sqrt(sigma2) };
}

/**
 * Family of a length distribution. ShareGPT's reply lengths follow a Weibull, not a log-normal: in the vLLM paper's
 * published lengths (data/benchmarks/sharegpt-lengths.json, 84,226 first replies) the quantiles over the mean under
 * vLLM's filter are p10 0.17, p50 0.80, p90 2.19, p99 3.71, a Weibull of shape 1.25 (CV 0.81) gives 0.18/0.80/2.09/3.64,
 * while the log-normal of the same body (CV 0.80) gives 0.32/0.78/1.92/4.01: too few short replies and too long a tail.
 */
export type LengthShape = 'lognormal' | 'weibull';

/**
 * The output-length family of a load generator's dataset: ShareGPT's replies, under `vllm bench serve`'s sampler
 * (ShareGPTDataset.sample, `max_tokens` = the reply's token count) or gpustack's GuideLLM runner alike, are the
 * published first-reply lengths (a Weibull); synthetic datasets (random, fixed) keep no reply distribution.
 */
export function outputShapeOfDataset(dataset: string): LengthShape | undefined {
  return dataset.startsWith('ShareGPT') ? 'weibull' : undefined;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; ~1e-15 relative). */
function lnGamma(x: number): number {
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  const z = x - 1;
  let a = g[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += g[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** CV of a Weibull of shape k: √(Γ(1 + 2/k) / Γ(1 + 1/k)² − 1). */
function weibullCv(k: number): number {
  return Math.sqrt(Math.exp(lnGamma(1 + 2 / k) - 2 * lnGamma(1 + 1 / k)) - 1);
}

/** Weibull shapes k on a log grid from 0.5 to 40 with their CVs (decreasing in k), for weibullFromCv's lookup. */
const WEIBULL_GRID = (() => {
  const ks: number[] = [];
  const lnCvs: number[] = [];
  for (let i = 0; i <= 400; i++) {
    const k = 0.5 * 80 ** (i / 400);
    ks.push(Math.log(k));
    lnCvs.push(Math.log(weibullCv(k)));
  }
  return { lnKs: ks, lnCvs };
})();

/**
 * Weibull of mean 1 and coefficient of variation `cv`, as its shape k and scale λ (= 1 / Γ(1 + 1/k)): interpolated
 * in log–log on a grid, exact to ~1e-4 in k, with no per-call Gamma evaluations but one.
 */
export function weibullFromCv(cv: number): { k: number; scale: number } {
  const { lnKs, lnCvs } = WEIBULL_GRID;
  const x = Math.log(cv);
  const last = lnCvs.length - 1;
  let lnK: number;
  if (x >= lnCvs[0]!) lnK = lnKs[0]!;
  else if (x <= lnCvs[last]!) lnK = lnKs[last]!;
  else {
    let lo = 0;
    let hi = last;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (lnCvs[mid]! > x) lo = mid;
      else hi = mid;
    }
    const f = (x - lnCvs[lo]!) / (lnCvs[hi]! - lnCvs[lo]!);
    lnK = lnKs[lo]! + f * (lnKs[hi]! - lnKs[lo]!);
  }
  const k = Math.exp(lnK);
  return { k, scale: Math.exp(-lnGamma(1 + 1 / k)) };
}

/** q-quantile over the mean of a length distribution of the given family and CV. */
export function lengthQuantileOverMean(shape: LengthShape, cv: number, q: number): number {
  if (cv <= 0) return 1;
  if (shape === 'weibull') {
    const { k, scale } = weibullFromCv(cv);
    return scale * (-Math.log(1 - q)) ** (1 / k);
  }
  const { mu, sigma } = lognormalFromMean(1, cv);
  return Math.exp(mu + sigma * normalQuantile(q));
}

/** Solves cdf(t) = q for an increasing cdf by Illinois regula falsi in log t (relative tolerance 1e-4). */
function invert(cdf: (t: number) => number, q: number, lo: number, hi: number): number {
  let a = Math.log(lo);
  let b = Math.log(hi);
  let fa = cdf(lo) - q;
  let fb = cdf(hi) - q;
  while (fb < 0) {
    a = b;
    fa = fb;
    b += 1;
    fb = cdf(Math.exp(b)) - q;
  }
  while (fa > 0) {
    b = a;
    fb = fa;
    a -= 1;
    fa = cdf(Math.exp(a)) - q;
  }
  let kept = 0;
  for (let i = 0; i < 60 && b - a > 1e-4; i++) {
    const guess = fb - fa > 0 ? (a * fb - b * fa) / (fb - fa) : 0.5 * (a + b);
    const m = guess > a && guess < b ? guess : 0.5 * (a + b);
    const fm = cdf(Math.exp(m)) - q;
    if (fm < 0) {
      a = m;
      fa = fm;
      if (kept === 1) fb /= 2;
      kept = 1;
    } else {
      b = m;
      fb = fm;
      if (kept === -1) fa /= 2;
      kept = -1;
    }
    if (Math.abs(fm) < 1e-7) return Math.exp(m);
  }
  return Math.exp(0.5 * (a + b));
}

/**
 * Quantile of the inter-token latency: a share 1 − `mixedShare` of steps carry only decodes (log-normal jitter
 * around `decode`), the rest also a prefill chunk and take `decode + extra·L`, where L is the chunk's length over
 * the mean chunk: log-normal with CV `chunkCv` (0 = fixed; then jitter alone) and at most `chunkCap` (a longer prompt
 * is split into budget-sized chunks).
 */
export function itlQuantile(
  decode: number,
  extra: number,
  mixedShare: number,
  sigma: number,
  chunkCv: number,
  chunkCap: number,
  q: number,
): number {
  const z = normalQuantile(q);
  if (mixedShare <= 0 || extra <= 0) return decode * Math.exp(sigma * z);
  const lnDecode = Math.log(decode);
  const lnMixed = Math.log(decode + extra);
  const chunk = chunkCv > 0 ? lognormalFromMean(1, chunkCv) : null;
  const newton = chunk
    ? spreadChunkQuantile(decode, extra, mixedShare, sigma, chunk, chunkCap, q)
    : fixedChunkQuantile(lnDecode, lnMixed, mixedShare, sigma, q);
  if (newton !== null) return newton;
  const mixedCdf = (t: number) => {
    if (!chunk) return normalCdf((Math.log(t) - lnMixed) / sigma);
    const ratio = (t - decode) / extra;
    if (ratio <= 0) return 0;
    if (ratio >= chunkCap) return 1;
    return normalCdf((Math.log(ratio) - chunk.mu) / chunk.sigma);
  };
  const cdf = (t: number) =>
    (1 - mixedShare) * normalCdf((Math.log(t) - lnDecode) / sigma) + mixedShare * mixedCdf(t);
  const top = decode + extra * (chunk ? chunkCap : Math.exp(4 * sigma));
  return invert(cdf, q, decode * Math.exp(-5 * sigma), Math.max(top, decode * Math.exp(5 * sigma)));
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * Two log-normals of equal spread: Newton on u = ln t from the quantile of the component q falls in, with the
 * analytic density as derivative. Null if it does not settle (then the bracketed solver takes over).
 */
function fixedChunkQuantile(
  lnA: number,
  lnB: number,
  shareB: number,
  sigma: number,
  q: number,
): number | null {
  const shareA = 1 - shareB;
  let u =
    q < shareA
      ? lnA + sigma * normalQuantile(Math.min(q / shareA, 0.999))
      : lnB + sigma * normalQuantile(Math.max((q - shareA) / shareB, 0.001));
  for (let i = 0; i < 8; i++) {
    const za = (u - lnA) / sigma;
    const zb = (u - lnB) / sigma;
    const f = shareA * normalCdf(za) + shareB * normalCdf(zb) - q;
    const density =
      (shareA * Math.exp(-0.5 * za * za) + shareB * Math.exp(-0.5 * zb * zb)) * (INV_SQRT_2PI / sigma);
    if (density < 1e-12) return null;
    const step = f / density;
    u -= Math.max(Math.min(step, sigma), -sigma);
    if (Math.abs(step) < 1e-5) return Math.exp(u);
  }
  return null;
}

/**
 * Decode steps log-normal around `decode`, mixed ones `decode + extra·L` with L log-normal (`chunk`) up to `chunkCap`:
 * Newton on u = ln t with the analytic density, kept inside a bracket by bisection (the capped chunk's atom at the
 * top has no density, so a step that leaves the bracket halves it instead). As the bracketed solver's tolerance; a
 * plan asks it for every probe of every shape when prompts vary, where regula falsi took a fifth of the plan. Null if
 * the bracket does not hold the quantile (then the bracketed solver widens it).
 */
function spreadChunkQuantile(
  decode: number,
  extra: number,
  mixedShare: number,
  sigma: number,
  chunk: { mu: number; sigma: number },
  chunkCap: number,
  q: number,
): number | null {
  const lnDecode = Math.log(decode);
  const top = decode + extra * chunkCap;
  const decodeShare = 1 - mixedShare;
  let f = 0;
  let density = 0;
  const at = (u: number) => {
    const t = Math.exp(u);
    const za = (u - lnDecode) / sigma;
    f = decodeShare * normalCdf(za) - q;
    density = (decodeShare * Math.exp(-0.5 * za * za) * INV_SQRT_2PI) / sigma;
    if (t >= top) f += mixedShare;
    else if (t > decode) {
      const zc = (Math.log((t - decode) / extra) - chunk.mu) / chunk.sigma;
      f += mixedShare * normalCdf(zc);
      density += (mixedShare * Math.exp(-0.5 * zc * zc) * INV_SQRT_2PI * t) / (chunk.sigma * (t - decode));
    }
  };
  let a = lnDecode - 5 * sigma;
  let b = Math.log(Math.max(top, decode * Math.exp(5 * sigma)));
  at(a);
  if (f > 0) return null;
  at(b);
  if (f < 0) return null;
  // Start in the mixed steps' body when the quantile lies past the decode steps' share, else in the decode steps'.
  let u =
    q > decodeShare
      ? Math.log(decode + extra * Math.min(Math.exp(chunk.mu), chunkCap))
      : lnDecode + sigma * normalQuantile(Math.max(q / decodeShare, 0.001));
  if (!(u > a && u < b)) u = 0.5 * (a + b);
  for (let i = 0; i < 60 && b - a > 1e-4; i++) {
    at(u);
    if (Math.abs(f) < 1e-7) return Math.exp(u);
    if (f < 0) a = u;
    else b = u;
    const next = density > 1e-12 ? u - f / density : Number.NaN;
    u = next > a && next < b ? next : 0.5 * (a + b);
  }
  return Math.exp(0.5 * (a + b));
}

/**
 * A latency made of a fixed part, a log-normal part (request-length variability) and a queueing wait that is zero
 * with probability 1 − `waitProbability` and otherwise exponential: the standard heavy-traffic shape of the M/G/1
 * waiting time, P(W > t) ≈ ρ·exp(−ρ t / E[W]) (Kingman). Mean of the wait is `waitMean`.
 */
export interface LatencyShape {
  fixed: number;
  variableMean: number;
  variableCv: number;
  waitProbability: number;
  waitMean: number;
}

export function shapeMean(s: LatencyShape): number {
  return s.fixed + s.variableMean + s.waitMean;
}

/**
 * q-quantile of a LatencyShape. Each random part has a closed-form quantile; the sum's quantile combines their
 * deviations from their means in quadrature, keeping signs (exact for Gaussians, and exact here whenever either part
 * is degenerate: no length spread, or no queueing). Monotone in q and cheap enough for the planner's inner loop.
 */
export function shapeQuantile(s: LatencyShape, q: number): number {
  const p = s.waitProbability;
  const waitQuantile = p > 1 - q && s.waitMean > 0 ? (s.waitMean / p) * Math.log(p / (1 - q)) : 0;
  const waitDeviation = waitQuantile - s.waitMean;
  let lengthDeviation = 0;
  if (s.variableCv > 0 && s.variableMean > 0) {
    const { mu, sigma } = lognormalFromMean(s.variableMean, s.variableCv);
    lengthDeviation = Math.exp(mu + sigma * normalQuantile(q)) - s.variableMean;
  }
  const signedSquares =
    Math.sign(waitDeviation) * waitDeviation ** 2 + Math.sign(lengthDeviation) * lengthDeviation ** 2;
  return shapeMean(s) + Math.sign(signedSquares) * Math.sqrt(Math.abs(signedSquares));
}

/** Sum of independent log-normals approximated by one (Fenton–Wilkinson: match mean and variance). */
export function combineLognormals(parts: { mean: number; cv: number }[]): { mean: number; cv: number } {
  let mean = 0;
  let variance = 0;
  for (const part of parts) {
    mean += part.mean;
    variance += (part.mean * part.cv) ** 2;
  }
  return { mean, cv: mean > 0 ? Math.sqrt(variance) / mean : 0 };
}
