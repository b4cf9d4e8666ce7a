import {
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { deploys } from '../approval/tables.js';
import { now } from '../db/columns.js';
import type { Precision } from '../knowledge/catalog.js';
import type { BreachState } from './breach.js';
import type { DigestSchedule, FleetEntry, LastEvaluation } from './digest.js';
import type { LatencyFigures, PredictedFigures } from './outcome.js';

const at = () => timestamp({ withTimezone: true });

/**
 * One row per monitored deployment: the breach detector's state (so a restart neither re-alerts nor forgets a
 * breach), the last evaluation (what digests show), and the marks that make each post happen once.
 */
export const monitorStates = pgTable('monitor_states', {
  deployId: uuid()
    .primaryKey()
    .references(() => deploys.id, { onDelete: 'cascade' }),
  breach: jsonb().$type<BreachState>().notNull(),
  /** Bumped with every write of `breach`: of two evaluations racing, only the one that wrote announces. */
  version: integer().notNull().default(0),
  /** Claimed by the worker that posts the first summary. */
  firstSummaryAt: at(),
  lastEvaluation: jsonb().$type<LastEvaluation>(),
  /** The last stored outcome: outcomes are kept at most once per throttle period. */
  lastOutcomeAt: at(),
  updatedAt: now(),
});

/** A channel's digest schedule, set with `/compass digest`. */
export const digestSchedules = pgTable(
  'digest_schedules',
  {
    teamId: text().notNull(),
    channelId: text().notNull(),
    schedule: jsonb().$type<DigestSchedule>().notNull(),
    setBy: text().notNull(),
    /** Periods that began before this are not owed (set or changed later). */
    updatedAt: now(),
  },
  (table) => [primaryKey({ columns: [table.teamId, table.channelId] })],
);

/**
 * One row per digest period of a channel, inserted before posting: the key makes a period post once however many
 * workers or restarts reach it. `fleet` is what the digest showed, the baseline of the next one's changes.
 */
export const digestPosts = pgTable(
  'digest_posts',
  {
    teamId: text().notNull(),
    channelId: text().notNull(),
    periodStart: at().notNull(),
    late: boolean().notNull(),
    claimedAt: now(),
    /** Null until posted; a claim left unposted for long (a worker died mid-post) may be taken again. */
    postedTs: text(),
    fleet: jsonb().$type<FleetEntry[]>(),
  },
  (table) => [primaryKey({ columns: [table.teamId, table.channelId, table.periodStart] })],
);

/**
 * What a deployment did over a window with enough requests, next to what the planner predicted for that traffic: the
 * feedback loop turns these into measured points of the deployment's configuration.
 */
export const outcomes = pgTable(
  'outcomes',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    deployId: uuid()
      .notNull()
      .references(() => deploys.id, { onDelete: 'cascade' }),
    /** The deployment's name when observed (namespace/name). */
    deployment: text().notNull(),
    at: at().notNull(),
    windowSec: integer().notNull(),
    modelId: text().notNull(),
    gpuId: text().notNull(),
    gpusPerReplica: integer().notNull(),
    tensorParallel: integer().notNull(),
    precision: text().$type<Precision>().notNull(),
    replicas: integer().notNull(),
    /** Traffic seen: total request rate, mean tokens per request, output tokens per second. */
    requestsPerSec: doublePrecision().notNull(),
    promptTokens: doublePrecision().notNull(),
    outputTokens: doublePrecision().notNull(),
    outputTokensPerSec: doublePrecision().notNull(),
    observed: jsonb().$type<LatencyFigures>().notNull(),
    /** Null when the planner could not predict the configuration. */
    predicted: jsonb().$type<PredictedFigures>(),
  },
  (table) => [
    index('outcomes_config_idx').on(
      table.modelId,
      table.gpuId,
      table.tensorParallel,
      table.precision,
      table.at,
    ),
    index('outcomes_deploy_idx').on(table.deployId, table.at),
  ],
);
