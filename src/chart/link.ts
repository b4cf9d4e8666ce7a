import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** The route the bot serves charts on; the token names the option and when the link expires. */
export const CHART_ROUTE = '/charts/:token';
/** How long a chart link works: long enough to read the modal, short enough that a shared link soon stops working. */
export const CHART_LINK_TTL_MS = 60 * 60 * 1000;

/** What a chart link points at: one option of one conversation. */
export interface ChartRef {
  conversationId: string;
  optionId: string;
}

/** The signed part of a token: conversation, option, expiry (epoch seconds). */
const Payload = z.object({ c: z.string().min(1), o: z.string().min(1), e: z.number().int() });

/**
 * Signed, expiring links to an option's chart PNG on the bot's own HTTP server: Slack fetches an image block's
 * image_url itself, so the link must work without a session; the HMAC (keyed from the signing secret, for this use
 * only) stops anyone from naming another conversation or stretching the expiry. Pure: the clock is the caller's.
 */
export function chartLinks(secret: string, publicUrl: string) {
  const key = createHmac('sha256', secret).update('compass:chart-link:v1').digest();
  const mac = (data: string) => createHmac('sha256', key).update(data).digest('base64url');
  const base = publicUrl.replace(/\/+$/, '');
  return {
    /** The link to `ref`'s chart, valid for CHART_LINK_TTL_MS from `nowMs`. */
    url(ref: ChartRef, nowMs: number): string {
      const payload = {
        c: ref.conversationId,
        o: ref.optionId,
        e: Math.floor((nowMs + CHART_LINK_TTL_MS) / 1000),
      };
      const data = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${base}${CHART_ROUTE.replace(':token', `${data}.${mac(data)}.png`)}`;
    },
    /** What a token (the route's parameter) points at, or why it is refused. */
    open(token: string, nowMs: number): { ok: true; ref: ChartRef } | { ok: false; reason: string } {
      const [data = '', signature = '', extension, ...rest] = token.split('.');
      const expected = Buffer.from(mac(data));
      const given = Buffer.from(signature);
      if (
        extension !== 'png' ||
        rest.length > 0 ||
        given.length !== expected.length ||
        !timingSafeEqual(given, expected)
      )
        return { ok: false, reason: 'not signed by Compass' };
      const payload = Payload.safeParse(JSON.parse(Buffer.from(data, 'base64url').toString()));
      if (!payload.success) return { ok: false, reason: 'not signed by Compass' };
      if (payload.data.e * 1000 <= nowMs) return { ok: false, reason: 'expired' };
      return { ok: true, ref: { conversationId: payload.data.c, optionId: payload.data.o } };
    },
  };
}
export type ChartLinks = ReturnType<typeof chartLinks>;
