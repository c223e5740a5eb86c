/**
 * Client tokens in Azure SignalR's format, for serverless hubs: an HS256 JWT signed with one of
 * the access keys (`ACCESS_KEYS`), whose `aud` is the hub's client URL
 * (`{endpoint}/client/?hub={hub}`) and whose `exp` has not passed. That is what Azure's SDKs
 * (`ServiceManager.GetClientEndpoint`/`GenerateClientAccessToken`, the Functions `SignalRConnectionInfo`
 * binding) and Hubwire's `serviceNegotiation` issue, so an app's negotiate can hand them out.
 *
 * The audience is compared as the data plane compares (`data-plane/access-keys.ts`): scheme,
 * host and port are not (behind a proxy the client's origin is not the server's), the path must
 * be `/client/` and the `hub` query must name this hub, both case-insensitive.
 *
 * Tokens never reach a log line or an error message.
 * @module
 */
import { errors, jwtVerify, type JWTPayload } from 'jose';
import { bearerToken, type Authenticator, type ConnectionRequestInfo, type Principal } from 'hubwire';

/** Seconds of clock skew allowed on `exp` and `nbf`, as the data plane allows. */
const CLOCK_TOLERANCE_SECONDS = 5;
/** The .NET `ClaimTypes.NameIdentifier` URI, which Azure's older SDKs put the user id in. */
const NAME_IDENTIFIER_URI = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier';
/** The .NET `ClaimTypes.Role` URI. */
const ROLE_URI = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role';

/** Why a client token was refused; its message names no token. */
export class ClientTokenError extends Error {
  override readonly name = 'ClientTokenError';
}

/** What {@link clientTokenAuthenticator} needs. */
export interface ClientTokenOptions {
  /** The hub's name as clients address it (`?hub=`), compared case-insensitively. */
  readonly hub: string;
  /** The access keys a token may be signed with (two while rotating). */
  readonly accessKeys: readonly string[];
  /**
   * Tried when the token is not signed with any access key (e.g. the app's own user JWT); its
   * answer is the connection's user. Absent: such a token is refused.
   */
  readonly fallback?: Authenticator;
  /** The time tokens are checked against (epoch ms). Default Date.now. */
  readonly now?: () => number;
}

/**
 * The `authenticate` of a serverless hub: verifies Azure-format client tokens (and, when
 * `fallback` is given, what it accepts). Throws (401) for a missing, expired or foreign token.
 *
 * @example
 * ```ts
 * hubwire.mapHub('/hubs/chat', ChatServerlessHub, {
 *   authorize: true,
 *   authenticate: clientTokenAuthenticator({ hub: 'chat', accessKeys: config.dataPlane.accessKeys }),
 * });
 * ```
 */
export function clientTokenAuthenticator(options: ClientTokenOptions): (request: ConnectionRequestInfo) => Promise<Principal | undefined> {
  const secrets = options.accessKeys.map((key) => new TextEncoder().encode(key));
  const hub = options.hub.toLowerCase();
  const now = options.now ?? Date.now;
  return async (request) => {
    const token = bearerToken(request);
    if (token === undefined) throw new ClientTokenError('An access token is required.');
    const payload = await verify(token, secrets, now());
    if (payload === undefined) {
      if (options.fallback !== undefined) return options.fallback(request);
      throw new ClientTokenError('The access token is not signed with any of the configured access keys.');
    }
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!audiences.some((audience) => typeof audience === 'string' && clientAudienceMatches(audience, hub))) {
      throw new ClientTokenError(`The audience (aud) of the access token is not this hub's client URL (/client/?hub=${hub}).`);
    }
    return principalOf(payload);
  };
}

/** The verified payload, or undefined when no key signed it. Throws for a token a key signed but that is not valid. */
async function verify(token: string, secrets: readonly Uint8Array[], at: number): Promise<JWTPayload | undefined> {
  for (const secret of secrets) {
    try {
      const { payload } = await jwtVerify(token, secret, {
        algorithms: ['HS256'],
        requiredClaims: ['exp', 'aud'],
        currentDate: new Date(at),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      return payload;
    } catch (error) {
      if (error instanceof errors.JWSSignatureVerificationFailed) continue; // another key, maybe the next one
      // Not an HS256 JWS at all (e.g. an RS256 user token): no access key can have signed it.
      if (error instanceof errors.JOSEAlgNotAllowed) return undefined;
      if (error instanceof errors.JWTExpired) throw new ClientTokenError('The access token is expired.');
      if (error instanceof errors.JWTClaimValidationFailed) throw new ClientTokenError(`The access token is not valid: ${error.message}`);
      throw new ClientTokenError('The access token is not a valid JWT.');
    }
  }
  return undefined;
}

/**
 * Whether `audience` is the client URL of hub `hub` (lower-case): path `/client/` (trailing
 * slash optional) and a `hub` query naming it, case-insensitive; origin not compared.
 *
 * @example
 * ```ts
 * clientAudienceMatches('https://signalr.example.com/client/?hub=Chat', 'chat'); // true
 * clientAudienceMatches('https://signalr.example.com/client/?hub=news', 'chat'); // false
 * ```
 */
export function clientAudienceMatches(audience: string, hub: string): boolean {
  let url: URL;
  try {
    url = new URL(audience);
  } catch {
    return false;
  }
  if (url.pathname.replace(/\/+$/, '').toLowerCase() !== '/client') return false;
  for (const [name, value] of url.searchParams) if (name.toLowerCase() === 'hub' && value.toLowerCase() === hub) return true;
  return false;
}

/**
 * The connection's user: the id from `asrs.s.uid`, else `nameid`, else the .NET NameIdentifier
 * claim, else `sub`; roles from `role` / `roles` (a string or a list).
 */
export function principalOf(payload: JWTPayload): Principal {
  const claims = payload as Readonly<Record<string, unknown>>;
  const userIdentifier = [claims['asrs.s.uid'], claims['nameid'], claims[NAME_IDENTIFIER_URI], claims['sub']].find(
    (value): value is string => typeof value === 'string' && value !== '',
  );
  const roles = [claims['role'], claims['roles'], claims[ROLE_URI]].flatMap((value) => (typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((role): role is string => typeof role === 'string') : []));
  return { ...(userIdentifier === undefined ? {} : { userIdentifier }), roles, claims };
}
