import { describe, expect, it } from 'vitest';
import { foreignTo, fromTheFuture, viewSeal } from '../../src/slack/trust.js';

const NOW = Date.UTC(2026, 0, 5, 12, 0, 0);
const at = (offsetS: number) => String(Math.floor(NOW / 1000) + offsetS);

describe('fromTheFuture', () => {
  it('flags timestamps more than 5 minutes ahead, never past ones or garbage (the signature check owns those)', () => {
    expect(fromTheFuture(at(301), NOW)).toBe(true);
    expect(fromTheFuture(at(300), NOW)).toBe(false);
    expect(fromTheFuture(at(-3600), NOW)).toBe(false);
    expect(fromTheFuture(undefined, NOW)).toBe(false);
    expect(fromTheFuture('soon', NOW)).toBe(false);
  });
});

describe('foreignTo', () => {
  const workspace = { teamId: 'T1', enterpriseInstall: false };
  it('accepts the installation’s team wherever the body carries it', () => {
    expect(foreignTo(workspace, { team_id: 'T1' })).toBeUndefined();
    expect(foreignTo(workspace, { team: { id: 'T1' } })).toBeUndefined();
    expect(foreignTo(workspace, { user: { team_id: 'T1' } })).toBeUndefined();
  });
  it('names another team, a missing one, or another organization', () => {
    expect(foreignTo(workspace, { team_id: 'T2' })).toBe('team T2');
    expect(foreignTo(workspace, {})).toBe('team none');
    expect(foreignTo({ ...workspace, enterpriseId: 'E1' }, { team_id: 'T1', enterprise_id: 'E2' })).toBe(
      'organization E2',
    );
  });
  it('for an org-wide install, checks the organization, not the workspace', () => {
    const org = { teamId: '', enterpriseId: 'E1', enterpriseInstall: true };
    expect(foreignTo(org, { team_id: 'T9', enterprise: { id: 'E1' } })).toBeUndefined();
    expect(foreignTo(org, { team_id: 'T9', enterprise_id: 'E2' })).toBe('organization E2');
  });
});

describe('viewSeal', () => {
  const view = {
    type: 'modal' as const,
    callback_id: 'x',
    title: { type: 'plain_text' as const, text: 'X' },
    blocks: [],
  };
  it('gives back the metadata to the user it was sealed for, and nothing to anyone else', () => {
    const seal = viewSeal('8f742231b10e8888abcd99yyyzzz85a5');
    const sealed = seal.seal({ ...view, private_metadata: 'conversation-1' }, 'U1').private_metadata;
    expect(sealed).not.toContain('conversation-1');
    expect(seal.open(sealed, 'U1')).toEqual({ ok: true, metadata: 'conversation-1' });
    expect(seal.open(sealed, 'U2')).toEqual({ ok: false, reason: 'opened for U1, submitted by U2' });
    expect(seal.open(seal.seal(view, 'U1').private_metadata, 'U1')).toEqual({ ok: true, metadata: '' });
  });
  it('refuses altered, unsealed or foreign-keyed metadata', () => {
    const seal = viewSeal('8f742231b10e8888abcd99yyyzzz85a5');
    const sealed = seal.seal({ ...view, private_metadata: 'conversation-1' }, 'U1').private_metadata!;
    const [data, mac] = sealed.split('.');
    const forged = Buffer.from(JSON.stringify({ u: 'U1', m: 'conversation-2' })).toString('base64url');
    for (const bad of [`${forged}.${mac}`, 'conversation-2', '', undefined, `${data}.${mac}.x`])
      expect(seal.open(bad, 'U1')).toMatchObject({ ok: false });
    expect(viewSeal('another-signing-secret-entirely').open(sealed, 'U1')).toMatchObject({ ok: false });
  });
});
