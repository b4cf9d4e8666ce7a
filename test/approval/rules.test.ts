import { describe, expect, it } from 'vitest';
import { approvalHash, canonicalJson } from '../../src/approval/hash.js';
import { deployBaseName, MAX_DEPLOY_NAME, uniqueDeployName } from '../../src/approval/names.js';
import { checkApprover, hasApprovers } from '../../src/approval/policy.js';
import type { ApprovalPolicy } from '../../src/approval/schema.js';

describe('deployment names', () => {
  it('are DNS-1123 names from the model, without the owner', () => {
    expect(deployBaseName('meta-llama/Llama-3.1-8B-Instruct')).toBe('llama-3-1-8b-instruct');
    expect(deployBaseName('Qwen/Qwen2.5-72B-Instruct-AWQ')).toBe('qwen2-5-72b-instruct-awq');
    expect(deployBaseName('microsoft/phi-4')).toBe('phi-4');
    // Services need a leading letter.
    expect(deployBaseName('acme/3b-chat__v2')).toBe('m-3b-chat-v2');
    expect(deployBaseName('acme/---')).toBe('model');
  });

  it('are at most 40 characters and never end in a dash', () => {
    const name = deployBaseName('acme/an-extremely-long-model-name-for-testing-purposes-indeed-v1.5');
    expect(name.length).toBeLessThanOrEqual(MAX_DEPLOY_NAME);
    expect(name).toMatch(/^[a-z][a-z0-9-]*[a-z0-9]$/);
  });

  it('take a short suffix from the seed when the name is taken in the namespace, still within 40', () => {
    const base = deployBaseName('acme/an-extremely-long-model-name-for-testing-purposes-indeed-v1.5');
    const seed = '9f86d081-884c-4d63-9a2f-000000000000';
    const second = uniqueDeployName(
      'acme/an-extremely-long-model-name-for-testing-purposes-indeed-v1.5',
      new Set([base]),
      seed,
    );
    expect(second).toMatch(/-9f86d$/);
    expect(second.length).toBeLessThanOrEqual(MAX_DEPLOY_NAME);
    const third = uniqueDeployName(
      'acme/an-extremely-long-model-name-for-testing-purposes-indeed-v1.5',
      new Set([base, second]),
      seed,
    );
    expect(third).toMatch(/-f86d0$/);
    expect(uniqueDeployName('microsoft/phi-4', new Set(['other']), seed)).toBe('phi-4');
  });
});

describe('approval hash', () => {
  it('is the same for equal data whatever the key order (jsonb reorders keys), and differs for any change', () => {
    const spec = { users: { value: 10, source: 'stated' }, notes: ['a'] };
    const option = { id: 'x', monthlyCostUsd: 100 };
    const reordered = { notes: ['a'], users: { source: 'stated', value: 10 } };
    expect(approvalHash(reordered, { monthlyCostUsd: 100, id: 'x' })).toBe(approvalHash(spec, option));
    expect(approvalHash(spec, { ...option, monthlyCostUsd: 101 })).not.toBe(approvalHash(spec, option));
    expect(approvalHash(spec, option)).toMatch(/^[0-9a-f]{64}$/);
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });
});

describe('who may approve', () => {
  const policy: ApprovalPolicy = { userIds: ['U1', 'U2'], usergroupId: 'S1', requesterMayApprove: false };

  it('listed users and members of the group, never the requester under four eyes', () => {
    expect(checkApprover('U1', 'U9', policy, [])).toEqual({ ok: true });
    expect(checkApprover('U7', 'U9', policy, ['U7'])).toEqual({ ok: true });
    expect(checkApprover('U8', 'U9', policy, ['U7'])).toEqual({ ok: false, reason: 'not_an_approver' });
    expect(checkApprover('U1', 'U1', policy, [])).toEqual({ ok: false, reason: 'own_request' });
    expect(checkApprover('U1', 'U1', { ...policy, requesterMayApprove: true }, [])).toEqual({ ok: true });
  });

  it('an unreadable group says so rather than passing for "not an approver"; nobody configured, nobody approves', () => {
    expect(checkApprover('U7', 'U9', policy, null)).toEqual({ ok: false, reason: 'group_unreadable' });
    expect(checkApprover('U1', 'U9', policy, null)).toEqual({ ok: true });
    const nobody = { userIds: [], requesterMayApprove: false };
    expect(hasApprovers(nobody)).toBe(false);
    expect(checkApprover('U1', 'U9', nobody, [])).toEqual({ ok: false, reason: 'no_approvers' });
  });
});
