import { describe, expect, it } from 'vitest';
import { isConnectionLost, retryOnConnectionLoss } from '../../src/db/connection.js';
import { turnFailureBlocks } from '../../src/slack/blocks/dialogue.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isConnectionLost', () => {
  it('knows a dropped connection by SQLSTATE, socket code or pg’s message, also as a cause (drizzle wraps)', () => {
    expect(isConnectionLost(withCode('terminating connection due to administrator command', '57P01'))).toBe(
      true,
    );
    expect(isConnectionLost(withCode('the database system is starting up', '57P03'))).toBe(true);
    expect(isConnectionLost(withCode('connection failure', '08006'))).toBe(true);
    expect(isConnectionLost(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBe(true);
    expect(isConnectionLost(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(
      isConnectionLost(
        new Error('Failed query: select 1', { cause: new Error('Client was closed and is not queryable') }),
      ),
    ).toBe(true);
  });

  it('leaves every other failure alone: a constraint, a bug, a non-error', () => {
    expect(isConnectionLost(withCode('duplicate key value violates unique constraint', '23505'))).toBe(false);
    expect(isConnectionLost(withCode('canceling statement due to statement timeout', '57014'))).toBe(false);
    expect(isConnectionLost(new TypeError('cannot read properties of undefined'))).toBe(false);
    expect(isConnectionLost('Connection terminated')).toBe(false);
  });
});

describe('retryOnConnectionLoss', () => {
  it('runs the work once more after a lost connection, and only once', async () => {
    let calls = 0;
    const lost = () => {
      calls += 1;
      return Promise.reject(new Error('Connection terminated unexpectedly'));
    };
    await expect(retryOnConnectionLoss(lost)).rejects.toThrow(/Connection terminated/);
    expect(calls).toBe(2);
    calls = 0;
    const recovers = () => (++calls === 1 ? lost() : Promise.resolve('saved'));
    await expect(retryOnConnectionLoss(recovers)).resolves.toBe('saved');
  });

  it('retries after each delay it is given, and tells each retried loss', async () => {
    let calls = 0;
    const heard: unknown[] = [];
    const recoversThirdTime = () =>
      ++calls < 3
        ? Promise.reject(new Error('Connection terminated unexpectedly'))
        : Promise.resolve('saved');
    await expect(
      retryOnConnectionLoss(recoversThirdTime, {
        delaysMs: [1, 1, 1],
        onRetry: (error) => heard.push(error),
      }),
    ).resolves.toBe('saved');
    expect(calls).toBe(3);
    expect(heard).toHaveLength(2);
    calls = 0;
    await expect(retryOnConnectionLoss(recoversThirdTime, { delaysMs: [1] })).rejects.toThrow(/terminated/);
    expect(calls).toBe(2);
  });

  it('does not retry other failures', async () => {
    let calls = 0;
    const broken = async () => {
      calls += 1;
      throw withCode('duplicate key', '23505');
    };
    await expect(retryOnConnectionLoss(broken)).rejects.toThrow(/duplicate key/);
    expect(calls).toBe(1);
  });
});

describe('turnFailureBlocks', () => {
  it('asks to try again when the connection was lost, and says sorry otherwise, both with the log reference', () => {
    const lost = turnFailureBlocks(new Error('Connection terminated unexpectedly'), 'ab12cd34');
    expect(lost.text).toMatch(/^I lost my connection to the database .*ab12cd34.*nothing was saved/);
    const other = turnFailureBlocks(new Error('a bug'), 'ab12cd34');
    expect(other.text).toMatch(/^Sorry, something went wrong on my side \(reference ab12cd34\)/);
  });
});
