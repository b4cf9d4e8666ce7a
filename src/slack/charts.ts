import type { ServerResponse } from 'node:http';
import type { CustomRoute, webApi } from '@slack/bolt';
import type { ChartLinks } from '../chart/link.js';
import { CHART_ROUTE, chartLinks } from '../chart/link.js';
import type { LoadChart } from '../chart/render.js';
import type { SlackSettings } from '../config/index.js';
import { replyThreadTs } from '../conversation/schema.js';
import type { ConversationService } from '../conversation/service.js';
import type { Logger } from '../log/index.js';
import { CHART_ALT_TEXT } from './blocks/details.js';

/** Where a chart goes: a conversation's or a deploy's thread. */
export interface ChartThread {
  channel: string;
  threadTs: string;
}

/**
 * Posts a chart PNG in a thread with `comment` in one message: files.uploadV2 reserves the upload
 * (files.getUploadURLExternal), sends the bytes, and shares the file with the comment (files.completeUploadExternal).
 * Needs the `files:write` scope.
 */
export async function postChartInThread(
  client: webApi.WebClient,
  thread: ChartThread,
  chart: { comment: string; png: Buffer; filename: string; title: string },
): Promise<void> {
  const threadTs = replyThreadTs(thread.threadTs);
  await client.files.uploadV2({
    ...(threadTs ? { channel_id: thread.channel, thread_ts: threadTs } : { channel_id: thread.channel }),
    initial_comment: chart.comment,
    file: chart.png,
    filename: chart.filename,
    title: chart.title,
    alt_text: CHART_ALT_TEXT,
  });
}

/** The chart as a PNG; the renderer (ECharts, resvg) loads on the first chart, not when the bot starts. */
export async function pngOf(chart: LoadChart): Promise<Buffer> {
  const { chartPng } = await import('../chart/render.js');
  return chartPng(chart);
}

/**
 * Chart links for the bot's settings, or undefined without COMPASS_PUBLIC_URL (then Details offers only the button).
 * Keyed from the signing secret, or in Socket Mode the app token, which is as secret.
 */
export function chartLinksOf(settings: SlackSettings): ChartLinks | undefined {
  if (!settings.publicUrl) return undefined;
  return chartLinks(
    settings.mode === 'socket' ? settings.appToken : settings.signingSecret,
    settings.publicUrl,
  );
}

/**
 * GET /charts/TOKEN.png: the chart a signed link names, rendered on request. A link that is tampered with or expired
 * gets 403, one whose option left the plan 404; nothing else is served.
 */
export function chartRoute(
  links: ChartLinks,
  service: Pick<ConversationService, 'optionChart'>,
  log: Logger,
  now: () => number = Date.now,
): CustomRoute {
  return {
    path: CHART_ROUTE,
    method: ['GET'],
    handler: async (request: Parameters<CustomRoute['handler']>[0], response: ServerResponse) => {
      const opened = links.open(String(request.params?.token ?? ''), now());
      if (!opened.ok) {
        log.warn({ event: 'chart.link_refused', reason: opened.reason }, 'chart link refused');
        response.writeHead(403, { 'content-type': 'text/plain' }).end(`Chart link ${opened.reason}.`);
        return;
      }
      try {
        const chart = await service.optionChart(opened.ref);
        if (!chart) {
          response
            .writeHead(404, { 'content-type': 'text/plain' })
            .end('That option is no longer in its plan.');
          return;
        }
        const png = await pngOf(chart);
        response.writeHead(200, {
          'content-type': 'image/png',
          'content-length': png.length,
          // The link expires; a cached copy must not outlive it.
          'cache-control': 'private, max-age=300',
        });
        response.end(png);
      } catch (error) {
        log.error({ event: 'chart.render_failed', ...opened.ref, err: error }, 'chart not served');
        response.writeHead(500, { 'content-type': 'text/plain' }).end('The chart could not be drawn.');
      }
    },
  };
}
