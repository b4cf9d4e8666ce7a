import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigserial,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { conversations } from '../conversation/tables.js';
import { now } from '../db/columns.js';
import type { PlannedOption } from '../planner/plan.js';
import type { DeploymentSpec } from '../spec/schema.js';
import type { DeployProgress } from '../worker/progress.js';
import type { ApprovalStatus, AuditDecision } from './schema.js';

/** A deploy request: the option and spec exactly as requested, where to, and the decision once there is one. */
export const approvalRequests = pgTable(
  'approval_requests',
  {
    id: uuid().primaryKey().defaultRandom(),
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    option: jsonb().$type<PlannedOption>().notNull(),
    spec: jsonb().$type<DeploymentSpec>().notNull(),
    specHash: text().notNull(),
    /** Null: the kubeconfig's current context. */
    clusterContext: text(),
    namespace: text().notNull(),
    requestedBy: text().notNull(),
    status: text().$type<ApprovalStatus>().notNull().default('pending'),
    /** The request message in the conversation's thread. */
    threadChannelId: text(),
    threadMessageTs: text(),
    /** Its copy in the approvers' channel, when one is configured. */
    approversChannelId: text(),
    approversMessageTs: text(),
    decidedBy: text(),
    decidedAt: timestamp({ withTimezone: true }),
    reason: text(),
    /** The request that replaced this one (a newer request of the conversation), set with status 'superseded'. */
    supersededBy: uuid().references((): AnyPgColumn => approvalRequests.id, { onDelete: 'set null' }),
    /**
     * The Slack form submission (the modal's view id) that filed it: a submission handled again (a bot that died after
     * filing resumes it) finds this request instead of filing another.
     */
    submission: text(),
    createdAt: now(),
  },
  (table) => [
    index('approval_requests_conversation_idx').on(table.conversationId, table.status),
    uniqueIndex('approval_requests_submission_idx').on(table.submission),
  ],
);

/** Every decision and every refused press, with the hash of what was decided on. */
export const approvalAudit = pgTable(
  'approval_audit',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    requestId: uuid()
      .notNull()
      .references(() => approvalRequests.id, { onDelete: 'cascade' }),
    actor: text().notNull(),
    decision: text().$type<AuditDecision>().notNull(),
    reason: text(),
    specHash: text().notNull(),
    at: now(),
  },
  (table) => [index('approval_audit_request_idx').on(table.requestId, table.id)],
);

/**
 * Approved requests for the deploy workers. The id is the deploy id (and the queue's job id); `enqueuedAt` is the
 * outbox mark: null until the deploy is handed to the queue.
 */
export const deploys = pgTable(
  'deploys',
  {
    id: uuid().primaryKey().defaultRandom(),
    requestId: uuid()
      .notNull()
      .unique()
      .references(() => approvalRequests.id),
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id),
    clusterContext: text(),
    namespace: text().notNull(),
    /** DNS-1123 name of the deployment's objects, unique per context and namespace. */
    name: text().notNull(),
    option: jsonb().$type<PlannedOption>().notNull(),
    spec: jsonb().$type<DeploymentSpec>().notNull(),
    specHash: text().notNull(),
    state: text().notNull().default('pending'),
    enqueuedAt: timestamp({ withTimezone: true }),
    /** The worker's progress (DeployProgress), the status message it keeps up to date, and the healthy endpoint. */
    progress: jsonb().$type<DeployProgress>(),
    statusTs: text(),
    endpoint: text(),
    createdAt: now(),
    updatedAt: now(),
  },
  (table) => [
    index('deploys_target_idx').on(sql`coalesce(${table.clusterContext}, '')`, table.namespace, table.name),
    index('deploys_outbox_idx').on(table.state, table.enqueuedAt),
  ],
);

/**
 * Which conversation owns a deployment name in a namespace: its later deploys update the same objects (new
 * revisions of one target, which Roll back can return to); other conversations pick another name.
 */
export const deployNames = pgTable(
  'deploy_names',
  {
    /** '' for the kubeconfig's current context. */
    clusterContext: text().notNull(),
    namespace: text().notNull(),
    name: text().notNull(),
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    createdAt: now(),
  },
  (table) => [
    primaryKey({ columns: [table.clusterContext, table.namespace, table.name] }),
    uniqueIndex('deploy_names_owner_idx').on(table.clusterContext, table.namespace, table.conversationId),
  ],
);
