import { describe, expect, it } from 'vitest';
import { CONTEXT_CHARS, earlierSaid, withThreadContext } from '../../src/slack/context.js';

describe('a thread as a mention’s context (pure)', () => {
  it('keeps people’s messages before the mention, oldest first, without the bot’s posts or its mention', () => {
    const said = earlierSaid(
      [
        { ts: '10.1', user: 'U0BOB', text: 'chatbot for *2000* agents' },
        { ts: '10.2', user: 'U0COMPASS', bot_id: 'B0COMPASS', text: 'What will the model do?' },
        { ts: '10.3', user: 'U0CAROL', text: 'edited', subtype: 'message_changed' },
        { ts: '10.4', user: 'U0CAROL', text: 'also shared to the channel', subtype: 'thread_broadcast' },
        { ts: '10.5', user: 'U0CAROL', text: '<@U0COMPASS>' },
        { ts: '10.6', user: 'U0ADA', text: '<@U0COMPASS> plan this' },
        { ts: '10.7', user: 'U0BOB', text: 'after the mention' },
      ],
      '10.6',
      'U0COMPASS',
    );
    expect(said).toEqual(['chatbot for 2000 agents', 'also shared to the channel']);
  });

  it('puts the parent first, the newest earlier messages that fit, then the mention', () => {
    const long = 'x'.repeat(CONTEXT_CHARS / 2);
    const text = withThreadContext(
      ['parent says 2000 users', long, long, 'latest: p95 under 1 s'],
      'plan it',
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe('parent says 2000 users');
    expect(lines.at(-1)).toBe('plan it');
    expect(lines.at(-2)).toBe('latest: p95 under 1 s');
    // The oldest long message no longer fits.
    expect(lines).toHaveLength(4);
    expect(text.length).toBeLessThanOrEqual(CONTEXT_CHARS + 'plan it'.length + 4);
  });

  it('a mention with nothing before it is itself; a huge parent is clipped', () => {
    expect(withThreadContext([], 'chatbot for 10 users')).toBe('chatbot for 10 users');
    const text = withThreadContext(['y'.repeat(CONTEXT_CHARS * 3)], 'plan it');
    expect(text).toBe(`${'y'.repeat(CONTEXT_CHARS)}\nplan it`);
  });
});
