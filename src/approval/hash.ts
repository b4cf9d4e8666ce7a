import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level, so equal data always gives the same text (jsonb reorders keys). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, current: unknown) =>
    current !== null && typeof current === 'object' && !Array.isArray(current)
      ? Object.fromEntries(
          Object.entries(current as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : current,
  );
}

/** What an approval approves: the sha256 of the exact spec and option, hex. */
export function approvalHash(spec: unknown, option: unknown): string {
  return createHash('sha256').update(canonicalJson({ option, spec })).digest('hex');
}
