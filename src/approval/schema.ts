import { z } from 'zod';
import type { PlannedOption } from '../planner/plan.js';
import type { DeploymentSpec } from '../spec/schema.js';

/** Where a request stands. Only `pending` can be decided; a changed spec or a newer request supersedes it. */
export const ApprovalStatus = z.enum(['pending', 'approved', 'rejected', 'superseded']);
export type ApprovalStatus = z.infer<typeof ApprovalStatus>;

/** An approver's decision. */
export const Decision = z.enum(['approved', 'rejected']);
export type Decision = z.infer<typeof Decision>;

/** What the audit records: decisions, and refused presses (someone who may not decide, or too late). */
export const AuditDecision = z.enum(['approved', 'rejected', 'refused', 'retry', 'rollback', 'delete']);
export type AuditDecision = z.infer<typeof AuditDecision>;

/** Where a deployment goes: a kubeconfig context (null = the current one) and a namespace. */
export const DeployTarget = z.object({
  clusterContext: z.string().min(1).nullable(),
  namespace: z.string().min(1),
});
export type DeployTarget = z.infer<typeof DeployTarget>;

/** A posted Slack message, to edit it later with chat.update. */
export const MessageRef = z.object({ channel: z.string().min(1), ts: z.string().min(1) });
export type MessageRef = z.infer<typeof MessageRef>;

/** Deploy state the approval writes; the deploy workers own every later state. */
export const DEPLOY_PENDING = 'pending';
/** A deploy that had not started when its spec changed or a newer request replaced it. */
export const DEPLOY_SUPERSEDED = 'superseded';

export interface ApprovalRequest extends DeployTarget {
  id: string;
  conversationId: string;
  /** The option exactly as shown and requested. */
  option: PlannedOption;
  spec: DeploymentSpec;
  /** sha256 of the canonical JSON of { spec, option }: what an approval approves. */
  specHash: string;
  requestedBy: string;
  status: ApprovalStatus;
  threadMessage: MessageRef | null;
  approversMessage: MessageRef | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  /** A rejection's reason, or why the request was superseded. */
  reason: string | null;
  createdAt: Date;
}

export interface AuditEntry {
  requestId: string;
  actor: string;
  decision: AuditDecision;
  reason: string | null;
  specHash: string;
  at: Date;
}

/** An approved request as the deploy workers take it. */
export interface PendingDeploy extends DeployTarget {
  id: string;
  requestId: string;
  conversationId: string;
  /** DNS-1123 name of the Kubernetes objects, unique per context and namespace. */
  name: string;
  option: PlannedOption;
  spec: DeploymentSpec;
  specHash: string;
  state: string;
  /** Null until the outbox hands the deploy to the queue. */
  enqueuedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Who may approve deploys (configuration, see config `approvals`). */
export interface ApprovalPolicy {
  userIds: string[];
  usergroupId?: string | undefined;
  /** Four eyes unless set: whoever requested a deploy cannot approve it. */
  requesterMayApprove: boolean;
}
