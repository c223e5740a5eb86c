/**
 * Azure SignalR's upstream request headers (`X-ASRS-*`), and the facts about a connection they
 * are built from.
 *
 * Header values must be visible ASCII, but user ids and claims may hold anything, so those are
 * sent in a reversible encoding: `%`, controls, non-ASCII and (in claims) the separators `,` and
 * `=` are percent-encoded as UTF-8 and everything else is left alone; `decodeURIComponent` of a
 * value gives it back. A plain ASCII user id or claim (`alice`, `a@b.example`) is sent exactly as
 * Azure sends it.
 * @module
 */
import type { ConnectionFacts, UpstreamEvent } from './upstream-types.js';
import { signConnectionId } from './signature.js';

/** Query parameters never forwarded: the client's credential and its connection token. */
const PRIVATE_QUERY = new Set(['access_token', 'id']);

/**
 * The `X-ASRS-*` headers of a request about `event`: connection id, hub, category, event, user id
 * (when the connection has one), user claims (`type= value` pairs joined by `, `, Azure's layout;
 * omitted without claims), client query (without `?`; omitted when empty) and the signature with
 * each of `keys`.
 *
 * @example
 * ```ts
 * upstreamHeaders({ category: 'connections', event: 'connected', connection }, config.dataPlane.accessKeys);
 * // { 'X-ASRS-Connection-Id': 'c1', 'X-ASRS-Hub': 'chat', …, 'X-ASRS-Signature': 'sha256=…' }
 * ```
 */
export function upstreamHeaders(event: UpstreamEvent, keys: readonly string[]): Record<string, string> {
  const { connection } = event;
  const headers: Record<string, string> = {
    'X-ASRS-Connection-Id': connection.connectionId,
    'X-ASRS-Hub': connection.hub,
    'X-ASRS-Category': event.category,
    'X-ASRS-Event': headerSafe(event.event, false),
  };
  if (connection.userId !== undefined) headers['X-ASRS-User-Id'] = headerSafe(connection.userId, false);
  if (connection.claims.length > 0) {
    headers['X-ASRS-User-Claims'] = connection.claims.map((claim) => `${headerSafe(claim.type, true)}= ${headerSafe(claim.value, true)}`).join(', ');
  }
  if (connection.query !== '') headers['X-ASRS-Client-Query'] = connection.query;
  if (keys.length > 0) headers['X-ASRS-Signature'] = signConnectionId(connection.connectionId, keys);
  return headers;
}

/** What {@link connectionFacts} reads of a hub's caller context (`HubCallerContext` has it). */
export interface CallerContextLike {
  readonly connectionId: string;
  readonly userIdentifier: string | undefined;
  readonly user: { readonly claims: Readonly<Record<string, unknown>> } | undefined;
  readonly request: { readonly query: URLSearchParams };
}

/**
 * The facts of a connection for upstream requests, from a hub's caller context: its claims as
 * type/value pairs (an array claim gives one pair per element, a non-string its JSON), and the
 * query it connected with minus `access_token` and `id` (its connection token).
 *
 * @example
 * ```ts
 * const facts = connectionFacts(ctx.context, hubNameOf(ctx.hubPath));
 * ```
 */
export function connectionFacts(context: CallerContextLike, hubName: string): ConnectionFacts {
  const claims: { type: string; value: string }[] = [];
  for (const [type, value] of Object.entries(context.user?.claims ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined || item === null) continue;
      claims.push({ type, value: typeof item === 'string' ? item : JSON.stringify(item) });
    }
  }
  const query = new URLSearchParams();
  for (const [name, value] of context.request.query) if (!PRIVATE_QUERY.has(name)) query.append(name, value);
  return {
    hub: hubName,
    connectionId: context.connectionId,
    ...(context.userIdentifier === undefined ? {} : { userId: context.userIdentifier }),
    claims,
    query: query.toString(),
  };
}

/**
 * Percent-encodes what a header value cannot carry as is (see the module notes); with
 * `separators`, `,` and `=` too, so claim pairs split unambiguously.
 */
export function headerSafe(value: string, separators: boolean): string {
  const unsafe = separators ? /[^\x21-\x7e ]|[%,=]/gu : /[^\x21-\x7e ]|%/gu;
  // A lone surrogate has no UTF-8 form (encodeURIComponent throws): it is sent as U+FFFD.
  return value.replace(unsafe, (char) => encodeURIComponent(/[\ud800-\udfff]/u.test(char) ? '\ufffd' : char));
}
