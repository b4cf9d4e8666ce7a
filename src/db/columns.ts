import { timestamp } from 'drizzle-orm/pg-core';

/** A timestamptz column set when the row is written: every table's created/updated/at column. */
export const now = () => timestamp({ withTimezone: true }).defaultNow().notNull();
