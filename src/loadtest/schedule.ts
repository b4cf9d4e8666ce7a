import { normalDraw, seededRandom } from '../../simulator/text.js';
import { lognormalFromMean } from '../planner/distributions.js';
import type { LoadPoint, TokenLengths } from './schema.js';

/**
 * Arrival offsets (ms from the point's start) of an open-loop point, at most `maxRequests` and none after
 * `maxSeconds`; seeded, so a run repeats.
 */
export function arrivalOffsetsMs(
  point: Extract<LoadPoint, { rate: number }>,
  maxRequests: number,
  maxSeconds: number,
  seed: number,
): number[] {
  const random = seededRandom(seed);
  const meanGapMs = 1000 / point.rate;
  const offsets: number[] = [];
  let at = 0;
  while (offsets.length < maxRequests && at <= maxSeconds * 1000) {
    offsets.push(at);
    at += point.kind === 'constant' ? meanGapMs : -Math.log(1 - random()) * meanGapMs;
  }
  return offsets;
}

export interface RequestShape {
  promptTokens: number;
  outputTokens: number;
}

/** A seeded source of request lengths: log-normal around the means, at least one token each. */
export function requestShapes(lengths: TokenLengths, seed: number): () => RequestShape {
  const random = seededRandom(seed ^ 0x5bd1e995);
  const draw = (mean: number) => {
    if (lengths.lengthCv === 0) return mean;
    const { mu, sigma } = lognormalFromMean(mean, lengths.lengthCv);
    return Math.max(1, Math.round(Math.exp(mu + sigma * normalDraw(random))));
  };
  return () => ({ promptTokens: draw(lengths.promptTokens), outputTokens: draw(lengths.outputTokens) });
}
