import type { AnyMiddlewareArgs, Middleware, webApi } from '@slack/bolt';
import { replyThreadTs } from '../conversation/schema.js';
import type { ConversationService } from '../conversation/service.js';
import type { Logger } from '../log/index.js';
import { ACTION } from './blocks/actions.js';
import { retiredPlanBlocks, stalePressBlocks } from './blocks/dialogue.js';
import type { Press } from './modals.js';
import { threadOfPress } from './modals.js';
import type { Replies } from './replies.js';

/** The buttons of one option; on an older plan they would act on options that no longer stand. */
const OPTION_ACTIONS = new Set<string>([ACTION.details, ACTION.whatIf, ACTION.requestDeploy]);

/** The message's link, or undefined when Slack will not give it (the pointer then names the plan without a link). */
async function permalink(client: webApi.WebClient, channel: string, ts: string): Promise<string | undefined> {
  try {
    return (await client.chat.getPermalink({ channel, message_ts: ts })).permalink;
  } catch {
    return undefined;
  }
}

/**
 * Before any option button's handler: a press on an older plan message (the plan is edited in place since) is
 * answered, to the presser only, with a pointer to the current plan, and the old message loses its buttons. Other
 * presses, and any press when the store cannot say, go on to their handlers.
 */
export function staleOptionGuard(
  service: Pick<ConversationService, 'stalePlanPress'>,
  replies: Pick<Replies, 'ephemeral' | 'update'>,
  log: Logger,
): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const body = args.body as Partial<Press> & { type?: string };
    const action = body.actions?.[0] as { action_id?: string; value?: string } | undefined;
    const message = body.message as
      | { ts?: string; text?: string; blocks?: Record<string, unknown>[] }
      | undefined;
    if (body.type !== 'block_actions' || !message?.ts || !OPTION_ACTIONS.has(action?.action_id ?? ''))
      return args.next();
    const key = threadOfPress(body as Press);
    if (!key) return args.next();
    let planTs: string | undefined;
    try {
      planTs = await service.stalePlanPress(key, message.ts, action?.value);
    } catch (error) {
      log.warn(
        { event: 'slack.stale_check_failed', thread: key, err: error },
        'cannot tell whether a plan is current',
      );
      return args.next();
    }
    if (!planTs) return args.next();
    const client = (args as unknown as { client: webApi.WebClient }).client;
    const link = await permalink(client, key.channelId, planTs);
    const target = {
      channel: key.channelId,
      user: body.user?.id ?? '',
      threadTs: replyThreadTs(key.threadTs),
    };
    await replies.ephemeral(client, target, stalePressBlocks(link));
    if (message.blocks)
      await replies.update(
        client,
        { channel: key.channelId, ts: message.ts },
        retiredPlanBlocks(message, link),
        {
          thread: key,
          message: 'older plan',
        },
      );
  };
}
