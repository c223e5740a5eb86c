import { describe, expect, it } from 'vitest';
import { fakeToken } from '../test/tokens';
import { decodeJwtPayload, stringList } from './jwt';
import { clearSession, hasRole, loadSession, saveSession, sessionFromToken } from './session';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const inAnHour = Math.floor(NOW / 1000) + 3600;

describe('decodeJwtPayload', () => {
  it('reads the payload of a JWT, UTF-8 included', () => {
    expect(decodeJwtPayload(fakeToken({ sub: 'jane', name: 'Chloé Müller' }))).toEqual({ sub: 'jane', name: 'Chloé Müller' });
  });

  it('is undefined for what is not a JWT with an object payload', () => {
    for (const token of ['', 'abc', 'a.b', 'a..c', 'a.!!!.c', 'x.WzEsMl0.y', 'x.bm90IGpzb24.y', 'a.b.c.d']) {
      expect(decodeJwtPayload(token), token).toBeUndefined();
    }
  });

  it('lists a claim that is a string or an array of strings', () => {
    expect(stringList('admin')).toEqual(['admin']);
    expect(stringList(['a', 2, 'b'])).toEqual(['a', 'b']);
    expect(stringList('')).toEqual([]);
    expect(stringList(undefined)).toEqual([]);
  });
});

describe('sessionFromToken', () => {
  it('takes the user id, name, roles and organizations of the demo tokens', () => {
    const token = fakeToken({ sub: 'jane.smith', name: 'Jane Smith', role: ['member'], orgs: ['acme'], exp: inAnHour });
    expect(sessionFromToken(token, NOW)).toEqual({
      token,
      user: { id: 'jane.smith', name: 'Jane Smith', roles: ['member'], organizations: ['acme'] },
      expiresAt: inAnHour * 1000,
    });
  });

  it('reads a single role, a "roles" claim, and falls back to the id for the name', () => {
    const session = sessionFromToken(fakeToken({ sub: 'ops', role: 'admin', roles: ['admin', 'auditor'] }), NOW);
    expect(session?.user).toEqual({ id: 'ops', name: 'ops', roles: ['admin', 'auditor'], organizations: [] });
    expect(session?.expiresAt).toBeUndefined();
  });

  it('refuses an expired token and one that names nobody', () => {
    expect(sessionFromToken(fakeToken({ sub: 'jane', exp: Math.floor(NOW / 1000) }), NOW)).toBeUndefined();
    expect(sessionFromToken(fakeToken({ name: 'Nobody', exp: inAnHour }), NOW)).toBeUndefined();
    expect(sessionFromToken('not-a-token', NOW)).toBeUndefined();
  });

  it('answers roles', () => {
    const admin = sessionFromToken(fakeToken({ sub: 'admin', role: ['admin'] }), NOW);
    expect(hasRole(admin, 'admin')).toBe(true);
    expect(hasRole(admin, 'member')).toBe(false);
    expect(hasRole(undefined, 'admin')).toBe(false);
  });
});

describe('the stored session', () => {
  it('survives a reload of the tab while the token is valid, and is gone after clearSession', () => {
    const session = sessionFromToken(fakeToken({ sub: 'jane', exp: inAnHour }), NOW)!;
    saveSession(session);
    expect(loadSession(sessionStorage, NOW)).toEqual(session);
    clearSession();
    expect(loadSession(sessionStorage, NOW)).toBeUndefined();
  });

  it('drops a stored token once it has expired', () => {
    saveSession(sessionFromToken(fakeToken({ sub: 'jane', exp: inAnHour }), NOW)!);
    expect(loadSession(sessionStorage, inAnHour * 1000 + 1)).toBeUndefined();
    expect(sessionStorage.length).toBe(0);
  });
});
