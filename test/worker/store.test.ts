import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalStore } from '../../src/approval/store.js';
import { createApprovalStore } from '../../src/approval/store.js';
import type { ConversationStore } from '../../src/conversation/store.js';
import { createConversationStore } from '../../src/conversation/store.js';
import type { DatabaseHandle } from '../../src/db/client.js';
import type { DeployStore } from '../../src/worker/store.js';
import { createDeployStore } from '../../src/worker/store.js';
import { play } from '../conversation/dialogue.js';
import { type OpenTestDatabase, openTestDatabase } from '../support/postgres.js';

const objects = (tag: string) => [
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'compass', labels: { tag } } },
];

describe('deploy store on the real PostgreSQL', () => {
  let testDb: OpenTestDatabase;
  let database: DatabaseHandle;
  let conversations: ConversationStore;
  let approvals: ApprovalStore;
  let store: DeployStore;
  const planned = play(['chatbot for 1000 users'])[0]!.data;
  let threads = 0;

  beforeAll(async () => {
    testDb = await openTestDatabase();
    database = testDb.database;
    conversations = createConversationStore(database.db);
    approvals = createApprovalStore(database.db);
    store = createDeployStore(database.db, 400);
  });
  afterAll(async () => {
    await testDb.close();
  });

  /** An approved deploy of a new conversation (or of `conversationId` again). */
  async function approved(conversationId?: string) {
    const id =
      conversationId ??
      (await conversations.runTurn(
        { teamId: 'T1', channelId: 'C1', threadTs: `1700000000.${++threads}` },
        { startedBy: 'U1' },
        () => ({ data: planned, messages: [] }),
      ))!.conversation.id;
    const { request } = await approvals.request({
      conversationId: id,
      optionId: planned.options[0]!.id,
      target: { clusterContext: null, namespace: 'compass' },
      requestedBy: 'U1',
    });
    const decided = await approvals.decide({ requestId: request.id, actor: 'U2', decision: 'approved' });
    if (decided.kind !== 'decided' || !decided.deploy) throw new Error('not approved');
    return decided.deploy;
  }

  it('hands each approved deploy to the outbox once, oldest first', async () => {
    const a = await approved();
    const b = await approved();
    expect(await store.undispatched(10)).toEqual([a.id, b.id]);
    await store.markDispatched(a.id);
    await store.markDispatched(a.id);
    expect(await store.undispatched(10)).toEqual([b.id]);
    await store.markDispatched(b.id);
  });

  it('begins a deploy and moves its conversation to deploying, but not one a newer spec superseded', async () => {
    const deploy = await approved();
    expect(await store.begin(deploy.id)).toBe(true);
    const loaded = await store.load(deploy.id);
    expect(loaded).toMatchObject({ state: 'running', thread: { channel: 'C1' } });
    const conversation = await conversations.findById(deploy.conversationId);
    expect(conversation?.state).toBe('deploying');
    await store.save(deploy.id, { state: 'deployed', endpoint: 'http://x' });
    expect((await conversations.findById(deploy.conversationId))?.state).toBe('deployed');

    const other = await approved();
    await approvals.supersedeOpen(other.conversationId, 'the spec changed');
    expect(await store.begin(other.id)).toBe(false);
  });

  it('keeps one job per target, lets the holder take it again, and takes over a lock its holder abandoned', async () => {
    expect(await store.lockTarget('/compass/a', 'job-1')).toBe(true);
    expect(await store.lockTarget('/compass/a', 'job-2')).toBe(false);
    expect(await store.lockTarget('/compass/a', 'job-1')).toBe(true);
    await store.unlockTarget('/compass/a', 'job-2');
    expect(await store.lockTarget('/compass/a', 'job-2')).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await store.lockTarget('/compass/a', 'job-2')).toBe(true);
    await store.unlockTarget('/compass/a', 'job-2');
    expect(await store.lockTarget('/compass/a', 'job-3')).toBe(true);
  });

  it('numbers revisions per target and keeps a conversation’s deploys on one name', async () => {
    const first = await approved();
    await store.markDispatched(first.id);
    const second = await approved(first.conversationId);
    await store.markDispatched(second.id);
    expect(second.name).toBe(first.name);
    const other = await approved();
    await store.markDispatched(other.id);
    expect(other.name).not.toBe(first.name);

    const target = `/compass/${first.name}`;
    expect(await store.recordRevision(target, first.id, 'deploy', objects('v1'))).toBe(1);
    expect(await store.recordRevision(target, second.id, 'deploy', objects('v2'))).toBe(2);
    expect(await store.recordRevision(`/compass/${other.name}`, other.id, 'deploy', objects('o1'))).toBe(1);
    const { latest, otherThan } = await store.revisions(target, second.id);
    expect(latest).toMatchObject({ number: 2, deployId: second.id, objects: objects('v2') });
    expect(otherThan).toMatchObject({ number: 1, deployId: first.id, objects: objects('v1') });
    // A second revision of the same deploy (a retry) is skipped: the previous deployment is another deploy's.
    expect(await store.recordRevision(target, second.id, 'deploy', objects('v2'))).toBe(3);
    expect((await store.revisions(target, second.id)).otherThan).toMatchObject({
      number: 1,
      deployId: first.id,
    });
    expect((await store.revisions(target, first.id)).otherThan).toMatchObject({
      number: 3,
      deployId: second.id,
    });

    // Only the target's other deploys in the given states move, and come back as they are now.
    await store.save(first.id, { state: 'deployed' });
    await store.save(second.id, { state: 'deployed' });
    await store.save(other.id, { state: 'deployed' });
    const moved = await store.markTarget(
      { context: null, namespace: 'compass', name: first.name },
      { from: ['deployed', 'failed'], to: 'superseded', except: [second.id] },
    );
    expect(moved.map((deploy) => [deploy.id, deploy.state])).toEqual([[first.id, 'superseded']]);
    expect((await store.load(second.id))!.state).toBe('deployed');
    expect((await store.load(other.id))!.state).toBe('deployed');
  });

  it('audits retry, roll back and delete against the approved request', async () => {
    const deploy = await approved();
    await store.markDispatched(deploy.id);
    await store.audit(deploy.id, 'U3', 'rollback');
    const entries = await approvals.audit(deploy.requestId);
    expect(entries.map((e) => [e.actor, e.decision])).toEqual([
      ['U2', 'approved'],
      ['U3', 'rollback'],
    ]);
    expect(entries[1]!.specHash).toBe(entries[0]!.specHash);
  });
});
