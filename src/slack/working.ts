import type { webApi } from '@slack/bolt';
import type { Logger } from '../log/index.js';

/** After this long without an answer, the message being answered shows that Compass is on it. */
export const WORKING_AFTER_MS = 1000;
/** The reaction that says so: no message is posted, so a slow turn adds nothing to the thread. */
export const WORKING_REACTION = 'hourglass_flowing_sand';

export interface WorkingIndicator {
  /** Takes the reaction off again (if it was put on); never throws. */
  stop(): Promise<void>;
}

/**
 * Puts WORKING_REACTION on the message `ts` once `afterMs` pass, until stopped. Reactions need the reactions:write
 * scope; without it (or on any other refusal) the turn goes on unmarked, with a debug line.
 */
export function showWorking(
  client: webApi.WebClient,
  message: { channel: string; ts: string },
  log: Logger,
  afterMs = WORKING_AFTER_MS,
): WorkingIndicator {
  const target = { channel: message.channel, timestamp: message.ts, name: WORKING_REACTION };
  const refused = (action: string) => (error: unknown) => {
    log.debug({ event: 'slack.reaction_refused', action, ...message, err: error }, 'reaction refused');
    return false;
  };
  let added: Promise<boolean> | undefined;
  const timer = setTimeout(() => {
    added = client.reactions.add(target).then(() => true, refused('add'));
  }, afterMs);
  return {
    async stop() {
      clearTimeout(timer);
      if (added && (await added)) await client.reactions.remove(target).catch(refused('remove'));
    },
  };
}
