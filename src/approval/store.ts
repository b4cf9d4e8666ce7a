import { and, asc, eq, inArray, ne, or, sql } from 'drizzle-orm';
import { canTransition, findOption } from '../conversation/schema.js';
import { conversations } from '../conversation/tables.js';
import type { Database } from '../db/client.js';
import { approvalHash } from './hash.js';
import { uniqueDeployName } from './names.js';
import type {
  ApprovalRequest,
  AuditEntry,
  Decision,
  DeployTarget,
  MessageRef,
  PendingDeploy,
} from './schema.js';
import { DEPLOY_PENDING, DEPLOY_SUPERSEDED } from './schema.js';
import { approvalAudit, approvalRequests, deployNames, deploys } from './tables.js';

/** A deploy request the conversation cannot make now; the message says why and what to do. */
export class DeployRequestRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeployRequestRefused';
  }
}

export interface NewDeployRequest {
  conversationId: string;
  optionId: string;
  target: DeployTarget;
  requestedBy: string;
  /** The form submission filing it (its idempotency key): filed once however often that submission is handled. */
  submission?: string;
}

/** A filed request, the requests it replaced, and whether its submission had filed it already (handled again). */
export interface FiledRequest {
  request: ApprovalRequest;
  superseded: ApprovalRequest[];
  refiled: boolean;
}

/** What pressing Approve or submitting Reject came to. */
export type DecisionOutcome =
  /** This press decided; an approval also created the pending deploy. */
  | { kind: 'decided'; request: ApprovalRequest; deploy: PendingDeploy | null }
  /** Someone decided first, or the request was superseded (also found now: the spec changed under it). */
  | { kind: 'closed'; request: ApprovalRequest }
  | { kind: 'missing' };

export interface ApprovalStore {
  /**
   * Records a request for one of the conversation's options, snapshotting the option and the spec, and moves the
   * conversation to approval_requested. One request is live per conversation: the earlier pending one, or an
   * approved one whose deploy has not started, is superseded in the same transaction (and returned). A submission
   * that filed a request already gets that request back, with those it superseded, and nothing changes.
   */
  request(input: NewDeployRequest): Promise<FiledRequest>;
  /** Remembers where the request was posted, to edit the messages with the decision. */
  setMessages(
    id: string,
    refs: { thread?: MessageRef; approvers?: MessageRef },
  ): Promise<ApprovalRequest | undefined>;
  find(id: string): Promise<ApprovalRequest | undefined>;
  /** The workspace's requests awaiting a decision, oldest first. */
  pending(teamId: string): Promise<ApprovalRequest[]>;
  /**
   * Decides a pending request once, however many presses race: a conditional UPDATE … WHERE status = 'pending' (and
   * the conversation's spec still the requested one) picks the one that counts. An approval inserts the pending deploy
   * in the same transaction; both write the audit.
   */
  decide(input: {
    requestId: string;
    actor: string;
    decision: Decision;
    reason?: string;
  }): Promise<DecisionOutcome>;
  /** Audits a press that changed nothing (not an approver, or too late). */
  refuse(request: ApprovalRequest, actor: string, reason: string): Promise<void>;
  /** The name the request's deploy would get if approved now (for the dry run shown with the request). */
  prospectiveName(request: ApprovalRequest): Promise<string>;
  /** Supersedes the conversation's live requests (the spec changed): pending ones and approved ones not started. */
  supersedeOpen(conversationId: string, reason: string): Promise<ApprovalRequest[]>;
  audit(requestId: string): Promise<AuditEntry[]>;
  deployOf(requestId: string): Promise<PendingDeploy | undefined>;
}

type RequestRow = typeof approvalRequests.$inferSelect;
type DeployRow = typeof deploys.$inferSelect;
type Executor = Pick<Database, 'select' | 'update' | 'insert'>;

const ref = (channel: string | null, ts: string | null): MessageRef | null =>
  channel && ts ? { channel, ts } : null;

function toRequest(row: RequestRow): ApprovalRequest {
  return {
    id: row.id,
    conversationId: row.conversationId,
    option: row.option,
    spec: row.spec,
    specHash: row.specHash,
    clusterContext: row.clusterContext,
    namespace: row.namespace,
    requestedBy: row.requestedBy,
    status: row.status,
    threadMessage: ref(row.threadChannelId, row.threadMessageTs),
    approversMessage: ref(row.approversChannelId, row.approversMessageTs),
    decidedBy: row.decidedBy,
    decidedAt: row.decidedAt,
    reason: row.reason,
    createdAt: row.createdAt,
  };
}

type NameRequest = Pick<ApprovalRequest, 'id' | 'conversationId' | 'clusterContext' | 'namespace' | 'option'>;

/** The name a request's deploy gets: its conversation's own in that namespace, or a free one; and whether it is new. */
async function nameFor(tx: Pick<Database, 'select'>, request: NameRequest) {
  const rows = await tx
    .select({ name: deployNames.name, conversationId: deployNames.conversationId })
    .from(deployNames)
    .where(
      and(
        eq(deployNames.clusterContext, request.clusterContext ?? ''),
        eq(deployNames.namespace, request.namespace),
      ),
    );
  const own = rows.find((row) => row.conversationId === request.conversationId);
  if (own) return { name: own.name, claimed: true };
  const name = uniqueDeployName(request.option.modelId, new Set(rows.map((row) => row.name)), request.id);
  return { name, claimed: false };
}

/**
 * The conversation's name in the request's namespace, claimed the first time: later deploys of one conversation
 * are revisions of one target. Two conversations racing for a name meet the primary key; the loser picks again.
 */
async function deployNameFor(tx: Pick<Database, 'select' | 'insert'>, request: NameRequest): Promise<string> {
  const { name, claimed } = await nameFor(tx, request);
  if (!claimed)
    await tx.insert(deployNames).values({
      clusterContext: request.clusterContext ?? '',
      namespace: request.namespace,
      name,
      conversationId: request.conversationId,
    });
  return name;
}

function toDeploy(row: DeployRow): PendingDeploy {
  const { id, requestId, conversationId, clusterContext, namespace, name, option, spec, specHash, state } =
    row;
  return {
    id,
    requestId,
    conversationId,
    clusterContext,
    namespace,
    name,
    option,
    spec,
    specHash,
    state,
    enqueuedAt: row.enqueuedAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** PostgreSQL's unique_violation. */
const UNIQUE_VIOLATION = '23505';
const ATTEMPTS = 3;

/** Drizzle wraps the driver's error; the code is on it or on a cause. */
function isUniqueViolation(error: unknown): boolean {
  let current: unknown = error;
  while (current !== null && typeof current === 'object') {
    if ((current as { code?: unknown }).code === UNIQUE_VIOLATION) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Supersedes a conversation's live requests and their unstarted deploys, within `tx`; `by` is the newer request that
 * replaced them (itself spared), when one did.
 */
async function supersede(
  tx: Executor,
  conversationId: string,
  reason: string,
  by?: string,
): Promise<ApprovalRequest[]> {
  const unstarted = tx
    .select({ requestId: deploys.requestId })
    .from(deploys)
    .where(and(eq(deploys.conversationId, conversationId), eq(deploys.state, DEPLOY_PENDING)));
  const rows = await tx
    .update(approvalRequests)
    .set({ status: 'superseded', reason, decidedAt: sql`now()`, supersededBy: by ?? null })
    .where(
      and(
        eq(approvalRequests.conversationId, conversationId),
        ...(by ? [ne(approvalRequests.id, by)] : []),
        or(
          eq(approvalRequests.status, 'pending'),
          and(eq(approvalRequests.status, 'approved'), inArray(approvalRequests.id, unstarted)),
        ),
      ),
    )
    .returning();
  const ids = rows.map((row) => row.id);
  if (ids.length > 0) {
    await tx
      .update(deploys)
      .set({ state: DEPLOY_SUPERSEDED, updatedAt: sql`now()` })
      .where(and(inArray(deploys.requestId, ids), eq(deploys.state, DEPLOY_PENDING)));
  }
  return rows.map(toRequest);
}

export function createApprovalStore(db: Database): ApprovalStore {
  async function decideOnce(
    requestId: string,
    actor: string,
    decision: Decision,
    reason: string | null,
  ): Promise<DecisionOutcome> {
    return db.transaction(async (tx) => {
      const specUnchanged = sql`exists (select 1 from ${conversations} where ${conversations.id} = ${approvalRequests.conversationId} and ${conversations.spec} = ${approvalRequests.spec})`;
      const [decided] = await tx
        .update(approvalRequests)
        .set({ status: decision, decidedBy: actor, decidedAt: sql`now()`, reason })
        .where(and(eq(approvalRequests.id, requestId), eq(approvalRequests.status, 'pending'), specUnchanged))
        .returning();
      if (!decided) {
        const [row] = await tx.select().from(approvalRequests).where(eq(approvalRequests.id, requestId));
        if (!row) return { kind: 'missing' };
        if (row.status !== 'pending') return { kind: 'closed', request: toRequest(row) };
        // Pending but its spec is gone: the spec changed and the sweep has not run yet.
        const [superseded] = await tx
          .update(approvalRequests)
          .set({ status: 'superseded', reason: 'the spec changed after the request', decidedAt: sql`now()` })
          .where(and(eq(approvalRequests.id, requestId), eq(approvalRequests.status, 'pending')))
          .returning();
        return { kind: 'closed', request: toRequest(superseded ?? row) };
      }
      const request = toRequest(decided);
      await tx
        .insert(approvalAudit)
        .values({ requestId, actor, decision, reason, specHash: request.specHash });
      if (decision === 'rejected') {
        await tx
          .update(conversations)
          .set({ state: 'options_shown', updatedAt: sql`now()` })
          .where(
            and(eq(conversations.id, request.conversationId), eq(conversations.state, 'approval_requested')),
          );
        return { kind: 'decided', request, deploy: null };
      }
      const name = await deployNameFor(tx, request);
      const [deploy] = await tx
        .insert(deploys)
        .values({
          requestId,
          conversationId: request.conversationId,
          clusterContext: request.clusterContext,
          namespace: request.namespace,
          name,
          option: request.option,
          spec: request.spec,
          specHash: request.specHash,
        })
        .returning();
      await tx
        .update(conversations)
        .set({ state: 'approved', updatedAt: sql`now()` })
        .where(
          and(eq(conversations.id, request.conversationId), eq(conversations.state, 'approval_requested')),
        );
      return { kind: 'decided', request, deploy: toDeploy(deploy!) };
    });
  }

  return {
    async request({ conversationId, optionId, target, requestedBy, submission }) {
      return db.transaction(async (tx) => {
        // The conversation's lock orders this with its turns: the snapshot is the spec and option as they are.
        const [conversation] = await tx
          .select()
          .from(conversations)
          .where(eq(conversations.id, conversationId))
          .for('update');
        if (!conversation) throw new DeployRequestRefused('This conversation no longer exists.');
        // Under the conversation's lock, so a submission handled twice at once files once (the unique index backs it).
        if (submission) {
          const [filed] = await tx
            .select()
            .from(approvalRequests)
            .where(eq(approvalRequests.submission, submission));
          if (filed) {
            const superseded = await tx
              .select()
              .from(approvalRequests)
              .where(eq(approvalRequests.supersededBy, filed.id));
            return { request: toRequest(filed), superseded: superseded.map(toRequest), refiled: true };
          }
        }
        const option = findOption(conversation, optionId);
        if (!option || !conversation.spec)
          throw new DeployRequestRefused(
            'That option is not in the current plan any more (the spec changed); request one of the latest options.',
          );
        if (!canTransition(conversation.state, 'approval_requested'))
          throw new DeployRequestRefused(
            `This conversation is ${conversation.state.replace(/_/g, ' ')}; a new deploy request cannot be made now.`,
          );
        const [row] = await tx
          .insert(approvalRequests)
          .values({
            conversationId,
            option,
            spec: conversation.spec,
            specHash: approvalHash(conversation.spec, option),
            clusterContext: target.clusterContext,
            namespace: target.namespace,
            requestedBy,
            submission: submission ?? null,
          })
          .returning();
        const superseded = await supersede(tx, conversationId, 'a newer deploy request replaced it', row!.id);
        await tx
          .update(conversations)
          .set({ state: 'approval_requested', updatedAt: sql`now()` })
          .where(eq(conversations.id, conversationId));
        return { request: toRequest(row!), superseded, refiled: false };
      });
    },

    async setMessages(id, refs) {
      const [row] = await db
        .update(approvalRequests)
        .set({
          ...(refs.thread ? { threadChannelId: refs.thread.channel, threadMessageTs: refs.thread.ts } : {}),
          ...(refs.approvers
            ? { approversChannelId: refs.approvers.channel, approversMessageTs: refs.approvers.ts }
            : {}),
        })
        .where(eq(approvalRequests.id, id))
        .returning();
      return row && toRequest(row);
    },

    async find(id) {
      if (!UUID.test(id)) return undefined;
      const [row] = await db.select().from(approvalRequests).where(eq(approvalRequests.id, id));
      return row && toRequest(row);
    },

    async pending(teamId) {
      const rows = await db
        .select({ request: approvalRequests })
        .from(approvalRequests)
        .innerJoin(conversations, eq(conversations.id, approvalRequests.conversationId))
        .where(and(eq(approvalRequests.status, 'pending'), eq(conversations.teamId, teamId)))
        .orderBy(asc(approvalRequests.createdAt));
      return rows.map((row) => toRequest(row.request));
    },

    async decide({ requestId, actor, decision, reason }) {
      if (!UUID.test(requestId)) return { kind: 'missing' };
      for (let attempt = 1; ; attempt++) {
        try {
          return await decideOnce(requestId, actor, decision, reason ?? null);
        } catch (error) {
          // Two approvals of one model into one namespace raced for its name: the loser picks again.
          if (attempt >= ATTEMPTS || !isUniqueViolation(error)) throw error;
        }
      }
    },

    async prospectiveName(request) {
      return (await nameFor(db, request)).name;
    },

    async refuse(request, actor, reason) {
      await db
        .insert(approvalAudit)
        .values({ requestId: request.id, actor, decision: 'refused', reason, specHash: request.specHash });
    },

    supersedeOpen(conversationId, reason) {
      return db.transaction((tx) => supersede(tx, conversationId, reason));
    },

    async audit(requestId) {
      const rows = await db
        .select()
        .from(approvalAudit)
        .where(eq(approvalAudit.requestId, requestId))
        .orderBy(asc(approvalAudit.id));
      return rows.map(({ requestId: id, actor, decision, reason, specHash, at }) => ({
        requestId: id,
        actor,
        decision,
        reason,
        specHash,
        at,
      }));
    },

    async deployOf(requestId) {
      const [row] = await db.select().from(deploys).where(eq(deploys.requestId, requestId));
      return row && toDeploy(row);
    },
  };
}
