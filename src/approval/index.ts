// Deploy approvals: requests with the exact option and spec, who may decide (policy), a decision taken once in
// PostgreSQL with its audit, and the pending deploys the deploy workers take.
export { approvalHash, canonicalJson } from './hash.js';
export { deployBaseName, MAX_DEPLOY_NAME, uniqueDeployName } from './names.js';
export type { ApproverCheck } from './policy.js';
export { checkApprover, hasApprovers } from './policy.js';
export type { ApprovalPolicy, ApprovalRequest, AuditEntry, PendingDeploy } from './schema.js';
export {
  ApprovalStatus,
  AuditDecision,
  DEPLOY_PENDING,
  DEPLOY_SUPERSEDED,
  Decision,
  DeployTarget,
  MessageRef,
} from './schema.js';
export type {
  ApprovalService,
  ApprovalSettings,
  Authorization,
  DecisionAnswer,
  GroupMembers,
  RequestOutcome,
} from './service.js';
export { createApprovalService, DEPLOY_FIELD, policyOf, REASON_FIELD } from './service.js';
export type { ApprovalStore, DecisionOutcome, NewDeployRequest } from './store.js';
export { createApprovalStore, DeployRequestRefused } from './store.js';
export { approvalAudit, approvalRequests, deploys } from './tables.js';
