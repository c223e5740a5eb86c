/**
 * JWT bearer authentication with `jose`: HS256-style shared secrets or a JWKS, with issuer and
 * audience checks and configurable claims for the user id and roles.
 * @module
 */
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Principal } from '../connections/http-connection.js';
import { HubwireError } from '../core/errors.js';
import type { Authenticator } from '../hubs/hub-options.js';
import { bearerToken } from './bearer-token.js';

/** Options of {@link createJwtAuthenticator}; give exactly one of `secret`, `jwks`, `jwksUrl`. */
export interface JwtAuthenticatorOptions {
  /** A shared secret for HMAC algorithms (HS256, HS384, HS512). */
  secret?: string | Uint8Array;
  /** A JSON Web Key Set held in memory. */
  jwks?: JSONWebKeySet;
  /** The URL of a JSON Web Key Set (fetched and cached by jose). */
  jwksUrl?: string;
  /** Required `iss`. */
  issuer?: string | string[];
  /** Required `aud`. */
  audience?: string | string[];
  /** Accepted algorithms. Default: HS256 for a secret, RS256/ES256/PS256/EdDSA for keys. */
  algorithms?: string[];
  /** The claim that becomes `userIdentifier`. Default `sub`. */
  userIdClaim?: string;
  /** The claim holding roles (a string or an array of strings). Default `role`. */
  rolesClaim?: string;
  /** Seconds of clock skew tolerated on `exp`/`nbf`. Default 0. */
  clockTolerance?: number;
  /** The query parameter browsers put the token in. Default `access_token`. */
  queryParameter?: string;
}

function keyFor(options: JwtAuthenticatorOptions): { key: Uint8Array | JWTVerifyGetKey; algorithms: string[] } {
  const sources = [options.secret, options.jwks, options.jwksUrl].filter((source) => source !== undefined);
  if (sources.length !== 1) {
    throw new HubwireError('HUB_ERR_INVALID_OPTION', 'A JWT authenticator needs exactly one of secret, jwks or jwksUrl.');
  }
  if (options.secret !== undefined) {
    const key = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
    if (key.length < 32) throw new HubwireError('HUB_ERR_INVALID_OPTION', 'A JWT secret must be at least 32 bytes long.');
    return { key, algorithms: options.algorithms ?? ['HS256'] };
  }
  const algorithms = options.algorithms ?? ['RS256', 'ES256', 'PS256', 'EdDSA'];
  if (options.jwks !== undefined) return { key: createLocalJWKSet(options.jwks), algorithms };
  return { key: createRemoteJWKSet(new URL(options.jwksUrl!)), algorithms };
}

function rolesOf(payload: JWTPayload, claim: string): string[] {
  const value = payload[claim];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((role): role is string => typeof role === 'string');
  return [];
}

/**
 * An {@link Authenticator} that verifies JWT bearer tokens. A request without a token is
 * anonymous; a token that fails verification (signature, expiry, issuer, audience) refuses the
 * request with 401.
 *
 * @example
 * ```ts
 * const hubwire = createHubServer({
 *   authenticate: createJwtAuthenticator({ secret: process.env.JWT_SECRET!, issuer: 'hubwire', audience: 'hubwire-clients' }),
 * });
 * ```
 */
export function createJwtAuthenticator(options: JwtAuthenticatorOptions): Authenticator {
  const { key, algorithms } = keyFor(options);
  const userIdClaim = options.userIdClaim ?? 'sub';
  const rolesClaim = options.rolesClaim ?? 'role';
  return async (request): Promise<Principal | undefined> => {
    const token = bearerToken(request, options.queryParameter);
    if (token === undefined) return undefined;
    const verifyOptions = {
      algorithms,
      issuer: options.issuer,
      audience: options.audience,
      clockTolerance: options.clockTolerance,
    };
    const { payload } =
      key instanceof Uint8Array ? await jwtVerify(token, key, verifyOptions) : await jwtVerify(token, key, verifyOptions);
    const userId = payload[userIdClaim];
    return {
      userIdentifier: typeof userId === 'string' ? userId : typeof userId === 'number' ? String(userId) : undefined,
      roles: rolesOf(payload, rolesClaim),
      claims: payload,
    };
  };
}
