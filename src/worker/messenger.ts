import type { webApi } from '@slack/bolt';
import type { ThreadMessenger } from './runner.js';
import { deployStatusBlocks } from './status-blocks.js';

/** The deploy's status message and notes in its Slack thread, through the Web API. */
export function slackThreadMessenger(client: webApi.WebClient): ThreadMessenger {
  return {
    async post(thread, deploy, progress) {
      const message = deployStatusBlocks(deploy, progress);
      const posted = await client.chat.postMessage({
        channel: thread.channel,
        thread_ts: thread.threadTs,
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
      await client.chat.postMessage({ channel: thread.channel, thread_ts: thread.threadTs, text });
    },
  };
}
