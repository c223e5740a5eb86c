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
  /**
   * Accepted algorithms, pinned to the kind of key so that no token can pick its own check: for
   * a secret only HMAC ones (default HS256, HS384, HS512), for `jwks` / `jwksUrl` only
   * public-key ones (default the RS, PS and ES families and EdDSA). `none` is never accepted;
   * a list that names another kind's algorithm is refused when the authenticator is created.
   */
  algorithms?: string[];
  /**
   * `jwksUrl`: after a fetch, how long (ms) a token with an unknown `kid` must wait before it
   * triggers another fetch. Keys are refetched on an unknown `kid` (a rotation) at most this
   * often, so made-up `kid`s cannot flood the key server. Default 30 000.
   */
  jwksCooldown?: number;
  /** `jwksUrl`: how long (ms) fetched keys are used before they are fetched again. Default 600 000. */
  jwksCacheMaxAge?: number;
  /** `jwksUrl`: how long (ms) a fetch may take. Default 5 000. */
  jwksTimeout?: number;
  /** The claim that becomes `userIdentifier`. Default `sub`. */
  userIdClaim?: string;
  /** The claim holding roles (a string or an array of strings). Default `role`. */
  rolesClaim?: string;
  /** Seconds of clock skew tolerated on `exp`/`nbf`. Default 0. */
  clockTolerance?: number;
  /** The query parameter browsers put the token in. Default `access_token`. */
  queryParameter?: string;
}

/** The algorithms a shared secret verifies. */
export const HMAC_ALGORITHMS: readonly string[] = Object.freeze(['HS256', 'HS384', 'HS512']);
/** The algorithms public keys (a JWKS) verify. */
export const PUBLIC_KEY_ALGORITHMS: readonly string[] = Object.freeze(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);

/** `configured` when every entry is of `allowed` (and it is not empty), else `allowed`; throws otherwise. */
function pinned(configured: readonly string[] | undefined, allowed: readonly string[], kind: string): string[] {
  if (configured === undefined) return [...allowed];
  const foreign = configured.filter((algorithm) => !allowed.includes(algorithm));
  if (configured.length === 0 || foreign.length > 0) {
    throw new HubwireError(
      'HUB_ERR_INVALID_OPTION',
      `A JWT authenticator with ${kind} accepts only ${allowed.join(', ')}; got algorithms [${configured.join(', ')}].`,
    );
  }
  return [...configured];
}

function keyFor(options: JwtAuthenticatorOptions): { key: Uint8Array | JWTVerifyGetKey; algorithms: string[] } {
  const sources = [options.secret, options.jwks, options.jwksUrl].filter((source) => source !== undefined);
  if (sources.length !== 1) {
    throw new HubwireError('HUB_ERR_INVALID_OPTION', 'A JWT authenticator needs exactly one of secret, jwks or jwksUrl.');
  }
  if (options.secret !== undefined) {
    const key = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
    if (key.length < 32) throw new HubwireError('HUB_ERR_INVALID_OPTION', 'A JWT secret must be at least 32 bytes long.');
    return { key, algorithms: pinned(options.algorithms, HMAC_ALGORITHMS, 'a secret') };
  }
  const algorithms = pinned(options.algorithms, PUBLIC_KEY_ALGORITHMS, 'public keys (jwks, jwksUrl)');
  for (const name of ['jwksCooldown', 'jwksCacheMaxAge', 'jwksTimeout'] as const) {
    const value = options[name];
    const valid = value === undefined || (Number.isInteger(value) && value >= 0) || (name === 'jwksCacheMaxAge' && value === Infinity);
    if (!valid) throw new HubwireError('HUB_ERR_INVALID_OPTION', `Option '${name}' must be a non-negative integer (ms); got ${String(value)}.`);
  }
  if (options.jwks !== undefined) return { key: createLocalJWKSet(options.jwks), algorithms };
  return {
    key: createRemoteJWKSet(new URL(options.jwksUrl!), {
      cooldownDuration: options.jwksCooldown,
      cacheMaxAge: options.jwksCacheMaxAge,
      timeoutDuration: options.jwksTimeout,
    }),
    algorithms,
  };
}

function rolesOf(payload: JWTPayload, claim: string): string[] {
  const value = payload[claim];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((role): role is string => typeof role === 'string');
  return [];
}

/**
 * An {@link Authenticator} that verifies JWT bearer tokens. A request without a token is
 * anonymous; a token that fails verification (signature, expiry, issuer, audience, or an
 * algorithm the key kind does not allow: `none`, HS* against public keys, RS* against a secret)
 * refuses the request with 401. With `jwksUrl`, keys are fetched on first use, cached, and
 * fetched again when a token names an unknown `kid` (key rotation), at most every `jwksCooldown`.
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
