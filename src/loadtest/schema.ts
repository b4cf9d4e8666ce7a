import { z } from 'zod';

/** How requests arrive at one sweep point, in GuideLLM's strategy vocabulary so reports read the same. */
export const LoadPoint = z.discriminatedUnion('kind', [
  /** Evenly spaced arrivals at `rate` requests/s. */
  z.object({ kind: z.literal('constant'), rate: z.number().positive() }),
  /** Exponential gaps with mean 1/`rate`: the arrivals of many independent users. */
  z.object({ kind: z.literal('poisson'), rate: z.number().positive() }),
  /** `streams` clients, each sending its next request when its last one ends. */
  z.object({ kind: z.literal('concurrent'), streams: z.number().int().positive() }),
]);
export type LoadPoint = z.infer<typeof LoadPoint>;

export { CAPACITY_SHARES } from './shares.js';

/** Token lengths of the traffic: log-normal around the means with the given coefficient of variation (0: fixed). */
export const TokenLengths = z.object({
  promptTokens: z.number().int().positive(),
  outputTokens: z.number().int().positive(),
  lengthCv: z.number().min(0).max(2).default(0),
});
export type TokenLengths = z.infer<typeof TokenLengths>;

export const LoadtestSettings = z.object({
  /** Base URL of the OpenAI-compatible server; nothing else is ever contacted. */
  endpoint: z.url({ protocol: /^https?$/ }),
  /** Served model name; null asks the endpoint's /v1/models. */
  model: z.string().min(1).nullable(),
  lengths: TokenLengths,
  points: z.array(LoadPoint).min(1),
  /** Bounds of each point: whichever comes first ends it. */
  maxRequests: z.number().int().positive(),
  maxSeconds: z.number().positive(),
  /** How long requests still in flight at the end of a point may take before they are cancelled. */
  drainSeconds: z.number().positive().default(30),
  seed: z.number().int().nonnegative().default(1),
  /** Requests sent one by one before the first point and not reported: a cold client and server inflate TTFT. */
  warmupRequests: z.number().int().nonnegative().default(1),
});
export type LoadtestSettings = z.infer<typeof LoadtestSettings>;

/** What one request did, timed on the client as a user sees it. */
export interface RequestSample {
  /** Milliseconds since the point started. */
  startedMs: number;
  promptTokens: number;
  outputTokens: number;
  ttftMs: number;
  /** Mean gap between consecutive tokens after the first (GuideLLM's inter-token latency). */
  itlMs: number;
  e2eMs: number;
  /** Why it failed; null when it succeeded. */
  error: string | null;
}

/** One sweep point's measurements. */
export interface PointResult {
  point: LoadPoint;
  startedAt: Date;
  durationSec: number;
  samples: RequestSample[];
  /** Requests cancelled because the point's drain time ran out. */
  incomplete: number;
}
