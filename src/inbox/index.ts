// The bot's durable turns: Slack events recorded before their acknowledgement and resumed after a crash.
export type { Dispatch, Inbox, InboxSettings } from './runner.js';
export { createInbox, INBOX_DEFAULTS } from './runner.js';
export type { HeldEvent, InboxStore } from './store.js';
export { createInboxStore, LeaseLostError } from './store.js';
export type { InboxAnswer } from './tables.js';
