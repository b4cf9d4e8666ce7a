import type { LoadLevel } from '../chart/index.js';
import { check, ms } from '../slack/blocks/format.js';

/** A measured level next to what the planner predicted for the same rate before the run. */
export interface ComparedLevel {
  measured: LoadLevel;
  predicted: LoadLevel | null;
}

/** The predicted level nearest in rate to each measured one (the prediction line is dense enough for that). */
export function compareLevels(measured: LoadLevel[], predicted: LoadLevel[]): ComparedLevel[] {
  return measured.map((level) => ({
    measured: level,
    predicted:
      predicted.reduce<LoadLevel | null>(
        (best, candidate) =>
          best === null ||
          Math.abs(candidate.requestsPerSec - level.requestsPerSec) <
            Math.abs(best.requestsPerSec - level.requestsPerSec)
            ? candidate
            : best,
        null,
      ) ?? null,
  }));
}

/**
 * The summary table posted with the chart: per rate, measured TTFT and ITL p95 (✓/✗ against the SLO) with the
 * prediction in brackets, and output throughput. A code block, so the columns line up in Slack.
 */
export function benchmarkSummaryText(
  target: string,
  rows: ComparedLevel[],
  slo: { ttftP95Ms: number; itlP95Ms: number },
): string {
  const cell = (measured: number, predicted: number | undefined, limit: number) =>
    `${ms(measured)} ${check(measured <= limit)} (${predicted === undefined ? '–' : ms(predicted)})`.padEnd(
      26,
    );
  const lines = rows.map(({ measured, predicted }) =>
    [
      `${measured.requestsPerSec.toFixed(2)} req/s`.padEnd(12),
      cell(measured.ttftP95Ms, predicted?.ttftP95Ms, slo.ttftP95Ms),
      cell(measured.itlP95Ms, predicted?.itlP95Ms, slo.itlP95Ms),
      `${Math.round(measured.outputTokensPerSec)} tok/s`,
    ].join(' '),
  );
  return [
    `*Benchmark of ${target}*: measured p95s (predicted before the run in brackets)`,
    '```',
    ['rate'.padEnd(12), 'TTFT p95'.padEnd(26), 'ITL p95'.padEnd(26), 'throughput'].join(' '),
    ...lines,
    '```',
  ].join('\n');
}
