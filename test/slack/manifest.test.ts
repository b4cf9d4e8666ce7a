import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';
import { EVENTS_PATH } from '../../src/slack/app.js';

const manifest = readFileSync(join(packageRoot, 'slack-app-manifest.yaml'), 'utf8');
/** The items of a YAML list under `key` (as the manifest writes them: one `- item` per line). */
const listUnder = (key: string) => {
  const lines = manifest.split('\n');
  const start = lines.findIndex((line) => line.trim() === `${key}:`);
  const items: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const item = /^\s+- (\S+)$/.exec(line);
    if (!item) break;
    items.push(item[1]!);
  }
  return items;
};

describe('Slack app manifest', () => {
  it('subscribes to every event the handlers listen to, with the scopes they need (approver groups, benchmark charts too)', () => {
    expect(listUnder('bot_events').sort()).toEqual(
      [
        'app_home_opened',
        'app_mention',
        'member_joined_channel',
        'message.channels',
        'message.groups',
        'message.im',
        'message.mpim',
      ].sort(),
    );
    expect(listUnder('bot').sort()).toEqual(
      [
        'app_mentions:read',
        'channels:read',
        'groups:read',
        'channels:history',
        'groups:history',
        'im:history',
        'mpim:history',
        'chat:write',
        'commands',
        'usergroups:read',
        'files:write',
        'reactions:write',
      ].sort(),
    );
  });

  it('declares the slash command, interactivity for the buttons, DMs, the Home tab and Socket Mode', () => {
    expect(manifest).toMatch(/- command: \/compass\n/);
    expect(manifest).toMatch(/interactivity:\n\s+is_enabled: true/);
    expect(manifest).toMatch(/messages_tab_enabled: true\n\s+messages_tab_read_only_enabled: false/);
    expect(manifest).toMatch(/app_home:\n\s+home_tab_enabled: true/);
    expect(manifest).toMatch(/socket_mode_enabled: true/);
  });

  it('points every HTTP request URL at the bot’s events path', () => {
    const urls = [...manifest.matchAll(/(?:url|request_url): (\S+)/g)].map(
      (match) => new URL(match[1]!).pathname,
    );
    expect(urls).toHaveLength(3);
    expect(new Set(urls)).toEqual(new Set([EVENTS_PATH]));
  });
});
