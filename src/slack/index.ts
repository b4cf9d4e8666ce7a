// The Slack surface: Bolt wiring (Socket Mode or HTTP), thin handlers (messages, modals, approvals), and the pure
// Block Kit builders in blocks/.
export type { SlackBot } from './app.js';
export { boltLogger, EVENTS_PATH, SlackAuthError, SlackUnreachableError, startSlackBot } from './app.js';
export { APPROVALS_OFF, registerApprovalHandlers } from './approvals.js';
export { readThread, userText, withThreadContext } from './context.js';
export { createHandlerDeps } from './deps.js';
export type { HandlerDeps } from './handlers.js';
export { parseCommand, registerHandlers } from './handlers.js';
export { NO_CONVERSATION, openFromThread, registerModalHandlers, threadOfPress } from './modals.js';
export type { Replies } from './replies.js';
export { createReplies } from './replies.js';
