// The bot's durable turns: Slack events recorded before their acknowledgement and resumed after a crash.
export type { Dispatch, Inbox, InboxSettings } from './runner.js';
export { createInbox, INBOX_DEFAULTS, inboxIdOf } from './runner.js';
export type { Arrival, Claim, HeldEvent, InboxStore } from './store.js';
export { createInboxStore, LeaseLostError } from './store.js';
export type { InboxAnswer } from './tables.js';
