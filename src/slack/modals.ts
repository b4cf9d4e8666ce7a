import type { App, BlockAction, ButtonAction, webApi } from '@slack/bolt';
import type { ThreadKey } from '../conversation/schema.js';
import { DM_PANE, replyThreadTs } from '../conversation/schema.js';
import type { ConversationService, ViewAnswer, WhatIfCheck } from '../conversation/service.js';
import { retryOnConnectionLoss } from '../db/connection.js';
import type { Inbox } from '../inbox/index.js';
import { inboxIdOf, LeaseLostError } from '../inbox/index.js';
import type { Logger } from '../log/index.js';
import { WhatIfPrefill } from '../monitor/advice.js';
import { MONITOR_ACTION } from '../monitor/blocks.js';
import { ACTION, VIEW } from './blocks/actions.js';
import { loadingView, noticeView, withoutImages } from './blocks/details.js';
import { noticeBlocks } from './blocks/dialogue.js';
import type { InputState } from './blocks/form.js';
import { formValuesOf } from './blocks/form.js';
import type { SlackView } from './blocks/kit.js';
import { pngOf, postChartInThread } from './charts.js';
import { isDirect } from './context.js';
import type { Replies } from './replies.js';

/** Told when a button's conversation is gone (the thread was never one, or its data was removed). */
export const NO_CONVERSATION =
  'This thread has no Compass conversation any more; mention me to start a new one.';
const EXPIRED = 'This what-if has expired; press What if… on an option again.';

export type Press = BlockAction<ButtonAction>;
type Client = webApi.WebClient;

/** The thread a button in one of Compass's messages belongs to. */
export function threadOfPress(body: Press): ThreadKey | undefined {
  const channelId = body.channel?.id;
  const messageTs = body.message?.ts;
  if (!channelId || !messageTs) return undefined;
  return {
    teamId: body.team?.id ?? body.user.team_id ?? '',
    channelId,
    threadTs: (body.message?.thread_ts as string | undefined) ?? (isDirect(channelId) ? DM_PANE : messageTs),
  };
}

/** A modal's input state, as Bolt types it, in the form module's terms. */
export const stateOf = (view: { state: { values: Record<string, Record<string, unknown>> } }) =>
  formValuesOf(view.state.values as Record<string, Record<string, InputState>>);

/**
 * A button in a thread that opens a modal: the modal, or the reason it cannot open, to the presser only. `answer`
 * must be quick (no planning): the trigger lives 3 seconds. The opened view's id, to update it later.
 */
export async function openFromThread(
  replies: Replies,
  client: Client,
  body: Press,
  event: string,
  answer: (key: ThreadKey) => Promise<ViewAnswer | undefined>,
): Promise<string | undefined> {
  const key = threadOfPress(body);
  if (!key) return;
  const target = { channel: key.channelId, user: body.user.id, threadTs: replyThreadTs(key.threadTs) };
  try {
    const answered = await answer(key);
    if (!answered?.ok) {
      await replies.ephemeral(client, target, answered ? answered.message : noticeBlocks(NO_CONVERSATION));
      return undefined;
    }
    const opened = await client.views.open({
      trigger_id: body.trigger_id,
      view: replies.view(answered.view, body.user.id),
    });
    return opened.view?.id;
  } catch (error) {
    await replies.ephemeral(client, target, replies.failure(event, { thread: key }, error).message);
  }
  return undefined;
}

/** The WhatIfPrefill a monitoring button carries, or undefined when its value is not one. */
function prefillOf(value: string | undefined): WhatIfPrefill | undefined {
  try {
    return WhatIfPrefill.parse(JSON.parse(value ?? ''));
  } catch {
    return undefined;
  }
}

/**
 * The modals of a conversation: Edit spec, Details, and the what-if with Compare and Use this. Each handler
 * acknowledges first; views open within the trigger's life (a loading view when the planner must answer first).
 */
export function registerModalHandlers(
  app: App,
  service: ConversationService,
  replies: Replies,
  log: Logger,
  inbox: Pick<Inbox, 'progress' | 'saveAnswer' | 'markPosted'>,
): void {
  /** A view from `produce`, "expired" when it finds nothing, an apology (logged) when it fails. */
  async function viewOf(
    title: string,
    event: string,
    context: Record<string, unknown>,
    produce: () => Promise<SlackView | undefined>,
  ): Promise<SlackView> {
    try {
      return (await produce()) ?? noticeView(title, EXPIRED);
    } catch (error) {
      return replies.failure(event, context, error).view;
    }
  }

  // In a modal the sealed private_metadata names the what-if; a button's value is whatever the request says.
  const whatIfOf = (body: Press, action: ButtonAction) => body.view?.private_metadata ?? action.value ?? '';

  app.action<Press>(ACTION.editSpec, async ({ ack, body, client }) => {
    await ack();
    await openFromThread(replies, client, body, 'slack.edit_spec_failed', (key) => service.specForm(key));
  });

  app.view(VIEW.editSpec, async ({ ack, body, view, client }) => {
    const conversationId = view.private_metadata;
    const values = stateOf(view);
    try {
      const checked = await service.checkSpecForm(conversationId, values);
      if (!checked.ok) return ack({ response_action: 'errors', errors: checked.errors });
    } catch (error) {
      const { view: sorry } = replies.failure('slack.spec_form_failed', { conversationId }, error);
      return ack({ response_action: 'update', view: replies.view(sorry, body.user.id) });
    }
    await ack();
    const key = await service.threadOf(conversationId);
    if (!key) return;
    // Like a message's turn: the answer is saved with the turn, so a submission resumed after a crash posts only the
    // replies not yet posted, and plays only when it was never answered.
    const submissionId = inboxIdOf(body as unknown as Record<string, unknown>);
    try {
      const progress = submissionId && (await retryOnConnectionLoss(() => inbox.progress(submissionId)));
      const outcome = progress
        ? progress.answer
        : await service.submitSpecForm(
            conversationId,
            values,
            body.user.id,
            submissionId ? (tx, answer) => inbox.saveAnswer(tx, submissionId, answer) : undefined,
          );
      if (outcome)
        await replies.postOutcome(
          client,
          key,
          body.user.id,
          outcome,
          submissionId
            ? {
                turn: submissionId,
                from: progress ? progress.posted : 0,
                posted: (count) => inbox.markPosted(submissionId, count),
                // A submission has no message of its own: its replies are in the thread (in a DM pane, among
                // the DM's latest messages).
                ...(progress && {
                  resumed: { afterTs: replyThreadTs(key.threadTs) ?? '0', botUserId: undefined },
                }),
              }
            : undefined,
        );
    } catch (error) {
      if (error instanceof LeaseLostError) return;
      const { message } = replies.failure('slack.spec_form_failed', { conversationId }, error);
      const target = { channel: key.channelId, user: body.user.id, threadTs: replyThreadTs(key.threadTs) };
      await replies.ephemeral(client, target, message);
    }
  });

  app.action<Press>(ACTION.details, async ({ ack, body, action, client }) => {
    await ack();
    const key = threadOfPress(body);
    if (!key) return;
    // Details repeats a prediction: open at once, fill in when it is ready.
    const opened = await client.views.open({
      trigger_id: body.trigger_id,
      view: replies.view(loadingView('Option details'), body.user.id),
    });
    const viewId = opened.view?.id;
    if (!viewId) return;
    const view = await viewOf('Option details', 'slack.details_failed', { thread: key }, async () => {
      const answer = await service.optionDetails(key, action.value);
      if (!answer) return noticeView('Option details', NO_CONVERSATION);
      return answer.ok ? answer.view : noticeView('Option details', answer.message.text);
    });
    try {
      await client.views.update({ view_id: viewId, view: replies.view(view, body.user.id) });
    } catch (error) {
      // Slack downloads an image block before it accepts the view: when it cannot reach COMPASS_PUBLIC_URL, the
      // details show without the picture (its link stays, for users who can reach it) rather than not at all.
      const pictureless = withoutImages(view);
      if (pictureless === view) throw error;
      log.warn(
        { event: 'slack.chart_image_refused', err: error },
        'Slack could not fetch the Details chart; check that COMPASS_PUBLIC_URL reaches the bot from the internet',
      );
      await client.views.update({ view_id: viewId, view: replies.view(pictureless, body.user.id) });
    }
  });

  // Post chart in thread: modals cannot show a file of their own, so the chart goes in the conversation's thread,
  // with a notice on top of the modal (a failure is told the same way).
  app.action<Press>(ACTION.postChart, async ({ ack, body, action, client }) => {
    await ack();
    const conversationId = body.view?.private_metadata ?? '';
    const optionId = action.value ?? '';
    const notice = (view: SlackView) =>
      client.views.push({ trigger_id: body.trigger_id, view: replies.view(view, body.user.id) });
    try {
      const key = await service.threadOf(conversationId);
      const chart = key && (await service.optionChart({ conversationId, optionId }));
      if (!key || !chart) {
        await notice(noticeView('Chart', key ? 'That option is no longer in the plan.' : NO_CONVERSATION));
        return;
      }
      await postChartInThread(
        client,
        { channel: key.channelId, threadTs: key.threadTs },
        {
          comment: `<@${body.user.id}> asked for the chart of ${chart.title}.`,
          png: await pngOf(chart),
          filename: 'compass-chart.png',
          title: chart.title,
        },
      );
      await notice(noticeView('Chart', 'The chart is posted in the thread.'));
    } catch (error) {
      await notice(
        replies.failure('slack.post_chart_failed', { conversationId, optionId }, error).view,
      ).catch(() => {});
    }
  });

  app.action<Press>(ACTION.whatIf, async ({ ack, body, action, client }) => {
    await ack();
    await openFromThread(replies, client, body, 'slack.what_if_failed', (key) =>
      service.startWhatIf(key, action.value),
    );
  });

  // What if… on an SLO summary or its advice: the what-if modal on the deployed option, then the advice's changes
  // predicted in place, as if typed into the modal and updated.
  app.action<Press>(MONITOR_ACTION.whatIf, async ({ ack, body, action, client }) => {
    await ack();
    const prefill = prefillOf(action.value);
    if (!prefill) return;
    let whatIfId: string | undefined;
    const viewId = await openFromThread(replies, client, body, 'slack.slo_what_if_failed', async (key) => {
      const answer = await service.startWhatIf(key, prefill.optionId);
      if (answer?.ok) whatIfId = answer.view.private_metadata;
      return answer;
    });
    const id = whatIfId;
    if (!viewId || !id || Object.keys(prefill.overrides).length === 0) return;
    const view = await viewOf('What if…', 'slack.slo_what_if_failed', { whatIfId: id }, () =>
      service.runWhatIf(id, prefill.overrides),
    );
    await client.views.update({ view_id: viewId, view: replies.view(view, body.user.id) });
  });

  // Update: check at once (errors stay in the modal), show "Predicting…", then the prediction in place.
  app.view(VIEW.whatIf, async ({ ack, body, view, client }) => {
    const whatIfId = view.private_metadata;
    let checked: WhatIfCheck | undefined;
    try {
      checked = await service.checkWhatIf(whatIfId, stateOf(view));
    } catch (error) {
      const { view: sorry } = replies.failure('slack.what_if_failed', { whatIfId }, error);
      return ack({ response_action: 'update', view: replies.view(sorry, body.user.id) });
    }
    if (!checked)
      return ack({
        response_action: 'update',
        view: replies.view(noticeView('What if…', EXPIRED), body.user.id),
      });
    if (!checked.ok) return ack({ response_action: 'errors', errors: checked.errors });
    await ack({ response_action: 'update', view: replies.view(checked.loading, body.user.id) });
    const overrides = checked.overrides;
    const updated = await viewOf('What if…', 'slack.what_if_failed', { whatIfId }, () =>
      service.runWhatIf(whatIfId, overrides),
    );
    await client.views.update({ view_id: view.id, view: replies.view(updated, body.user.id) });
  });

  app.action<Press>(ACTION.compareScenario, async ({ ack, body, action, client }) => {
    await ack();
    const whatIfId = whatIfOf(body, action);
    const view = await viewOf('Compare', 'slack.compare_failed', { whatIfId }, () =>
      service.compareWhatIf(whatIfId),
    );
    await client.views.push({ trigger_id: body.trigger_id, view: replies.view(view, body.user.id) });
  });

  app.action<Press>(ACTION.useScenario, async ({ ack, body, action, client }) => {
    await ack();
    const whatIfId = whatIfOf(body, action);
    const viewId = body.view?.id;
    if (!viewId) return;
    let used: Awaited<ReturnType<ConversationService['useWhatIf']>>;
    const view = await viewOf('What if…', 'slack.use_scenario_failed', { whatIfId }, async () => {
      used = await service.useWhatIf(whatIfId, body.user.id);
      return used?.view;
    });
    await client.views.update({ view_id: viewId, view: replies.view(view, body.user.id) });
    if (used?.key && used.outcome) await replies.postOutcome(client, used.key, body.user.id, used.outcome);
  });
}
