import { describe, expect, it } from 'vitest';
import { connectionOutage, isUnreachable, redactedTarget } from '../../src/log/index.js';
import { capturedLogger } from '../support/log.js';

const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:6379'), { code: 'ECONNREFUSED' });

describe('connection outages', () => {
  it('logs the first failure of an outage without its stack, nothing more until recovery, then one line', () => {
    const { log, lines } = capturedLogger();
    let now = 1_000;
    const outage = connectionOutage(log, 'Redis', 'redis://10.0.0.5:6379', () => now);
    for (let i = 0; i < 50; i++) outage.failed(refused());
    expect(outage.down()).toBe(true);
    now = 31_000;
    outage.recovered();
    outage.recovered();
    outage.failed(refused());
    expect(lines().map(({ event, downMs, failures }) => ({ event, downMs, failures }))).toEqual([
      { event: 'connection.lost', downMs: undefined, failures: undefined },
      { event: 'connection.recovered', downMs: 30_000, failures: 50 },
      { event: 'connection.lost', downMs: undefined, failures: undefined },
    ]);
    expect(JSON.stringify(lines())).not.toContain('stack');
  });

  it('keeps credentials, path and query out of the target it logs', () => {
    expect(redactedTarget('redis://default:hunter2@cache.internal:6380/2?tls=1')).toBe(
      'redis://cache.internal:6380',
    );
    expect(redactedTarget('postgres://compass:pw@db:5432/compass')).toBe('postgres://db:5432');
    expect(redactedTarget('not a url with secret')).toBe('[unparseable URL]');
  });

  it('tells a server that cannot be reached from one that answered with an error', () => {
    expect(isUnreachable(refused())).toBe(true);
    expect(isUnreachable(new TypeError('fetch failed', { cause: refused() }))).toBe(true);
    expect(
      isUnreachable(Object.assign(new Error('getaddrinfo ENOTFOUND slack.com'), { code: 'ENOTFOUND' })),
    ).toBe(true);
    expect(isUnreachable(new Error('An API error occurred: invalid_auth'))).toBe(false);
    expect(isUnreachable(new Error('NOAUTH Authentication required.'))).toBe(false);
    expect(isUnreachable('ECONNREFUSED')).toBe(false);
  });
});
