/**
 * Client access tokens in Azure SignalR Service's format, so an app's own `/negotiate` can send
 * clients to Hubwire the way Azure's SDKs send them to the service: the app answers
 * `{ url, accessToken }`, and the official `@microsoft/signalr` client follows that redirect,
 * negotiating again at `url` with the token as its bearer.
 *
 * The token is what `Microsoft.Azure.SignalR` (and the Functions extension) signs: HS256 with the
 * access key's UTF-8 bytes, `aud` = the client URL, `iat`, `nbf`, `exp`, the user id in both
 * `asrs.s.uid` (the service's own claim) and `nameid` (what `ClaimTypes.NameIdentifier` becomes
 * in a JWT), and the app's claims beside them.
 * @module
 */
import { SignJWT } from 'jose';
import { HubwireError } from '../core/errors.js';

/** The claim Azure SignalR reads the user id from. */
export const AZURE_USER_ID_CLAIM = 'asrs.s.uid';
/** The short JWT name of `ClaimTypes.NameIdentifier`, which Azure's SDKs also set to the user id. */
export const NAME_ID_CLAIM = 'nameid';
/** One hour, Azure's default lifetime of a client token. */
export const DEFAULT_CLIENT_TOKEN_LIFETIME_SECONDS = 3600;

// Claims the token's validity rests on: an app's extra claims may not replace them.
const RESERVED_CLAIMS: readonly string[] = ['aud', 'iat', 'nbf', 'exp'];

/** Options of {@link clientAccessToken}. */
export interface ClientAccessTokenOptions {
  /** The access key (one of `ACCESS_KEYS`); its UTF-8 bytes are the HS256 secret. */
  accessKey: string;
  /** `aud`: the URL the client connects to (what {@link serviceNegotiation} returns as `url`). */
  audience: string;
  /** The user id, put in `asrs.s.uid` and `nameid`. */
  userId?: string;
  /** More claims (roles, names…). `aud`, `iat`, `nbf` and `exp` are refused; the user id claims are overwritten when `userId` is given. */
  claims?: Record<string, unknown>;
  /** How long the token is valid. Default 3600 (one hour). */
  lifetimeSeconds?: number;
  /** Milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
}

/** Options of {@link serviceNegotiation}. */
export interface ServiceNegotiationOptions {
  /** Where clients reach Hubwire, e.g. `https://realtime.example.com` (a trailing slash is fine). */
  endpoint: string;
  /** The hub's name as the data plane knows it (the last segment of its path: `chat`). */
  hub: string;
  accessKey: string;
  userId?: string;
  claims?: Record<string, unknown>;
  lifetimeSeconds?: number;
  now?: () => number;
}

/** What an app's `/negotiate` answers to send a client to Hubwire. */
export interface ServiceNegotiation {
  /** `<endpoint>/client/?hub=<hub>`: the client negotiates again there. */
  url: string;
  /** A client token whose `aud` is `url`. */
  accessToken: string;
}

/**
 * Signs an Azure SignalR-style client access token.
 *
 * @example
 * ```ts
 * import { clientAccessToken } from 'hubwire';
 *
 * const token = await clientAccessToken({
 *   accessKey: process.env.ACCESS_KEY!,
 *   audience: 'https://realtime.example.com/client/?hub=chat',
 *   userId: 'jane',
 *   claims: { role: ['admin'] },
 * });
 * ```
 */
export async function clientAccessToken(options: ClientAccessTokenOptions): Promise<string> {
  if (typeof options.accessKey !== 'string' || options.accessKey === '') {
    throw new HubwireError('HUB_ERR_INVALID_OPTION', 'A client access token needs a non-empty accessKey.');
  }
  if (typeof options.audience !== 'string' || options.audience === '') {
    throw new HubwireError('HUB_ERR_INVALID_OPTION', 'A client access token needs a non-empty audience.');
  }
  const lifetime = options.lifetimeSeconds ?? DEFAULT_CLIENT_TOKEN_LIFETIME_SECONDS;
  if (!Number.isFinite(lifetime) || lifetime <= 0) {
    throw new HubwireError('HUB_ERR_INVALID_OPTION', `lifetimeSeconds must be a positive number of seconds; got ${String(lifetime)}.`);
  }
  const extra = options.claims ?? {};
  const clash = RESERVED_CLAIMS.find((name) => Object.hasOwn(extra, name));
  if (clash !== undefined) {
    throw new HubwireError('HUB_ERR_INVALID_OPTION', `The claim '${clash}' is set by clientAccessToken and cannot be given in claims.`);
  }
  const claims: Record<string, unknown> = { ...extra };
  if (options.userId !== undefined) {
    claims[AZURE_USER_ID_CLAIM] = options.userId;
    claims[NAME_ID_CLAIM] = options.userId;
  }
  const issuedAt = Math.floor((options.now ?? Date.now)() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setAudience(options.audience)
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt)
    .setExpirationTime(issuedAt + Math.ceil(lifetime))
    .sign(new TextEncoder().encode(options.accessKey));
}

/**
 * The client URL Azure's SDKs build for a hub: `<endpoint>/client/?hub=<hub>`, the hub name
 * percent-encoded and kept in its case (Hubwire's hub names are case-insensitive).
 */
export function clientUrl(endpoint: string, hub: string): string {
  if (typeof endpoint !== 'string' || !/^https?:\/\/[^/]/i.test(endpoint)) {
    // The endpoint is configuration, not a secret, but it may carry a query: name the problem only.
    throw new HubwireError('HUB_ERR_INVALID_OPTION', 'The endpoint must be an http:// or https:// URL.');
  }
  if (typeof hub !== 'string' || hub === '') throw new HubwireError('HUB_ERR_INVALID_OPTION', 'The hub name must not be empty.');
  return `${endpoint.replace(/\/+$/, '')}/client/?hub=${encodeURIComponent(hub)}`;
}

/**
 * What an app's own `/negotiate` returns so that a client connects to Hubwire, as Azure
 * SignalR's SDK does: `url` is the hub's client URL and `accessToken` a client token for it.
 * The official client follows such a response (it negotiates at `url` with the token).
 *
 * @example
 * ```ts
 * import { serviceNegotiation } from 'hubwire';
 *
 * app.post('/negotiate', async (request, reply) =>
 *   serviceNegotiation({
 *     endpoint: 'https://realtime.example.com',
 *     hub: 'chat',
 *     accessKey: process.env.ACCESS_KEY!,
 *     userId: request.user.id,
 *   }),
 * ); // → { url: 'https://realtime.example.com/client/?hub=chat', accessToken: 'eyJ…' }
 * ```
 */
export async function serviceNegotiation(options: ServiceNegotiationOptions): Promise<ServiceNegotiation> {
  const url = clientUrl(options.endpoint, options.hub);
  const accessToken = await clientAccessToken({
    accessKey: options.accessKey,
    audience: url,
    ...(options.userId !== undefined ? { userId: options.userId } : {}),
    ...(options.claims !== undefined ? { claims: options.claims } : {}),
    ...(options.lifetimeSeconds !== undefined ? { lifetimeSeconds: options.lifetimeSeconds } : {}),
    ...(options.now !== undefined ? { now: options.now } : {}),
  });
  return { url, accessToken };
}
