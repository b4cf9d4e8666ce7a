/**
 * Monitoring's view of PostgreSQL: per-deployment breach state and last evaluation, the claims that make each post
 * happen once (first summary, breach transitions, digest periods), channel digest schedules, and outcomes.
 */
import {
  and,
  asc,
  desc,
  eq,
  getTableColumns,
  inArray,
  isNotNull,
  isNull,
  lt,
  lte,
  or,
  sql,
} from 'drizzle-orm';
import type { Database } from '../db/client.js';
import type { BenchmarkPoint } from '../knowledge/catalog.js';
import { type BreachState, INITIAL_BREACH_STATE } from './breach.js';
import type { DigestSchedule, FleetEntry, LastEvaluation } from './digest.js';
import { type Outcome, observedPoint } from './outcome.js';
import { digestPosts, digestSchedules, monitorStates, outcomes } from './tables.js';

export interface MonitorState {
  breach: BreachState;
  version: number;
  lastEvaluation: LastEvaluation | null;
}

export interface ChannelSchedule {
  teamId: string;
  channelId: string;
  schedule: DigestSchedule;
  /** When it was set or last changed: periods before are not owed. */
  setAt: Date;
}

/** A digest claim left unposted this long was abandoned (its worker died mid-post): another may take it. */
const ABANDONED_CLAIM = sql`now() - interval '10 minutes'`;

/** Observed points kept per configuration for the planner: the most recent, so calibration stays fast. */
export const OBSERVED_POINTS_PER_CONFIG = 48;

export type MonitorStore = ReturnType<typeof createMonitorStore>;

export function createMonitorStore(db: Database) {
  const channel = (teamId: string, channelId: string) =>
    and(eq(digestSchedules.teamId, teamId), eq(digestSchedules.channelId, channelId));
  const posted = (teamId: string, channelId: string) =>
    and(
      eq(digestPosts.teamId, teamId),
      eq(digestPosts.channelId, channelId),
      isNotNull(digestPosts.postedTs),
    );
  const post = (teamId: string, channelId: string, periodStart: Date) =>
    and(
      eq(digestPosts.teamId, teamId),
      eq(digestPosts.channelId, channelId),
      eq(digestPosts.periodStart, periodStart),
    );

  return {
    /** Starts monitoring a deploy (idempotent: a second call keeps its state). */
    async begin(deployId: string): Promise<void> {
      await db.insert(monitorStates).values({ deployId, breach: INITIAL_BREACH_STATE }).onConflictDoNothing();
    },

    async states(deployIds: string[]): Promise<Map<string, MonitorState>> {
      if (deployIds.length === 0) return new Map();
      const rows = await db.select().from(monitorStates).where(inArray(monitorStates.deployId, deployIds));
      return new Map(
        rows.map((row) => [
          row.deployId,
          { breach: row.breach, version: row.version, lastEvaluation: row.lastEvaluation },
        ]),
      );
    },

    /** Writes an evaluation over the state read at `version`; false when another evaluation wrote first. */
    async saveEvaluation(
      deployId: string,
      version: number,
      breach: BreachState,
      lastEvaluation: LastEvaluation,
    ): Promise<boolean> {
      const written = await db
        .update(monitorStates)
        .set({ breach, lastEvaluation, version: version + 1, updatedAt: sql`now()` })
        .where(and(eq(monitorStates.deployId, deployId), eq(monitorStates.version, version)))
        .returning({ deployId: monitorStates.deployId });
      return written.length > 0;
    },

    /** The first summary's claim: true for the one caller that may post it. */
    async claimFirstSummary(deployId: string): Promise<boolean> {
      const claimed = await db
        .update(monitorStates)
        .set({ firstSummaryAt: sql`now()` })
        .where(and(eq(monitorStates.deployId, deployId), isNull(monitorStates.firstSummaryAt)))
        .returning({ deployId: monitorStates.deployId });
      return claimed.length > 0;
    },

    async releaseFirstSummary(deployId: string): Promise<void> {
      await db
        .update(monitorStates)
        .set({ firstSummaryAt: null })
        .where(eq(monitorStates.deployId, deployId));
    },

    /** Claims the right to store an outcome at `at`: at most one per deployment every `everySec`. */
    async claimOutcome(deployId: string, at: Date, everySec: number): Promise<boolean> {
      const claimed = await db
        .update(monitorStates)
        .set({ lastOutcomeAt: at })
        .where(
          and(
            eq(monitorStates.deployId, deployId),
            or(
              isNull(monitorStates.lastOutcomeAt),
              lte(monitorStates.lastOutcomeAt, new Date(at.getTime() - everySec * 1000)),
            ),
          ),
        )
        .returning({ deployId: monitorStates.deployId });
      return claimed.length > 0;
    },

    async addOutcome(outcome: Outcome): Promise<void> {
      await db.insert(outcomes).values({ ...outcome, at: new Date(outcome.at) });
    },

    /** Every stored outcome, oldest first. */
    async outcomes(): Promise<Outcome[]> {
      const rows = await db.select().from(outcomes).orderBy(asc(outcomes.at), asc(outcomes.id));
      return rows.map(outcomeOfRow);
    },

    async schedule(teamId: string, channelId: string): Promise<ChannelSchedule | undefined> {
      const [row] = await db.select().from(digestSchedules).where(channel(teamId, channelId));
      return row && scheduleOfRow(row);
    },

    async schedules(): Promise<ChannelSchedule[]> {
      return (await db.select().from(digestSchedules)).map(scheduleOfRow);
    },

    /** Sets or replaces a channel's schedule; periods before `setAt` are not owed. */
    async setSchedule(
      teamId: string,
      channelId: string,
      schedule: DigestSchedule,
      setBy: string,
      setAt: Date,
    ) {
      await db
        .insert(digestSchedules)
        .values({ teamId, channelId, schedule, setBy, updatedAt: setAt })
        .onConflictDoUpdate({
          target: [digestSchedules.teamId, digestSchedules.channelId],
          set: { schedule, setBy, updatedAt: setAt },
        });
    },

    /** False when the channel had no schedule. */
    async removeSchedule(teamId: string, channelId: string): Promise<boolean> {
      const removed = await db
        .delete(digestSchedules)
        .where(channel(teamId, channelId))
        .returning({ teamId: digestSchedules.teamId });
      return removed.length > 0;
    },

    /** Claims a channel's period before posting it: true for the one caller that may post. */
    async claimDigest(teamId: string, channelId: string, periodStart: Date, late: boolean): Promise<boolean> {
      const claimed = await db
        .insert(digestPosts)
        .values({ teamId, channelId, periodStart, late })
        .onConflictDoUpdate({
          target: [digestPosts.teamId, digestPosts.channelId, digestPosts.periodStart],
          set: { late, claimedAt: sql`now()` },
          setWhere: and(isNull(digestPosts.postedTs), lt(digestPosts.claimedAt, ABANDONED_CLAIM)),
        })
        .returning({ teamId: digestPosts.teamId });
      return claimed.length > 0;
    },

    /** Gives a claim back after a failed post, so the next check tries again. */
    async releaseDigest(teamId: string, channelId: string, periodStart: Date): Promise<void> {
      await db
        .delete(digestPosts)
        .where(and(post(teamId, channelId, periodStart), isNull(digestPosts.postedTs)));
    },

    async completeDigest(
      teamId: string,
      channelId: string,
      periodStart: Date,
      postedTs: string,
      fleet: FleetEntry[],
    ): Promise<void> {
      await db
        .update(digestPosts)
        .set({ postedTs, fleet })
        .where(post(teamId, channelId, periodStart));
    },

    /** The channel's last posted digest before `before`: the baseline of what changed. */
    async previousDigest(
      teamId: string,
      channelId: string,
      before: Date,
    ): Promise<{ periodStart: Date; fleet: FleetEntry[] } | undefined> {
      const [row] = await db
        .select({ periodStart: digestPosts.periodStart, fleet: digestPosts.fleet })
        .from(digestPosts)
        .where(and(posted(teamId, channelId), lt(digestPosts.periodStart, before)))
        .orderBy(desc(digestPosts.periodStart))
        .limit(1);
      return row && { periodStart: row.periodStart, fleet: row.fleet ?? [] };
    },

    /** Posted periods of a channel, oldest first. */
    async postedDigests(teamId: string, channelId: string) {
      return db
        .select({ periodStart: digestPosts.periodStart, late: digestPosts.late, ts: digestPosts.postedTs })
        .from(digestPosts)
        .where(posted(teamId, channelId))
        .orderBy(asc(digestPosts.periodStart));
    },
  };
}

function scheduleOfRow(row: typeof digestSchedules.$inferSelect): ChannelSchedule {
  return { teamId: row.teamId, channelId: row.channelId, schedule: row.schedule, setAt: row.updatedAt };
}

function outcomeOfRow({ id: _id, at, ...row }: typeof outcomes.$inferSelect): Outcome {
  return { ...row, at: at.toISOString() };
}

/**
 * The stored outcomes as measured points for the knowledge base: the most recent OBSERVED_POINTS_PER_CONFIG of each
 * configuration (model, GPU, GPUs per replica, parallelism, precision).
 */
export async function loadObservedPoints(db: Database): Promise<BenchmarkPoint[]> {
  const ranked = db
    .select({
      ...getTableColumns(outcomes),
      rank: sql<number>`row_number() over (partition by ${outcomes.modelId}, ${outcomes.gpuId}, ${outcomes.gpusPerReplica}, ${outcomes.tensorParallel}, ${outcomes.precision} order by ${outcomes.at} desc)`.as(
        'rank',
      ),
    })
    .from(outcomes)
    .as('ranked');
  const rows = await db
    .select()
    .from(ranked)
    .where(lte(ranked.rank, OBSERVED_POINTS_PER_CONFIG))
    .orderBy(asc(ranked.at), asc(ranked.id));
  return rows.map(({ rank: _rank, ...row }) => observedPoint(outcomeOfRow(row)));
}
