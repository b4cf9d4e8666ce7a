import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalHash } from '../../src/approval/hash.js';
import type { ApprovalStore } from '../../src/approval/store.js';
import { createApprovalStore, DeployRequestRefused } from '../../src/approval/store.js';
import { approvalAudit, approvalRequests, deploys } from '../../src/approval/tables.js';
import type { ConversationStore } from '../../src/conversation/store.js';
import { createConversationStore } from '../../src/conversation/store.js';
import { conversations } from '../../src/conversation/tables.js';
import type { DatabaseHandle } from '../../src/db/client.js';
import { play } from '../conversation/dialogue.js';
import { type OpenTestDatabase, openTestDatabase } from '../support/postgres.js';

let threads = 0;

describe('approval store on the real PostgreSQL', () => {
  let testDb: OpenTestDatabase;
  let database: DatabaseHandle;
  let approvals: ApprovalStore;
  let store: ConversationStore;
  const planned = play(['chatbot for 1000 users'])[0]!.data;

  beforeAll(async () => {
    testDb = await openTestDatabase();
    database = testDb.database;
    approvals = createApprovalStore(database.db);
    store = createConversationStore(database.db);
  });
  afterAll(async () => {
    await testDb.close();
  });

  /** A conversation showing the planned options, as the dialogue leaves it. */
  async function conversation(data = planned) {
    const key = { teamId: 'T1', channelId: 'C1', threadTs: `1700000000.${++threads}` };
    const result = await store.runTurn(key, { startedBy: 'U1' }, () => ({ data, messages: [] }));
    return result!.conversation;
  }

  const target = { clusterContext: null, namespace: 'compass' };
  const requestFor = async (optionIndex = 0, data = planned) => {
    const { id } = await conversation(data);
    const { request } = await approvals.request({
      conversationId: id,
      optionId: data.options[optionIndex]!.id,
      target,
      requestedBy: 'U1',
    });
    return request;
  };

  it('snapshots the option and the spec with their hash, and moves the conversation to approval_requested', async () => {
    const request = await requestFor(1);
    expect(request).toMatchObject({
      status: 'pending',
      option: planned.options[1],
      spec: planned.spec,
      specHash: approvalHash(planned.spec, planned.options[1]),
      clusterContext: null,
      namespace: 'compass',
      threadMessage: null,
      approversMessage: null,
    });
    expect((await store.findById(request.conversationId))!.state).toBe('approval_requested');
    const posted = await approvals.setMessages(request.id, {
      thread: { channel: 'C1', ts: '1.1' },
      approvers: { channel: 'C2', ts: '2.2' },
    });
    expect(posted).toMatchObject({
      threadMessage: { channel: 'C1', ts: '1.1' },
      approversMessage: { channel: 'C2', ts: '2.2' },
    });
  });

  it('refuses an option the plan no longer has, and a conversation that is deploying', async () => {
    const { id } = await conversation();
    await expect(
      approvals.request({ conversationId: id, optionId: 'gone/x|H100|tp1|bf16', target, requestedBy: 'U1' }),
    ).rejects.toThrow(DeployRequestRefused);
    const deploying = await conversation({ ...planned, state: 'deploying' });
    await expect(
      approvals.request({
        conversationId: deploying.id,
        optionId: planned.options[0]!.id,
        target,
        requestedBy: 'U1',
      }),
    ).rejects.toThrow(/This conversation is deploying/);
  });

  it('twenty approvers racing on one request: exactly one decision, one audit row, one deploy', async () => {
    const request = await requestFor();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        approvals.decide({
          requestId: request.id,
          actor: `U${index}`,
          decision: index % 2 ? 'rejected' : 'approved',
        }),
      ),
    );
    const decided = outcomes.filter((outcome) => outcome.kind === 'decided');
    expect(decided).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.kind === 'closed')).toHaveLength(19);
    const audit = await approvals.audit(request.id);
    expect(audit.filter((entry) => entry.decision !== 'refused')).toHaveLength(1);
    const rows = await database.db.select().from(deploys).where(eq(deploys.requestId, request.id));
    const winner = decided[0]!.kind === 'decided' ? decided[0]!.request : undefined;
    expect(rows).toHaveLength(winner!.status === 'approved' ? 1 : 0);
  });

  it('an approval writes the pending deploy in the same transaction: name from the model, unique per namespace', async () => {
    const first = await requestFor();
    const second = await requestFor();
    const [a, b] = await Promise.all([
      approvals.decide({ requestId: first.id, actor: 'U9', decision: 'approved' }),
      approvals.decide({ requestId: second.id, actor: 'U9', decision: 'approved' }),
    ]);
    if (a.kind !== 'decided' || b.kind !== 'decided') throw new Error('both should be decided');
    const names = [a.deploy!.name, b.deploy!.name];
    expect(new Set(names).size).toBe(2);
    for (const name of names) expect(name).toMatch(/^[a-z][a-z0-9-]*[a-z0-9]$/);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(40);
    expect(a.deploy).toMatchObject({
      requestId: first.id,
      conversationId: first.conversationId,
      namespace: 'compass',
      clusterContext: null,
      option: first.option,
      spec: first.spec,
      specHash: first.specHash,
      state: 'pending',
      enqueuedAt: null,
    });
    expect(await approvals.deployOf(first.id)).toEqual(a.deploy);
    expect((await store.findById(first.conversationId))!.state).toBe('approved');
  });

  it('a request whose conversation’s spec changed cannot be approved: it is superseded on the spot', async () => {
    const request = await requestFor();
    await database.db
      .update(conversations)
      .set({ spec: { ...planned.spec!, users: { value: 5, source: 'stated' } } })
      .where(eq(conversations.id, request.conversationId));
    const outcome = await approvals.decide({ requestId: request.id, actor: 'U9', decision: 'approved' });
    expect(outcome).toMatchObject({
      kind: 'closed',
      request: { status: 'superseded', reason: 'the spec changed after the request' },
    });
    expect(await approvals.deployOf(request.id)).toBeUndefined();
    expect(
      await database.db.select().from(approvalAudit).where(eq(approvalAudit.requestId, request.id)),
    ).toEqual([]);
  });

  it('a rejection keeps its reason, writes no deploy, and returns the conversation to its options', async () => {
    const request = await requestFor();
    const outcome = await approvals.decide({
      requestId: request.id,
      actor: 'U9',
      decision: 'rejected',
      reason: 'not now',
    });
    expect(outcome).toMatchObject({
      kind: 'decided',
      deploy: null,
      request: { status: 'rejected', reason: 'not now', decidedBy: 'U9' },
    });
    expect((await approvals.audit(request.id))[0]).toMatchObject({
      actor: 'U9',
      decision: 'rejected',
      reason: 'not now',
      specHash: request.specHash,
    });
    expect((await store.findById(request.conversationId))!.state).toBe('options_shown');
  });

  it('supersedes pending and approved-but-unstarted requests, never a deploy that started', async () => {
    const { id } = await conversation();
    const make = async () =>
      (
        await approvals.request({
          conversationId: id,
          optionId: planned.options[0]!.id,
          target,
          requestedBy: 'U1',
        })
      ).request;
    const approved = await make();
    await approvals.decide({ requestId: approved.id, actor: 'U9', decision: 'approved' });
    // A newer request replaces the approved one whose deploy has not started.
    const { request: pending, superseded } = await approvals.request({
      conversationId: id,
      optionId: planned.options[1]!.id,
      target,
      requestedBy: 'U1',
    });
    expect(superseded.map((request) => [request.id, request.status])).toEqual([[approved.id, 'superseded']]);
    expect((await approvals.deployOf(approved.id))!.state).toBe('superseded');
    const swept = await approvals.supersedeOpen(id, 'the spec changed after the request');
    expect(swept.map((request) => request.id)).toEqual([pending.id]);
    expect(swept[0]!.reason).toBe('the spec changed after the request');

    const started = await requestFor();
    const decision = await approvals.decide({ requestId: started.id, actor: 'U9', decision: 'approved' });
    if (decision.kind !== 'decided') throw new Error('expected a decision');
    await database.db.update(deploys).set({ state: 'applying' }).where(eq(deploys.id, decision.deploy!.id));
    expect(await approvals.supersedeOpen(started.conversationId, 'spec changed')).toEqual([]);
    expect((await approvals.find(started.id))!.status).toBe('approved');
  });

  it('one form submission files one request, however often (and concurrently) it is handled', async () => {
    const { id } = await conversation();
    const file = (optionIndex: number, submission: string) =>
      approvals.request({
        conversationId: id,
        optionId: planned.options[optionIndex]!.id,
        target,
        requestedBy: 'U1',
        submission,
      });
    const first = await file(0, 'V-first');
    const { request: second, superseded } = await file(1, 'V-second');
    expect(superseded.map((request) => request.id)).toEqual([first.request.id]);
    // The bot died after filing and handles the submission again, twice at once (a resumed turn and another bot).
    const again = await Promise.all([file(1, 'V-second'), file(1, 'V-second')]);
    for (const answer of again) {
      expect(answer.refiled).toBe(true);
      expect(answer.request.id).toBe(second.id);
      // What it superseded comes back too: those messages may not have been edited before the bot died.
      expect(answer.superseded.map((request) => [request.id, request.status])).toEqual([
        [first.request.id, 'superseded'],
      ]);
    }
    const rows = await database.db
      .select({ id: approvalRequests.id, status: approvalRequests.status })
      .from(approvalRequests)
      .where(eq(approvalRequests.conversationId, id));
    expect(rows).toHaveLength(2);
    expect((await approvals.find(second.id))!.status).toBe('pending');
  });

  it('refusals are audited with the hash of what was refused; unknown ids find nothing', async () => {
    const request = await requestFor();
    await approvals.refuse(request, 'U0STRANGER', 'not an approver');
    expect(await approvals.audit(request.id)).toEqual([
      expect.objectContaining({
        actor: 'U0STRANGER',
        decision: 'refused',
        reason: 'not an approver',
        specHash: request.specHash,
      }),
    ]);
    expect(await approvals.find('not-a-uuid')).toBeUndefined();
    expect(await approvals.decide({ requestId: 'not-a-uuid', actor: 'U9', decision: 'approved' })).toEqual({
      kind: 'missing',
    });
  });
});
