/**
 * `POST /api/hubs/{hub}/:generateToken` (2024-12-01): a client access token in Azure SignalR's
 * format, for an app that hands its clients a token instead of running a negotiate of its own:
 * HS256 signed with the first access key (its UTF-8 bytes), `aud` = `<origin of the request>/client/?hub=<hub>`,
 * `iat`, `nbf`, `exp`, the user id in `asrs.s.uid` (Azure's claim) and `nameid` (what
 * `ClaimTypes.NameIdentifier` becomes in a JWT), and `role` claims: the library's
 * `clientAccessToken` signs it, so the serverless hubs and an app's `serviceNegotiation` agree.
 * @module
 */
import { AZURE_USER_ID_CLAIM, clientAccessToken } from 'hubwire';
import { hubNameOf } from './hub-names.js';
import type { HubTarget } from './hub-target.js';
import { DataPlaneError, type DataPlaneResult } from './results.js';
import { checkInteger } from './validation.js';

/** The claim Azure SignalR reads a client's user id from. */
export const USER_ID_CLAIM = AZURE_USER_ID_CLAIM;
/** Minutes a token lasts without `minutesToExpire` (Azure's default). */
export const DEFAULT_MINUTES_TO_EXPIRE = 60;

/** What a token may be asked for with. */
export interface ClientTokenOptions {
  readonly userId?: string;
  /** Minutes until `exp`: 1 to 2³¹−1 (Azure's int32 with a minimum of 1); default 60. */
  readonly minutesToExpire?: number;
  /** Roles, each a `role` claim (one: a string; more: an array). */
  readonly roles?: readonly string[];
  /** Groups, as a `group` claim the same way; the hub's code may read them (Web PubSub's parameter). */
  readonly groups?: readonly string[];
}

/**
 * Signs a client token for the hub: `200 {"token": "eyJ…"}`.
 *
 * @example
 * ```ts
 * await generateClientToken(hub, { userId: 'jane', minutesToExpire: 5 }); // { status: 200, body: { token: 'eyJ…' } }
 * ```
 */
export async function generateClientToken(hub: HubTarget, options: ClientTokenOptions = {}): Promise<DataPlaneResult> {
  const minutes = checkInteger(options.minutesToExpire, 'minutesToExpire', 1, 2_147_483_647) ?? DEFAULT_MINUTES_TO_EXPIRE;
  if (hub.accessKey === undefined) throw new DataPlaneError('Unauthorized', 'No access key is configured to sign client tokens with (ACCESS_KEYS).');
  const claims: Record<string, unknown> = {};
  addList(claims, 'role', options.roles);
  addList(claims, 'group', options.groups);
  const token = await clientAccessToken({
    accessKey: hub.accessKey,
    audience: clientAudience(hub.requestUrl, hubNameOf(hub.path)),
    ...(options.userId === undefined || options.userId === '' ? {} : { userId: options.userId }),
    claims,
    lifetimeSeconds: minutes * 60,
    now: hub.now,
  });
  return { status: 200, body: { token } };
}

/** `<origin of requestUrl>/client/?hub=<hub>`: the client URL Azure's SDKs build and sign. */
export function clientAudience(requestUrl: string, hub: string): string {
  return `${new URL(requestUrl).origin}/client/?hub=${encodeURIComponent(hub)}`;
}

function addList(claims: Record<string, unknown>, name: string, values: readonly string[] | undefined): void {
  const given = (values ?? []).filter((value) => value !== '');
  if (given.length > 0) claims[name] = given.length === 1 ? given[0] : given;
}
