/**
 * The server's one authenticator, shared by the hubs (negotiate and transports) and the REST
 * routes: JWT bearer tokens from the Authorization header or the `access_token` query.
 * @module
 */
import { createJwtAuthenticator, type Authenticator, type Principal } from 'hubwire';
import type { ServerConfig } from '../config.js';

/** Verifies bearer tokens as `config.jwt` says (HS256 secret or JWKS URL, issuer, audience, claims). */
export function createAuthenticator(jwt: ServerConfig['jwt']): Authenticator {
  return createJwtAuthenticator({
    ...(jwt.secret !== undefined ? { secret: jwt.secret } : { jwksUrl: jwt.jwksUrl }),
    issuer: jwt.issuer === '' ? undefined : jwt.issuer,
    audience: jwt.audience === '' ? undefined : jwt.audience,
    userIdClaim: jwt.userIdClaim,
    rolesClaim: jwt.rolesClaim,
    clockTolerance: 5,
  });
}

/**
 * The organization ids of a user, from the configured claim (an array of ids or a single id).
 *
 * @example
 * ```ts
 * if (!organizationsOf(this.context.user, config.jwt).includes(orgId)) throw new HubError('Not a member.');
 * ```
 */
export function organizationsOf(user: Principal | undefined, jwt: Pick<ServerConfig['jwt'], 'organizationsClaim'>): string[] {
  const value = user?.claims[jwt.organizationsClaim];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((id): id is string => typeof id === 'string');
  return [];
}
