import type { webApi } from '@slack/bolt';
import type { ChartThread } from '../slack/charts.js';
import { postChartInThread } from '../slack/charts.js';

/** Where a benchmark's results go: the deploy's thread. */
export type BenchmarkThread = ChartThread;

/** Posts the summary and the chart in the deploy's thread in one message (files.uploadV2, `files:write`). */
export async function postBenchmarkResult(
  client: webApi.WebClient,
  thread: BenchmarkThread,
  result: { summary: string; chartPng: Buffer; filename: string; title: string },
): Promise<void> {
  await postChartInThread(client, thread, {
    comment: result.summary,
    png: result.chartPng,
    filename: result.filename,
    title: result.title,
  });
}
