/**
 * Who may call the data plane: holders of an access key (`ACCESS_KEYS`, up to two at once so a
 * key can be rotated). A caller proves it as Azure SignalR's SDKs do — an HS256 (or HS512) JWT
 * signed with the key, whose `aud` is the request URL and whose `exp` has not passed — or sends
 * the key itself as `Authorization: Bearer <key>` (for curl and scripts).
 *
 * The audience is compared as Azure's .NET management SDK forms it: scheme and query are not
 * compared (the SDK signs `?api-version=…` but adds `excluded`, `reason` and `ttl` unsigned, and a
 * TLS-terminating proxy changes the scheme), a port is compared only when the audience names one
 * (the SDK leaves it out), the `api/hubs/{hub}` part of the path is case-insensitive (the SDK
 * lower-cases the hub) and the rest exact, after percent-decoding.
 *
 * Neither a key nor a token ever reaches a log line or an error message.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { errors, jwtVerify } from 'jose';
import { DataPlaneError } from './results.js';

/** How a caller proved it holds a key. */
export type Credential = 'token' | 'key';

const ALGORITHMS = ['HS256', 'HS512'];
/** Seconds of clock skew allowed on `exp` and `nbf`. */
const CLOCK_TOLERANCE_SECONDS = 5;

/**
 * The configured access keys and the check of a request's credential against them.
 *
 * @example
 * ```ts
 * const keys = new AccessKeys(config.dataPlane.accessKeys);
 * const how = await keys.authenticate(req.headers.authorization, 'https://hubwire.example.com/api/hubs/chat/:send?api-version=2022-06-01');
 * ```
 */
export class AccessKeys {
  readonly #secrets: readonly Uint8Array[];
  readonly #digests: readonly Buffer[];
  readonly #now: () => number;

  /** `now` (epoch ms) is the time tokens are checked against; tests pass a fixed one. */
  constructor(keys: readonly string[], now: () => number = Date.now) {
    this.#secrets = keys.map((key) => new TextEncoder().encode(key));
    this.#digests = keys.map(digest);
    this.#now = now;
  }

  /** How many keys are configured (0: every call is refused). */
  get size(): number {
    return this.#secrets.length;
  }

  /**
   * Checks the `Authorization` header of a request to `url` (absolute, as the caller addressed
   * it). Resolves with how the caller proved it; rejects with a DataPlaneError `Unauthorized`.
   */
  async authenticate(authorization: string | undefined, url: string): Promise<Credential> {
    if (this.#secrets.length === 0) throw unauthorized('The data-plane API is disabled: no access keys are configured (ACCESS_KEYS).');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (match === null) throw unauthorized('An Authorization: Bearer header with an access token or an access key is required.');
    const credential = match[1]!;
    // A JWT has three dot-separated parts; an access key has no dot (ACCESS_KEYS refuses one).
    if (!credential.includes('.')) {
      const given = digest(credential);
      if (this.#digests.some((known) => timingSafeEqual(known, given))) return 'key';
      throw unauthorized('The access key is not one of the configured keys.');
    }
    await this.#verifyToken(credential, url);
    return 'token';
  }

  async #verifyToken(token: string, url: string): Promise<void> {
    let payload: { aud?: unknown } | undefined;
    for (const secret of this.#secrets) {
      try {
        ({ payload } = await jwtVerify(token, secret, {
          algorithms: ALGORITHMS,
          requiredClaims: ['exp', 'aud'],
          currentDate: new Date(this.#now()),
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
        }));
        break;
      } catch (error) {
        if (error instanceof errors.JWSSignatureVerificationFailed) continue; // signed with another key, maybe the next one
        if (error instanceof errors.JWTExpired) throw unauthorized('The access token is expired.');
        if (error instanceof errors.JWTClaimValidationFailed) throw unauthorized(`The access token is not valid: ${error.message}`);
        throw unauthorized('The access token is not a valid HS256 JWT.');
      }
    }
    if (payload === undefined) throw unauthorized('The access token is not signed with any of the configured access keys.');
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!audiences.some((audience) => typeof audience === 'string' && audienceMatches(audience, url))) {
      throw unauthorized('The audience (aud) of the access token is not the request URL.');
    }
  }
}

/**
 * Whether a token's `aud` names the request URL `url` (see the module notes for the rules).
 *
 * @example
 * ```ts
 * audienceMatches('https://h/api/hubs/chat/:send?api-version=2022-06-01', 'https://h:443/api/hubs/Chat/:send?api-version=2022-06-01&excluded=c1'); // true
 * audienceMatches('https://h/api/hubs/chat/users/jane/:send', 'https://h/api/hubs/chat/users/john/:send'); // false
 * ```
 */
export function audienceMatches(audience: string, url: string): boolean {
  let aud: URL;
  let request: URL;
  try {
    aud = new URL(audience);
    request = new URL(url);
  } catch {
    return false;
  }
  if (aud.hostname.toLowerCase() !== request.hostname.toLowerCase()) return false;
  if (aud.port !== '' && aud.port !== request.port) return false;
  return normalPath(aud.pathname) === normalPath(request.pathname);
}

/** Decoded segments, `api/hubs/{hub}` lower-cased, no trailing slash. */
function normalPath(pathname: string): string {
  const segments = pathname.replace(/\/+$/, '').split('/').map(decodeSegment);
  // ['', 'api', 'hubs', '{hub}', …]: the first four are case-insensitive.
  return segments.map((segment, index) => (index <= 3 ? segment.toLowerCase() : segment)).join('/');
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function unauthorized(message: string): DataPlaneError {
  return new DataPlaneError('Unauthorized', message);
}
