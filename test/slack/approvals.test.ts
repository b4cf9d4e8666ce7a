import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalHash } from '../../src/approval/hash.js';
import { DEPLOY_FIELD, REASON_FIELD } from '../../src/approval/service.js';
import { ACTION } from '../../src/slack/blocks/actions.js';
import { mrkdwnToPlain } from '../../src/slack/blocks/text.js';
import type { PostedMessage } from '../standins/slack.js';
import type { BotHarness } from './harness.js';
import {
  APPROVER,
  APPROVERS_CHANNEL,
  CHANNEL,
  GROUP_MEMBER,
  headerOf,
  OTHER_APPROVER,
  STRANGER,
  startHarness,
  USER,
} from './harness.js';

const ACK_BUDGET_MS = 1000;
const readable = (message: PostedMessage) =>
  mrkdwnToPlain(JSON.stringify(message.blocks)).replace(/\\n/g, '\n');
const buttonsOf = (message: PostedMessage) =>
  message.blocks.flatMap((block) =>
    block.type === 'actions' ? (block.elements as { action_id: string; value: string }[]) : [],
  );

/** A conversation with options; returns its thread, the recommendations message and the stored conversation. */
async function startConversation(bot: BotHarness, text: string) {
  const { ts: thread } = await bot.mention(text);
  const posted = await bot.slack.waitFor(() => {
    const messages = bot.slack.thread(CHANNEL, thread);
    return messages.length === 2 && messages;
  });
  const stored = (await bot.store.find({ teamId: bot.slack.teamId, channelId: CHANNEL, threadTs: thread }))!;
  return { thread, options: posted[1]!, stored };
}

describe('deploy requests and approvals through the Slack stand-in', () => {
  let bot: BotHarness;
  let sql: pg.Client;

  beforeAll(async () => {
    bot = await startHarness();
    // The harness's database, read directly: the audit and the deploys are the contract with the deploy workers.
    sql = new pg.Client({ connectionString: bot.databaseUrl });
    await sql.connect();
  });
  afterAll(async () => {
    await sql.end();
    await bot.close();
  });

  const conversation = (text: string) => startConversation(bot, text);
  let presses = 0;
  /** Presses a button on the request's copy in the approvers' channel. */
  const pressOnCopy = (
    actionId: string,
    requested: { requestId: string; copy: PostedMessage },
    user: string,
  ) =>
    bot.press(actionId, {
      value: requested.requestId,
      message: { ts: requested.copy.ts },
      channel: APPROVERS_CHANNEL,
      user,
      responseId: `copy-${++presses}`,
    });

  /** Requests a deploy of the conversation's first option as `user`; returns the request and its two messages. */
  async function request(
    text: string,
    user = USER,
    target: Record<string, string> = { [DEPLOY_FIELD.namespace]: 'llm', [DEPLOY_FIELD.context]: 'prod' },
  ) {
    const { thread, options, stored } = await conversation(text);
    const form = await bot.pressForView(ACTION.requestDeploy, {
      value: stored.options[0]!.id,
      message: { ts: options.ts, thread_ts: thread },
      user,
    });
    const { response } = await bot.submit(form, target, user);
    expect(response).toEqual({});
    const inThread = await bot.slack.waitFor(() =>
      bot.slack.thread(CHANNEL, thread).find((message) => headerOf(message) === 'Deploy request'),
    );
    const requestId = buttonsOf(inThread)[0]!.value;
    const copy = await bot.slack.waitFor(() =>
      bot.slack.thread(APPROVERS_CHANNEL).find((message) => buttonsOf(message)[0]?.value === requestId),
    );
    await bot.slack.waitFor(async () => (await bot.approvals.find(requestId))?.approversMessage !== null);
    return { thread, stored, requestId, inThread, copy };
  }

  const approvalsOf = (requestId: string) =>
    sql.query(
      'select actor, decision, reason, spec_hash from approval_audit where request_id = $1 order by id',
      [requestId],
    );

  it('Request deploy asks for the namespace and cluster from the configuration, and refuses others in the modal', async () => {
    const { thread, options, stored } = await conversation('chatbot for 1000 users');
    const form = await bot.pressForView(ACTION.requestDeploy, {
      value: stored.options[1]!.id,
      message: { ts: options.ts, thread_ts: thread },
    });
    const namespaces = form.blocks.find((block) => block.block_id === DEPLOY_FIELD.namespace)!.element as {
      options: { value: string }[];
    };
    const contexts = form.blocks.find((block) => block.block_id === DEPLOY_FIELD.context)!.element as {
      options: { value: string }[];
    };
    expect(namespaces.options.map((option) => option.value)).toEqual(['compass', 'llm']);
    expect(contexts.options.map((option) => option.value)).toEqual(['staging', 'prod']);
    expect(mrkdwnToPlain(JSON.stringify(form.blocks))).toMatch(
      /Approvers: @U0GRACE, @U0LINUS or anyone in @S0PLATFORM; not the requester \(four eyes\)/,
    );
    const { delivery, response } = await bot.submit(form, { [DEPLOY_FIELD.namespace]: 'kube-system' });
    expect(delivery.ms).toBeLessThan(ACK_BUDGET_MS);
    expect(response).toEqual({
      response_action: 'errors',
      errors: { [DEPLOY_FIELD.namespace]: '“kube-system” is not one of the choices.' },
    });
    expect(await bot.approvals.find('00000000-0000-0000-0000-000000000000')).toBeUndefined();
  });

  it('posts the request in the thread and the approvers’ channel with Approve / Reject, and records it', async () => {
    const { stored, requestId, inThread, copy } = await request('chatbot for 1000 users');
    const option = stored.options[0]!;
    expect(buttonsOf(inThread)).toEqual([
      expect.objectContaining({ action_id: ACTION.approve, value: requestId }),
      expect.objectContaining({ action_id: ACTION.reject, value: requestId }),
    ]);
    expect(copy.blocks).toEqual(inThread.blocks);
    expect(readable(inThread)).toMatch(
      new RegExp(`@U0ADA asks to deploy ${option.modelName}.* to llm on context prod`),
    );
    const saved = (await bot.approvals.find(requestId))!;
    expect(saved).toMatchObject({
      status: 'pending',
      namespace: 'llm',
      clusterContext: 'prod',
      requestedBy: USER,
      option,
      spec: stored.spec,
      threadMessage: { channel: CHANNEL, ts: inThread.ts },
      approversMessage: { channel: APPROVERS_CHANNEL, ts: copy.ts },
    });
    expect(saved.specHash).toBe(approvalHash(stored.spec, option));
    expect((await bot.store.findById(stored.id))!.state).toBe('approval_requested');
  });

  describe('who may approve', () => {
    let pending: Awaited<ReturnType<typeof request>>;
    beforeAll(async () => {
      pending = await request('code completion for 200 developers');
    });

    it('a stranger gets an ephemeral “you are not an approver”; nothing changes, the refusal is audited', async () => {
      const updates = bot.slack.callsOf('chat.update').length;
      await pressOnCopy(ACTION.approve, pending, STRANGER);
      const refusal = await bot.slack.waitFor(() => bot.ephemerals(STRANGER)[0]);
      expect(mrkdwnToPlain(refusal.text)).toMatch(
        /^You are not an approver for Compass deploys; nothing changed\. Approvers: @U0GRACE/,
      );
      expect(bot.slack.callsOf('chat.postEphemeral', { user: STRANGER })[0]!.args.channel).toBe(
        APPROVERS_CHANNEL,
      );
      expect((await bot.approvals.find(pending.requestId))!.status).toBe('pending');
      expect(bot.slack.callsOf('chat.update').length).toBe(updates);
      expect((await approvalsOf(pending.requestId)).rows).toEqual([
        expect.objectContaining({ actor: STRANGER, decision: 'refused', reason: 'not an approver' }),
      ]);
    });

    it('a stranger pressing Reject gets no modal, only the refusal', async () => {
      const opened = bot.slack.callsOf('views.open').length;
      await bot.press(ACTION.reject, {
        value: pending.requestId,
        message: { ts: pending.inThread.ts, thread_ts: pending.thread },
        user: STRANGER,
        responseId: 'stranger-reject',
      });
      await bot.slack.waitFor(() => bot.ephemerals(STRANGER).length === 2);
      expect(bot.slack.callsOf('views.open').length).toBe(opened);
    });

    it('four eyes: an approver cannot approve their own request; a member of the approvers’ group can', async () => {
      const own = await request('summarization for 300 users', APPROVER);
      await bot.press(ACTION.approve, {
        value: own.requestId,
        message: { ts: own.inThread.ts, thread_ts: own.thread },
        user: APPROVER,
        responseId: 'own',
      });
      const refusal = await bot.slack.waitFor(() =>
        bot.ephemerals(APPROVER).find((reply) => /four eyes/.test(reply.text)),
      );
      expect(refusal.text).toMatch(/^You requested this deploy; someone else must approve it/);
      expect((await bot.approvals.find(own.requestId))!.status).toBe('pending');

      await pressOnCopy(ACTION.approve, own, GROUP_MEMBER);
      await bot.slack.waitFor(async () => (await bot.approvals.find(own.requestId))!.status === 'approved');
      expect(bot.slack.callsOf('usergroups.users.list')[0]!.args.usergroup).toBe('S0PLATFORM');
    });
  });

  it('two approvers pressing at once, and one pressing twice, make one decision', async () => {
    const { requestId, inThread, copy, thread, stored } = await request('chatbot for 2000 users');
    const press = (user: string, responseId: string) =>
      bot.press(ACTION.approve, {
        value: requestId,
        message: { ts: copy.ts },
        channel: APPROVERS_CHANNEL,
        user,
        responseId,
      });
    const deliveries = await Promise.all([
      press(APPROVER, 'a1'),
      press(OTHER_APPROVER, 'b1'),
      press(APPROVER, 'a2'),
      press(OTHER_APPROVER, 'b2'),
    ]);
    for (const delivery of deliveries) expect(delivery.ms).toBeLessThan(ACK_BUDGET_MS);
    const decided = await bot.slack.waitFor(async () => {
      const now = await bot.approvals.find(requestId);
      return now?.status === 'approved' && now;
    });
    // Three presses lost: each presser hears who decided, ephemerally.
    await bot.slack.waitFor(
      () =>
        [...bot.ephemerals(APPROVER), ...bot.ephemerals(OTHER_APPROVER)].filter((reply) =>
          /already approved/.test(reply.text),
        ).length >= 3,
    );
    const audit = (await approvalsOf(requestId)).rows;
    expect(audit.filter((row) => row.decision === 'approved')).toEqual([
      {
        actor: decided.decidedBy,
        decision: 'approved',
        reason: null,
        spec_hash: approvalHash(stored.spec, stored.options[0]),
      },
    ]);
    const deploys = await sql.query('select * from deploys where request_id = $1', [requestId]);
    expect(deploys.rows).toHaveLength(1);
    expect(deploys.rows[0]).toMatchObject({
      namespace: 'llm',
      cluster_context: 'prod',
      state: 'pending',
      enqueued_at: null,
      spec_hash: decided.specHash,
      conversation_id: stored.id,
    });
    expect(deploys.rows[0].name).toMatch(/^[a-z][a-z0-9-]{0,39}$/);
    // Both copies of the request now say who approved, when, and have no buttons.
    for (const ts of [inThread.ts, copy.ts]) {
      const channel = ts === inThread.ts ? CHANNEL : APPROVERS_CHANNEL;
      const message = await bot.slack.waitFor(() => {
        const now = bot.slack.message(channel, ts)!;
        return headerOf(now) === 'Deploy approved' && now;
      });
      expect(buttonsOf(message)).toEqual([]);
      expect(readable(message)).toMatch(
        new RegExp(`✅ Approved by @${decided.decidedBy} \\d{4}-\\d\\d-\\d\\dT`),
      );
    }
    const notice = await bot.slack.waitFor(() =>
      bot.slack.thread(CHANNEL, thread).find((message) => /approved deploying/.test(message.text)),
    );
    expect(notice.text).toContain(`\`${deploys.rows[0].name}\``);
    expect((await bot.store.findById(stored.id))!.state).toBe('approved');
    // chat.update, not response_url, edits the request messages.
    expect(bot.slack.responses.filter((entry) => ['a1', 'a2', 'b1', 'b2'].includes(entry.id))).toEqual([]);
  });

  it('Reject asks an approver for a reason, then closes the request with it', async () => {
    const { requestId, inThread, copy, thread, stored } = await request('translation for 500 users');
    const before = bot.slack.views.length;
    await bot.press(ACTION.reject, {
      value: requestId,
      message: { ts: inThread.ts, thread_ts: thread },
      user: APPROVER,
      responseId: 'reject',
    });
    const form = await bot.slack.waitFor(() => bot.slack.views[before]);
    expect(form.callback_id).toBe('compass_reject_form');
    const empty = await bot.submit(form, { [REASON_FIELD]: null }, APPROVER);
    expect(empty.response.errors).toEqual({ [REASON_FIELD]: expect.stringMatching(/at least 3 characters/) });
    const { response } = await bot.submit(
      form,
      { [REASON_FIELD]: 'Too expensive for a pilot <team>' },
      APPROVER,
    );
    expect(response).toEqual({});
    const rejected = await bot.slack.waitFor(() => {
      const now = bot.slack.message(APPROVERS_CHANNEL, copy.ts)!;
      return headerOf(now) === 'Deploy rejected' && now;
    });
    expect(readable(rejected)).toMatch(/❌ Rejected by @U0GRACE .*: “Too expensive for a pilot <team>”/);
    expect(JSON.stringify(rejected.blocks)).toContain('pilot &lt;team&gt;');
    expect(buttonsOf(rejected)).toEqual([]);
    expect((await approvalsOf(requestId)).rows).toEqual([
      expect.objectContaining({
        actor: APPROVER,
        decision: 'rejected',
        reason: 'Too expensive for a pilot <team>',
      }),
    ]);
    expect((await sql.query('select 1 from deploys where request_id = $1', [requestId])).rows).toEqual([]);
    expect((await bot.store.findById(stored.id))!.state).toBe('options_shown');
    // Approving afterwards is refused, and says who decided.
    await bot.press(ACTION.approve, {
      value: requestId,
      message: { ts: copy.ts },
      channel: APPROVERS_CHANNEL,
      user: OTHER_APPROVER,
      responseId: 'late',
    });
    const late = await bot.slack.waitFor(() =>
      bot.ephemerals(OTHER_APPROVER).find((reply) => /already rejected/.test(reply.text)),
    );
    expect(mrkdwnToPlain(late.text)).toMatch(/already rejected by @U0GRACE/);
  });

  it('a spec edited while a request is pending, or approved but not started, supersedes it', async () => {
    const pendingOne = await request('chatbot for 700 users');
    await bot.reply('make it 1400 users', pendingOne.thread);
    const superseded = await bot.slack.waitFor(() => {
      const now = bot.slack.message(CHANNEL, pendingOne.inThread.ts)!;
      return headerOf(now) === 'Deploy request superseded' && now;
    });
    expect(readable(superseded)).toMatch(/Superseded .*: the spec changed after the request/);
    expect(buttonsOf(superseded)).toEqual([]);
    await pressOnCopy(ACTION.approve, pendingOne, APPROVER);
    await bot.slack.waitFor(() =>
      bot.ephemerals(APPROVER).find((reply) => /was superseded/.test(reply.text)),
    );

    const approvedOne = await request('chatbot for 900 users');
    await pressOnCopy(ACTION.approve, approvedOne, APPROVER);
    await bot.slack.waitFor(
      async () => (await bot.approvals.find(approvedOne.requestId))!.status === 'approved',
    );
    await bot.reply('we only have H100s', approvedOne.thread);
    await bot.slack.waitFor(
      async () => (await bot.approvals.find(approvedOne.requestId))!.status === 'superseded',
    );
    const deploy = await sql.query('select state from deploys where request_id = $1', [
      approvedOne.requestId,
    ]);
    expect(deploy.rows).toEqual([{ state: 'superseded' }]);
    expect((await bot.store.findById(approvedOne.stored.id))!.state).toBe('options_shown');
  });

  it('a new request replaces the conversation’s pending one', async () => {
    const first = await request('content generation for 100 users');
    const options = bot.slack.thread(CHANNEL, first.thread)[1]!;
    const form = await bot.pressForView(ACTION.requestDeploy, {
      value: first.stored.options[1]!.id,
      message: { ts: options.ts, thread_ts: first.thread },
    });
    await bot.submit(form, { [DEPLOY_FIELD.namespace]: 'compass', [DEPLOY_FIELD.context]: 'staging' });
    await bot.slack.waitFor(async () => (await bot.approvals.find(first.requestId))!.status === 'superseded');
    expect((await bot.approvals.find(first.requestId))!.reason).toBe('a newer deploy request replaced it');
    await bot.slack.waitFor(
      () => headerOf(bot.slack.message(APPROVERS_CHANNEL, first.copy.ts)!) === 'Deploy request superseded',
    );
  });

  it('every message and view Compass sent was one Slack accepts', () => {
    const rejected = bot.slack.calls.filter(
      (call) => call.result?.ok === false && /invalid|trigger/.test(String(call.result.error)),
    );
    expect(rejected.map((call) => [call.method, call.result])).toEqual([]);
  });
});

describe('without approvers configured', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startHarness({
      approvals: { userIds: [], requesterMayApprove: false },
      deploy: { contexts: [], namespaces: ['compass'] },
    });
  });
  afterAll(() => bot.close());

  it('Request deploy says what to configure instead of opening a request nobody could approve', async () => {
    const { thread, options, stored } = await startConversation(bot, 'chatbot for 100 users');
    await bot.press(ACTION.requestDeploy, {
      value: stored.options[0]!.id,
      message: { ts: options.ts, thread_ts: thread },
      responseId: 'none',
    });
    const reply = await bot.slack.waitFor(() => bot.ephemerals(USER)[0]);
    expect(reply.text).toMatch(/none are configured: set APPROVER_USER_IDS or APPROVER_USERGROUP_ID/);
    expect(bot.slack.callsOf('views.open')).toEqual([]);
    const stillShown = await bot.store.findById(stored.id);
    expect(stillShown!.state).toBe('options_shown');
  });
});
