import type { ApprovalPolicy } from './schema.js';

export type ApproverCheck =
  | { ok: true }
  | { ok: false; reason: 'no_approvers' | 'not_an_approver' | 'own_request' | 'group_unreadable' };

/** Whether anyone at all may approve: a user id or a user group is configured. */
export const hasApprovers = (policy: ApprovalPolicy) =>
  policy.userIds.length > 0 || policy.usergroupId !== undefined;

/**
 * Whether `actor` may decide a request `requester` made: a configured user, or a member of the configured user group
 * (`groupMembers`; null when the group could not be read), and not the requester unless the policy allows it.
 */
export function checkApprover(
  actor: string,
  requester: string,
  policy: ApprovalPolicy,
  groupMembers: readonly string[] | null,
): ApproverCheck {
  if (!hasApprovers(policy)) return { ok: false, reason: 'no_approvers' };
  const listed = policy.userIds.includes(actor) || (groupMembers ?? []).includes(actor);
  if (!listed) {
    const unreadable = policy.usergroupId !== undefined && groupMembers === null;
    return { ok: false, reason: unreadable ? 'group_unreadable' : 'not_an_approver' };
  }
  if (actor === requester && !policy.requesterMayApprove) return { ok: false, reason: 'own_request' };
  return { ok: true };
}
