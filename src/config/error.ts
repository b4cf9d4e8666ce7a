/**
 * Settings that stop Compass, every one listed. The first line already names the first thing to fix (scripts and
 * log lines often show only that line); the others follow one per line.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    const [first, ...rest] = problems;
    const more = rest.length === 0 ? '' : ` (and ${rest.length} more below)`;
    super([`Compass needs these settings fixed: ${first}${more}`, ...rest.map((p) => `  - ${p}`)].join('\n'));
    this.name = 'ConfigError';
  }
}
