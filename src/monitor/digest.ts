/**
 * Channel digests, pure: the `/compass digest` grammar, schedule arithmetic in UTC (which period is due, whether it is
 * posted late), the fleet a digest lists, what changed since the previous digest, and its Block Kit.
 */
import { z } from 'zod';
import { rps, usdMonthly } from '../slack/blocks/format.js';
import {
  type Block,
  context,
  escapeMrkdwn,
  fitLines,
  header,
  LIMITS,
  type SlackMessage,
  section,
} from '../slack/blocks/kit.js';
import { targetLabel } from '../worker/status-blocks.js';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
export const Weekday = z.enum(WEEKDAYS);
export type Weekday = z.infer<typeof Weekday>;

const time = { hour: z.number().int().min(0).max(23), minute: z.number().int().min(0).max(59) };

/** When a channel's digest is due, in UTC. */
export const DigestSchedule = z.discriminatedUnion('cadence', [
  z.object({ cadence: z.literal('daily'), ...time }),
  z.object({ cadence: z.literal('weekly'), weekday: Weekday, ...time }),
]);
export type DigestSchedule = z.infer<typeof DigestSchedule>;

export type DigestCommand =
  | { kind: 'set'; schedule: DigestSchedule }
  | { kind: 'off' }
  | { kind: 'show' }
  | { kind: 'invalid'; reason: string };

export const DIGEST_USAGE =
  'Say `/compass digest daily 09:00`, `/compass digest weekly mon 09:00` (times are UTC) or `/compass digest off`.';

function parseTime(text: string | undefined): { hour: number; minute: number } | null {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text ?? '');
  if (!match) return null;
  const parsed = z.object(time).safeParse({ hour: Number(match[1]), minute: Number(match[2]) });
  return parsed.success ? parsed.data : null;
}

/** `daily HH:MM`, `weekly DAY HH:MM` (UTC, an optional trailing "UTC"), `off`, or nothing (show the schedule). */
export function parseDigestCommand(args: string): DigestCommand {
  const words = args.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.at(-1) === 'utc') words.pop();
  const [cadence, ...rest] = words;
  if (cadence === undefined || cadence === 'show') return { kind: 'show' };
  if (cadence === 'off' && rest.length === 0) return { kind: 'off' };
  if (cadence === 'daily' && rest.length === 1) {
    const at = parseTime(rest[0]);
    if (at) return { kind: 'set', schedule: { cadence: 'daily', ...at } };
    return {
      kind: 'invalid',
      reason: `“${rest[0]}” is not a time of day (HH:MM, 00:00–23:59). ${DIGEST_USAGE}`,
    };
  }
  if (cadence === 'weekly' && rest.length === 2) {
    const day = rest[0]!;
    // "mon", "mond", "monday": three letters or more of the day's name.
    const weekday = WEEKDAYS.find(
      (_, index) => day.length >= 3 && WEEKDAY_NAMES[index]!.toLowerCase().startsWith(day),
    );
    const at = parseTime(rest[1]);
    if (!weekday)
      return { kind: 'invalid', reason: `“${day}” is not a day of the week (mon … sun). ${DIGEST_USAGE}` };
    if (at) return { kind: 'set', schedule: { cadence: 'weekly', weekday, ...at } };
    return {
      kind: 'invalid',
      reason: `“${rest[1]}” is not a time of day (HH:MM, 00:00–23:59). ${DIGEST_USAGE}`,
    };
  }
  return { kind: 'invalid', reason: DIGEST_USAGE };
}

const DAY_MS = 24 * 3600 * 1000;
const periodMs = (schedule: DigestSchedule) => (schedule.cadence === 'daily' ? DAY_MS : 7 * DAY_MS);

/** The start of the period `at` falls in: the latest scheduled instant at or before it. */
export function periodStart(schedule: DigestSchedule, at: Date): Date {
  const midnight = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  let start = midnight + (schedule.hour * 60 + schedule.minute) * 60_000;
  if (schedule.cadence === 'weekly') {
    start -= ((at.getUTCDay() - WEEKDAYS.indexOf(schedule.weekday) + 7) % 7) * DAY_MS;
  }
  if (start > at.getTime()) start -= periodMs(schedule);
  return new Date(start);
}

/** The first scheduled instant after `at`. */
export function nextPeriod(schedule: DigestSchedule, at: Date): Date {
  return new Date(periodStart(schedule, at).getTime() + periodMs(schedule));
}

/**
 * The period a digest is owed for at `now`: the current one, unless it began before the schedule was set (a new
 * schedule starts with its next period). Only the latest period is owed, so a worker that was down for days posts one
 * digest, not one per missed period.
 */
export function duePeriod(schedule: DigestSchedule, setAt: Date, now: Date): Date | null {
  const start = periodStart(schedule, now);
  return start.getTime() >= setAt.getTime() ? start : null;
}

/** Posted this long after its period began, a digest is late (the worker was down): at least 5 min, 3 checks. */
export function lateAfterMs(intervalSec: number): number {
  return Math.max(5 * 60_000, 3 * intervalSec * 1000);
}

const hhmm = (schedule: { hour: number; minute: number }) =>
  `${String(schedule.hour).padStart(2, '0')}:${String(schedule.minute).padStart(2, '0')}`;

/** "daily at 09:00 UTC", "weekly on Monday at 09:00 UTC". */
export function scheduleWords(schedule: DigestSchedule): string {
  return schedule.cadence === 'daily'
    ? `daily at ${hhmm(schedule)} UTC`
    : `weekly on ${WEEKDAY_NAMES[WEEKDAYS.indexOf(schedule.weekday)]} at ${hhmm(schedule)} UTC`;
}

/** "2026-05-01 09:00 UTC". */
export const utcMinute = (at: Date) => `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** A deployment's SLO verdict at its last evaluation; `breach` while the breach detector has one open. */
export const SloStatus = z.enum(['meeting', 'missing', 'breach', 'no-traffic']);
export type SloStatus = z.infer<typeof SloStatus>;

/** What the last evaluation of a deployment found: the digest's SLO status and load. */
export const LastEvaluation = z.object({
  at: z.iso.datetime(),
  status: SloStatus,
  requestsPerSec: z.number().nullable(),
  /** Requests per second over what the option carries within the SLOs. */
  loadShare: z.number().nullable(),
  /** Replicas Prometheus saw up; absent from evaluations stored before it was recorded. */
  replicas: z.number().nullable().optional(),
});
export type LastEvaluation = z.infer<typeof LastEvaluation>;

/** One line of a digest, and what the next digest compares against. */
export const FleetEntry = z.object({
  deployId: z.string(),
  target: z.string(),
  state: z.string(),
  what: z.string(),
  monthlyCostUsd: z.number(),
  /** Null while the deployment is not running; unknown without an evaluation (no Prometheus). */
  slo: z.union([SloStatus, z.literal('unknown')]).nullable(),
  requestsPerSec: z.number().nullable(),
  loadShare: z.number().nullable(),
});
export type FleetEntry = z.infer<typeof FleetEntry>;

/** What the fleet needs of a deploy. */
export interface FleetDeploy {
  id: string;
  name: string;
  namespace: string;
  context: string | null;
  state: string;
  option: { modelName: string; gpuCount: number; gpuId: string; monthlyCostUsd: number; replicas: number };
}

/** A month of what runs: the replicas last seen up (the autoscaler's count), else the planned ones. */
function monthlyCostOf(deploy: FleetDeploy, evaluation: LastEvaluation | null): number {
  const seen = evaluation?.replicas;
  if (seen === undefined || seen === null) return deploy.option.monthlyCostUsd;
  return (deploy.option.monthlyCostUsd / deploy.option.replicas) * seen;
}

/**
 * The deployments there are: the newest deploy of each target (a refined spec deploys a new revision of the same
 * one), without superseded requests and without targets whose newest deploy deleted them.
 */
export function currentDeploys<T extends FleetDeploy>(deploysNewestFirst: T[]): T[] {
  const seen = new Set<string>();
  const current: T[] = [];
  for (const deploy of deploysNewestFirst) {
    if (deploy.state === 'superseded') continue;
    const target = targetLabel(deploy);
    if (seen.has(target)) continue;
    seen.add(target);
    if (deploy.state !== 'deleted') current.push(deploy);
  }
  return current;
}

/** The deployments a digest lists, each with its last evaluation's SLO status and load. */
export function fleetOf(
  deploysNewestFirst: FleetDeploy[],
  evaluations: ReadonlyMap<string, LastEvaluation | null>,
): FleetEntry[] {
  return currentDeploys(deploysNewestFirst).map((deploy) => {
    const running = deploy.state === 'deployed';
    const evaluation = running ? (evaluations.get(deploy.id) ?? null) : null;
    return {
      deployId: deploy.id,
      target: targetLabel(deploy),
      state: deploy.state,
      what: `${deploy.option.modelName} on ${deploy.option.gpuCount}× ${deploy.option.gpuId}`,
      monthlyCostUsd: monthlyCostOf(deploy, evaluation),
      slo: running ? (evaluation?.status ?? 'unknown') : null,
      requestsPerSec: evaluation?.requestsPerSec ?? null,
      loadShare: evaluation?.loadShare ?? null,
    };
  });
}

export type FleetChange =
  | { kind: 'new'; target: string; state: string }
  | { kind: 'removed'; target: string }
  | { kind: 'redeployed'; target: string }
  | { kind: 'state'; target: string; from: string; to: string }
  | { kind: 'slo'; target: string; from: SloStatus; to: SloStatus };

const known = (slo: FleetEntry['slo']): slo is SloStatus => slo !== null && slo !== 'unknown';

/** New and removed deployments, new revisions, state changes and SLO status flips since `previous`. */
export function fleetChanges(previous: FleetEntry[], current: FleetEntry[]): FleetChange[] {
  const before = new Map(previous.map((entry) => [entry.target, entry]));
  const now = new Set(current.map((entry) => entry.target));
  const changes: FleetChange[] = [];
  for (const entry of current) {
    const was = before.get(entry.target);
    if (!was) {
      changes.push({ kind: 'new', target: entry.target, state: entry.state });
      continue;
    }
    if (was.deployId !== entry.deployId) changes.push({ kind: 'redeployed', target: entry.target });
    if (was.state !== entry.state)
      changes.push({ kind: 'state', target: entry.target, from: was.state, to: entry.state });
    if (known(was.slo) && known(entry.slo) && was.slo !== entry.slo)
      changes.push({ kind: 'slo', target: entry.target, from: was.slo, to: entry.slo });
  }
  for (const was of previous) if (!now.has(was.target)) changes.push({ kind: 'removed', target: was.target });
  return changes;
}

const SLO_ICON: Record<SloStatus | 'unknown', string> = {
  meeting: '✅',
  missing: '⚠️',
  breach: '🚨',
  'no-traffic': '💤',
  unknown: '❔',
};
const SLO_WORDS: Record<SloStatus | 'unknown', string> = {
  meeting: 'meeting every SLO',
  missing: 'missing an SLO',
  breach: 'SLO breach open',
  'no-traffic': 'no traffic',
  unknown: 'SLO status unknown',
};

const stateWords = (state: string) => state.replace(/_/g, ' ');
const code = (text: string) => `\`${escapeMrkdwn(text)}\``;

function changeLine(change: FleetChange): string {
  switch (change.kind) {
    case 'new':
      return `• new: ${code(change.target)} (${stateWords(change.state)})`;
    case 'removed':
      return `• removed: ${code(change.target)}`;
    case 'redeployed':
      return `• ${code(change.target)}: new revision deployed`;
    case 'state':
      return `• ${code(change.target)}: ${stateWords(change.from)} → ${stateWords(change.to)}`;
    case 'slo':
      return `• ${code(change.target)}: ${SLO_WORDS[change.from]} → ${SLO_WORDS[change.to]}`;
  }
}

function entryText(entry: FleetEntry): string {
  const status =
    entry.slo === null
      ? stateWords(entry.state)
      : `${SLO_ICON[entry.slo]} ${SLO_WORDS[entry.slo]}` +
        (entry.requestsPerSec === null ? '' : ` · ${rps(entry.requestsPerSec)}`) +
        (entry.loadShare === null ? '' : ` (${Math.round(entry.loadShare * 100)}% of capacity)`);
  return `*${escapeMrkdwn(entry.target)}* — ${status}\n${escapeMrkdwn(entry.what)} · ${usdMonthly(entry.monthlyCostUsd)}`;
}

/** Deployments listed at most, so a digest stays within Slack's 50 blocks. */
const MAX_ENTRIES = 40;

export interface DigestInput {
  schedule: DigestSchedule;
  periodStart: Date;
  late: boolean;
  fleet: FleetEntry[];
  /** Null for a channel's first digest. */
  previous: { periodStart: Date; changes: FleetChange[] } | null;
  /** Whether Prometheus is configured; without it there is no SLO status to show. */
  monitoring: boolean;
}

export function digestBlocks(input: DigestInput): SlackMessage {
  const { fleet, previous } = input;
  const title = `${input.schedule.cadence === 'daily' ? 'Daily' : 'Weekly'} digest · ${utcMinute(input.periodStart)}${input.late ? ' (late)' : ''}`;
  const running = fleet.filter((entry) => entry.state === 'deployed');
  const monthly = running.reduce((sum, entry) => sum + entry.monthlyCostUsd, 0);
  const totals = `${running.length} running · ${usdMonthly(monthly)} · ${fleet.length} deployment${fleet.length === 1 ? '' : 's'} in all`;
  const blocks: Block[] = [header(title), context(totals)];
  if (input.late)
    blocks.push(context('Posted late: no Compass worker was running when this digest was due.'));
  if (fleet.length === 0) blocks.push(section('No deployments in this workspace.'));
  for (const entry of fleet.slice(0, MAX_ENTRIES)) blocks.push(section(entryText(entry)));
  if (fleet.length > MAX_ENTRIES) blocks.push(context(`…and ${fleet.length - MAX_ENTRIES} more.`));
  if (!input.monitoring && running.length > 0)
    blocks.push(context('SLO status needs Prometheus: set PROMETHEUS_URL for the Compass worker.'));
  const since = previous ? `since the last digest (${utcMinute(previous.periodStart)})` : '';
  const changes = previous?.changes ?? [];
  blocks.push(
    section(
      previous === null
        ? 'First digest in this channel; the next one lists what changed since this one.'
        : changes.length === 0
          ? `No changes ${since}.`
          : `*Changes ${since}*\n${fitLines(changes.map(changeLine), LIMITS.sectionText - 100)}`,
    ),
  );
  const changeCount = previous === null ? '' : `; ${changes.length} change${changes.length === 1 ? '' : 's'}`;
  return { text: `${title}: ${totals}${changeCount}.`, blocks };
}
