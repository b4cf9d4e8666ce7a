import { bigserial, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { deploys } from '../approval/tables.js';
import { now } from '../db/columns.js';
import type { KubeObject } from '../kube/index.js';
import type { DeployAction } from './queue.js';

/** Every set of objects applied to a target (context/namespace/name), numbered per target: what Roll back re-applies. */
export const deployRevisions = pgTable(
  'deploy_revisions',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    target: text().notNull(),
    number: integer().notNull(),
    deployId: uuid()
      .notNull()
      .references(() => deploys.id),
    action: text().$type<DeployAction>().notNull(),
    objects: jsonb().$type<KubeObject[]>().notNull(),
    appliedAt: now(),
  },
  (table) => [uniqueIndex('deploy_revisions_target_number_idx').on(table.target, table.number)],
);

/** One job per target at a time: the holder is the job id, which takes the lock again when its job is re-run. */
export const deployLocks = pgTable('deploy_locks', {
  target: text().primaryKey(),
  holder: text().notNull(),
  acquiredAt: now(),
});
