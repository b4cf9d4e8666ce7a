import type { webApi } from '@slack/bolt';
import { replyThreadTs } from '../conversation/schema.js';
import type { ThreadMessenger } from './runner.js';
import { deployStatusBlocks } from './status-blocks.js';

/** A conversation's thread as chat.postMessage takes it: none for a DM's own conversation. */
const inThread = (threadTs: string) => {
  const thread = replyThreadTs(threadTs);
  return thread ? { thread_ts: thread } : {};
};

/** The deploy's status message and notes in its Slack thread, through the Web API. */
export function slackThreadMessenger(client: webApi.WebClient): ThreadMessenger {
  return {
    async post(thread, deploy, progress) {
      const message = deployStatusBlocks(deploy, progress);
      const posted = await client.chat.postMessage({
        channel: thread.channel,
        ...inThread(thread.threadTs),
        text: message.text,
        blocks: message.blocks,
      });
      if (!posted.ts) throw new Error('chat.postMessage answered without a ts');
      return posted.ts;
    },
    async update(deploy, progress) {
      const message = deployStatusBlocks(deploy, progress);
      await client.chat.update({
        channel: deploy.thread.channel,
        ts: deploy.statusTs,
        text: message.text,
        blocks: message.blocks,
      });
    },
    async note(thread, text) {
      await client.chat.postMessage({ channel: thread.channel, ...inThread(thread.threadTs), text });
    },
  };
}
