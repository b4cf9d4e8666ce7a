import { createMigratedTemplate, MIGRATED_TEMPLATE_VARIABLE } from './postgres.js';

/**
 * Once per run, before any test worker starts (workers inherit this environment): the migrated template database that
 * `createTestDatabase({ migrated: true })` copies. Dropped when the run ends.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const template = await createMigratedTemplate();
  process.env[MIGRATED_TEMPLATE_VARIABLE] = template.name;
  return () => template.drop();
}
