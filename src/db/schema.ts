// Every table of every capability, in one place for drizzle-kit and the typed client.

export * from '../approval/tables.js';
export * from '../conversation/tables.js';
export * from '../inbox/tables.js';
export * from '../knowledge/tables.js';
export * from '../monitor/tables.js';
export * from '../worker/tables.js';
