import { and, asc, desc, eq, inArray, isNull, lt, ne, notInArray, sql } from 'drizzle-orm';
import { approvalAudit, approvalRequests, deploys } from '../approval/tables.js';
import type { ConversationState } from '../conversation/schema.js';
import { conversations } from '../conversation/tables.js';
import type { Database } from '../db/client.js';
import type { DeployOutbox } from './outbox.js';
import type { BenchmarkState, BenchmarkStatus } from './progress.js';
import type { DeployJobStore, DeployRecord, DeployState } from './runner.js';
import { deployLocks, deployRevisions } from './tables.js';

/** The conversation state that goes with each deploy state the worker writes. */
const CONVERSATION_STATE: Partial<Record<DeployState, ConversationState>> = {
  running: 'deploying',
  deployed: 'deployed',
  failed: 'deploy_failed',
};

/** Conversation states a deploy may move: a conversation refined or re-requested since keeps its own state. */
const DEPLOY_PHASES: ConversationState[] = ['approved', 'deploying', 'deployed', 'deploy_failed'];

/** States from which a deploy job may (re)start: not superseded by a newer spec, not rolled back or deleted. */
const STARTABLE = ['pending', 'running', 'failed', 'deployed'];

/** A deploy's benchmark as the buttons and the worker move it (in its progress, so the status message shows it). */
export interface BenchmarkStore {
  load: DeployJobStore['load'];
  /**
   * Moves the deploy's benchmark to `next` when its state is one of `from` ('none': never benchmarked) and, with
   * `deployedOnly`, the deploy is deployed; whether it moved. One statement, so two presses cannot both start one.
   */
  moveBenchmark(
    deployId: string,
    from: readonly (BenchmarkState | 'none')[],
    next: BenchmarkStatus,
    options?: { deployedOnly?: boolean },
  ): Promise<boolean>;
  /** Who requested the deploy: besides approvers, the one who may benchmark it. */
  deployer(deployId: string): Promise<string | undefined>;
}

export interface DeployStore extends DeployJobStore, DeployOutbox, BenchmarkStore {
  /** Records who asked for a retry, roll back or delete of a deploy, with the hash of what it runs. */
  audit(deployId: string, actor: string, decision: 'retry' | 'rollback' | 'delete'): Promise<void>;
  /** Every deploy, newest first (of one workspace when given): `/compass status`. */
  list(filter?: { teamId?: string }): Promise<DeployRecord[]>;
}

type Row = { deploy: typeof deploys.$inferSelect; channelId: string; threadTs: string };

function toRecord({ deploy, channelId, threadTs }: Row): DeployRecord {
  return {
    id: deploy.id,
    conversationId: deploy.conversationId,
    name: deploy.name,
    namespace: deploy.namespace,
    context: deploy.clusterContext,
    option: deploy.option,
    spec: deploy.spec,
    thread: { channel: channelId, threadTs },
    state: deploy.state as DeployState,
    progress: deploy.progress,
    statusTs: deploy.statusTs,
    endpoint: deploy.endpoint,
  };
}

/**
 * The deploy workers' view of PostgreSQL. A target lock older than `lockTtlMs` is taken over: its holder died and
 * its job will not come back.
 */
export function createDeployStore(db: Database, lockTtlMs: number): DeployStore {
  const selectRows = () =>
    db
      .select({ deploy: deploys, channelId: conversations.channelId, threadTs: conversations.threadTs })
      .from(deploys)
      .innerJoin(conversations, eq(conversations.id, deploys.conversationId));

  async function moveConversation(deployId: string, state: DeployState) {
    const next = CONVERSATION_STATE[state];
    if (!next) return;
    await db
      .update(conversations)
      .set({ state: next, updatedAt: sql`now()` })
      .where(
        and(
          inArray(conversations.state, DEPLOY_PHASES),
          sql`${conversations.id} = (select ${deploys.conversationId} from ${deploys} where ${deploys.id} = ${deployId})`,
        ),
      );
  }

  return {
    async load(deployId) {
      const [row] = await selectRows().where(eq(deploys.id, deployId));
      return row && toRecord(row);
    },

    async list(filter = {}) {
      const rows = await selectRows()
        .where(filter.teamId === undefined ? undefined : eq(conversations.teamId, filter.teamId))
        .orderBy(desc(deploys.createdAt));
      return rows.map(toRecord);
    },

    async audit(deployId, actor, decision) {
      const [deploy] = await db
        .select({ requestId: deploys.requestId, specHash: deploys.specHash })
        .from(deploys)
        .where(eq(deploys.id, deployId));
      if (deploy) await db.insert(approvalAudit).values({ ...deploy, actor, decision });
    },

    async begin(deployId) {
      const started = await db
        .update(deploys)
        .set({ state: 'running', updatedAt: sql`now()` })
        .where(and(eq(deploys.id, deployId), inArray(deploys.state, STARTABLE)))
        .returning({ id: deploys.id });
      if (started.length === 0) return false;
      await moveConversation(deployId, 'running');
      return true;
    },

    async save(deployId, change) {
      await db
        .update(deploys)
        .set({ ...change, updatedAt: sql`now()` })
        .where(eq(deploys.id, deployId));
      if (change.state) await moveConversation(deployId, change.state);
    },

    async claimStatusMessage(deployId, ts) {
      await db
        .update(deploys)
        .set({ statusTs: ts })
        .where(and(eq(deploys.id, deployId), isNull(deploys.statusTs)));
      const [row] = await db
        .select({ statusTs: deploys.statusTs })
        .from(deploys)
        .where(eq(deploys.id, deployId));
      return row?.statusTs ?? ts;
    },

    async lockTarget(target, holder) {
      const taken = await db
        .insert(deployLocks)
        .values({ target, holder })
        .onConflictDoUpdate({
          target: deployLocks.target,
          set: { holder, acquiredAt: sql`now()` },
          setWhere: sql`${deployLocks.holder} = ${holder} or ${deployLocks.acquiredAt} < now() - make_interval(secs => ${lockTtlMs / 1000})`,
        })
        .returning({ holder: deployLocks.holder });
      return taken.length > 0;
    },

    async unlockTarget(target, holder) {
      await db.delete(deployLocks).where(and(eq(deployLocks.target, target), eq(deployLocks.holder, holder)));
    },

    async recordRevision(target, deployId, action, objects) {
      // The target's lock is held, so numbering cannot race.
      const [last] = await db
        .select({ number: deployRevisions.number })
        .from(deployRevisions)
        .where(eq(deployRevisions.target, target))
        .orderBy(desc(deployRevisions.number))
        .limit(1);
      const number = (last?.number ?? 0) + 1;
      await db.insert(deployRevisions).values({ target, number, deployId, action, objects });
      return number;
    },

    async markTarget(target, { from, to, except }) {
      const moved = await db
        .update(deploys)
        .set({ state: to, updatedAt: sql`now()` })
        .where(
          and(
            sql`coalesce(${deploys.clusterContext}, '') = ${target.context ?? ''}`,
            eq(deploys.namespace, target.namespace),
            eq(deploys.name, target.name),
            inArray(deploys.state, [...from]),
            except.length > 0 ? notInArray(deploys.id, [...except]) : undefined,
          ),
        )
        .returning({ id: deploys.id });
      if (moved.length === 0) return [];
      const rows = await selectRows().where(
        inArray(
          deploys.id,
          moved.map((row) => row.id),
        ),
      );
      return rows.map(toRecord);
    },

    async revisions(target, deployId) {
      const latestOf = async (other?: string) => {
        const [row] = await db
          .select()
          .from(deployRevisions)
          .where(
            and(
              eq(deployRevisions.target, target),
              other === undefined ? undefined : ne(deployRevisions.deployId, other),
            ),
          )
          .orderBy(desc(deployRevisions.number))
          .limit(1);
        return row && { number: row.number, deployId: row.deployId, objects: row.objects };
      };
      const [latest, otherThan] = await Promise.all([latestOf(), latestOf(deployId)]);
      return { latest, otherThan };
    },

    async undispatched(limit) {
      const rows = await db
        .select({ id: deploys.id })
        .from(deploys)
        .where(and(eq(deploys.state, 'pending'), isNull(deploys.enqueuedAt)))
        .orderBy(asc(deploys.createdAt))
        .limit(limit);
      return rows.map((row) => row.id);
    },

    async quietSince(before, limit) {
      const rows = await db
        .select({ id: deploys.id })
        .from(deploys)
        .where(
          and(
            inArray(deploys.state, ['pending', 'running']),
            lt(deploys.enqueuedAt, before),
            lt(deploys.updatedAt, before),
          ),
        )
        .orderBy(asc(deploys.enqueuedAt))
        .limit(limit);
      return rows.map((row) => row.id);
    },

    async moveBenchmark(deployId, from, next, options = {}) {
      const moved = await db
        .update(deploys)
        .set({
          progress: sql`jsonb_set(coalesce(${deploys.progress}, '{}'::jsonb), '{benchmark}', ${JSON.stringify(next)}::jsonb)`,
          updatedAt: sql`now()`,
        })
        .where(
          and(
            eq(deploys.id, deployId),
            inArray(sql`coalesce(${deploys.progress}->'benchmark'->>'state', 'none')`, [...from]),
            options.deployedOnly ? eq(deploys.state, 'deployed') : undefined,
          ),
        )
        .returning({ id: deploys.id });
      return moved.length > 0;
    },

    async deployer(deployId) {
      const [row] = await db
        .select({ requestedBy: approvalRequests.requestedBy })
        .from(deploys)
        .innerJoin(approvalRequests, eq(approvalRequests.id, deploys.requestId))
        .where(eq(deploys.id, deployId));
      return row?.requestedBy;
    },

    async markRedispatched(deployId) {
      await db.update(deploys).set({ enqueuedAt: sql`now()` }).where(eq(deploys.id, deployId));
    },

    async markDispatched(deployId) {
      await db
        .update(deploys)
        .set({ enqueuedAt: sql`now()` })
        .where(and(eq(deploys.id, deployId), isNull(deploys.enqueuedAt)));
    },
  };
}
