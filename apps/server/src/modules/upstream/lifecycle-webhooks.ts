/**
 * Lifecycle webhooks of code-backed hubs: a server-wide hub filter that queues
 * `connections/connected` (body `{}`), `connections/disconnected` (body `{"Error": "<message or
 * empty>"}`) and `groups/joined` / `groups/left` (body `{"group": "…"}`) on the dispatcher, when an
 * upstream item wants them. It never delays or fails a connect or a disconnect: queueing is
 * synchronous and never throws.
 *
 * Serverless hubs send their own connection events (modules/serverless/serverless-hub.ts), so
 * their names are skipped here for those; their group changes are sent like any hub's.
 * @module
 */
import type { GroupMembershipChange, HubFilter, HubLifetimeContext } from 'hubwire';
import { hubNameOf } from '../data-plane/hub-names.js';
import { connectionFacts } from './upstream-headers.js';
import type { ConnectionFacts, WebhookDispatcher } from './upstream-types.js';

/** How the filter is built. */
export interface LifecycleWebhookOptions {
  readonly dispatcher: WebhookDispatcher;
  /** Hub names (case-insensitive) whose connection events someone else sends: the serverless hubs. */
  readonly skipHubs?: readonly string[];
}

/** The filter, with the group hook the library calls on each effective join and leave. */
export type LifecycleWebhookFilter = HubFilter & Required<Pick<HubFilter, 'onGroupChange'>>;

/**
 * The webhook hub filter; give it to `createHubServer({ filters })`.
 *
 * @example
 * ```ts
 * const upstream = createUpstream({ config, logger, clock });
 * createHubServer({ filters: [lifecycleWebhooks({ dispatcher: upstream.dispatcher, skipHubs: config.serverless.hubs })] });
 * ```
 */
export function lifecycleWebhooks(options: LifecycleWebhookOptions): LifecycleWebhookFilter {
  const { dispatcher } = options;
  const skipped = new Set((options.skipHubs ?? []).map((name) => name.toLowerCase()));
  // What group events say about a connection beyond its id (claims, query), while it is connected
  // and only on hubs whose group events someone wants.
  const facts = new Map<string, ConnectionFacts>();
  const connected = Symbol('webhook connected');
  const wantsGroups = (hub: string) => dispatcher.wants(hub, 'groups', 'joined') || dispatcher.wants(hub, 'groups', 'left');

  return {
    async onConnected(ctx: HubLifetimeContext, next: (ctx: HubLifetimeContext) => Promise<void>): Promise<void> {
      await next(ctx);
      // Only a connection the hub accepted is announced (a throwing onConnected refuses it).
      ctx.context.items.set(connected, true);
      const hub = hubNameOf(ctx.hubPath);
      const groups = wantsGroups(hub);
      const sends = !skipped.has(hub) && dispatcher.wants(hub, 'connections', 'connected');
      if (!groups && !sends) return;
      const connection = connectionFacts(ctx.context, hub);
      if (groups) facts.set(key(ctx.hubPath, connection.connectionId), connection);
      if (sends) dispatcher.enqueue({ category: 'connections', event: 'connected', connection }, {});
    },

    async onDisconnected(ctx, error, next): Promise<void> {
      try {
        await next(ctx, error);
      } finally {
        const hub = hubNameOf(ctx.hubPath);
        const cached = facts.get(key(ctx.hubPath, ctx.context.connectionId));
        facts.delete(key(ctx.hubPath, ctx.context.connectionId));
        if (ctx.context.items.get(connected) === true && !skipped.has(hub) && dispatcher.wants(hub, 'connections', 'disconnected')) {
          dispatcher.enqueue({ category: 'connections', event: 'disconnected', connection: cached ?? connectionFacts(ctx.context, hub) }, { Error: error?.message ?? '' });
        }
      }
    },

    onGroupChange(change: GroupMembershipChange): void {
      // `hubName` is the hub class's name; upstreams know a hub by its path's last segment.
      const hub = hubNameOf(change.hubPath);
      if (!dispatcher.wants(hub, 'groups', change.change)) return;
      const connection = facts.get(key(change.hubPath, change.connectionId)) ?? {
        hub,
        connectionId: change.connectionId,
        ...(change.userIdentifier === undefined ? {} : { userId: change.userIdentifier }),
        claims: [],
        query: '',
      };
      dispatcher.enqueue({ category: 'groups', event: change.change, connection }, { group: change.group });
    },
  };
}

function key(hubPath: string, connectionId: string): string {
  return `${hubPath}\n${connectionId}`;
}
