/**
 * Issuing demo tokens: HS256 JWTs signed with the configured secret, carrying the user id,
 * roles and organizations under the configured claim names, so the server's own authenticator
 * (and any other service sharing the secret) accepts them.
 * @module
 */
import { SignJWT } from 'jose';
import type { Clock } from 'hubwire';
import type { ServerConfig } from '../config.js';
import type { DemoUser } from './demo-users.js';

/** A signed token and how long it lives. */
export interface IssuedToken {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  readonly expiresIn: number;
  readonly expiresAt: string;
}

/** Signs tokens for demo users. */
export type TokenIssuer = (user: DemoUser) => Promise<IssuedToken>;

/** A {@link TokenIssuer} for `config.jwt` (needs `jwt.secret`). */
export function createTokenIssuer(jwt: ServerConfig['jwt'], clock: Clock): TokenIssuer {
  if (jwt.secret === undefined) throw new Error('Demo tokens need jwt.secret.');
  const key = new TextEncoder().encode(jwt.secret);
  return async (user) => {
    const issuedAt = Math.floor(clock.now() / 1000);
    const expiresAt = issuedAt + jwt.tokenLifetimeSeconds;
    const claims: Record<string, unknown> = {
      name: user.displayName,
      [jwt.rolesClaim]: [...user.roles],
      [jwt.organizationsClaim]: [...user.organizations],
      [jwt.userIdClaim]: user.username,
    };
    let token = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt(issuedAt).setExpirationTime(expiresAt);
    if (jwt.userIdClaim === 'sub') token = token.setSubject(user.username);
    if (jwt.issuer !== '') token = token.setIssuer(jwt.issuer);
    if (jwt.audience !== '') token = token.setAudience(jwt.audience);
    return {
      accessToken: await token.sign(key),
      tokenType: 'Bearer',
      expiresIn: jwt.tokenLifetimeSeconds,
      expiresAt: new Date(expiresAt * 1000).toISOString(),
    };
  };
}
