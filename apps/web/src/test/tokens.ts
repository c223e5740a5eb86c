/**
 * Tokens for the component tests: JWT-shaped (header.payload.signature) with the claims given.
 * The signature is fake — the app never checks it, the server does.
 * @module
 */
import { sessionFromToken, type Session } from '../auth/session';

const base64Url = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** A token carrying `claims`. */
export function fakeToken(claims: Record<string, unknown>): string {
  return `${base64Url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64Url(JSON.stringify(claims))}.c2lnbmF0dXJl`;
}

/** A session of a demo-like user, valid for an hour. */
export function fakeSession(user: { sub: string; name?: string; role?: string | string[]; orgs?: string[] }): Session {
  const session = sessionFromToken(fakeToken({ exp: Math.floor(Date.now() / 1000) + 3600, ...user }));
  if (session === undefined) throw new Error('fakeSession: the token does not read back');
  return session;
}
