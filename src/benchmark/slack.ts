import type { webApi } from '@slack/bolt';
import { replyThreadTs } from '../conversation/schema.js';

/** Where a benchmark's results go: the deploy's thread. */
export interface BenchmarkThread {
  channel: string;
  threadTs: string;
}

/**
 * Posts the summary and the chart in the thread in one message: files.uploadV2 reserves the upload
 * (files.getUploadURLExternal), sends the bytes, and shares the file with the summary as its comment
 * (files.completeUploadExternal). Needs the `files:write` scope.
 */
export async function postBenchmarkResult(
  client: webApi.WebClient,
  thread: BenchmarkThread,
  result: { summary: string; chartPng: Buffer; filename: string; title: string },
): Promise<void> {
  const threadTs = replyThreadTs(thread.threadTs);
  await client.files.uploadV2({
    ...(threadTs ? { channel_id: thread.channel, thread_ts: threadTs } : { channel_id: thread.channel }),
    initial_comment: result.summary,
    file: result.chartPng,
    filename: result.filename,
    title: result.title,
    alt_text:
      'TTFT p95, ITL p95 and throughput against the request rate: predicted line, measured points, SLO bands',
  });
}
