import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SlackView } from './blocks/kit.js';

/**
 * What Compass trusts in a request Slack signed: the signature says Slack sent it, not that its team, its user or a
 * modal's private_metadata are what Compass expects. These checks close the gaps (pure functions; the Bolt wiring
 * is in app.ts and handlers.ts).
 */

/** Slack signs the time of each request; Bolt refuses those over 5 minutes old but not those from the future. */
export const MAX_CLOCK_SKEW_S = 5 * 60;

/** True when a request's `x-slack-request-timestamp` lies more than 5 minutes ahead of `nowMs` (a replay stockpile). */
export function fromTheFuture(timestampHeader: string | string[] | undefined, nowMs: number): boolean {
  const seconds = Number(Array.isArray(timestampHeader) ? timestampHeader[0] : timestampHeader);
  return Number.isFinite(seconds) && seconds > Math.floor(nowMs / 1000) + MAX_CLOCK_SKEW_S;
}

/** The workspace (and organization) the bot token belongs to, from auth.test. */
export interface Installation {
  teamId: string;
  enterpriseId?: string | undefined;
  /** An org-wide install serves every workspace of the organization: then the organization is what must match. */
  enterpriseInstall: boolean;
}

interface RequestBody {
  team_id?: unknown;
  enterprise_id?: unknown;
  team?: { id?: unknown; enterprise_id?: unknown } | null;
  enterprise?: { id?: unknown } | null;
  user?: { team_id?: unknown } | null;
}

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/** Why a request does not belong to the installation, or undefined when it does. */
export function foreignTo(installation: Installation, body: RequestBody): string | undefined {
  const team = text(body.team_id) ?? text(body.team?.id) ?? text(body.user?.team_id);
  const enterprise = text(body.enterprise_id) ?? text(body.enterprise?.id) ?? text(body.team?.enterprise_id);
  if (installation.enterpriseInstall)
    return enterprise === installation.enterpriseId ? undefined : `organization ${enterprise ?? 'none'}`;
  if (team !== installation.teamId) return `team ${team ?? 'none'}`;
  if (enterprise && installation.enterpriseId && enterprise !== installation.enterpriseId)
    return `organization ${enterprise}`;
  return undefined;
}

/**
 * Seals a modal's private_metadata to the user it was opened for, with an HMAC whose key derives from the signing
 * secret: a submission whose metadata was altered (to point at another conversation) or that comes from another
 * user (a four-eyes bypass) is refused before any handler reads it.
 */
export function viewSeal(secret: string) {
  const key = createHmac('sha256', secret).update('compass:view-private-metadata:v1').digest();
  const mac = (data: string) => createHmac('sha256', key).update(data).digest('base64url');
  return {
    /** The view with its private_metadata (empty when it had none) sealed to `userId`. */
    seal(view: SlackView, userId: string): SlackView {
      const data = Buffer.from(JSON.stringify({ u: userId, m: view.private_metadata ?? '' })).toString(
        'base64url',
      );
      return { ...view, private_metadata: `${data}.${mac(data)}` };
    },
    /** The original private_metadata, or why the view cannot be trusted. */
    open(
      sealed: string | undefined,
      userId: string,
    ): { ok: true; metadata: string } | { ok: false; reason: string } {
      const [data = '', signature = '', ...rest] = (sealed ?? '').split('.');
      const expected = Buffer.from(mac(data));
      const given = Buffer.from(signature);
      if (rest.length > 0 || given.length !== expected.length || !timingSafeEqual(given, expected))
        return { ok: false, reason: 'private_metadata is not sealed by Compass' };
      const { u, m } = JSON.parse(Buffer.from(data, 'base64url').toString()) as { u: string; m: string };
      if (u !== userId) return { ok: false, reason: `opened for ${u}, submitted by ${userId}` };
      return { ok: true, metadata: m };
    },
  };
}
export type ViewSeal = ReturnType<typeof viewSeal>;
