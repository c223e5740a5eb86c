/**
 * `@hubwire/client`: a typed client for SignalR hubs (Hubwire's or ASP.NET Core's) over the
 * official `@microsoft/signalr` client — typed proxies from the hub's TypeScript declaration,
 * reconnects that never give up, a connection state to watch, and recoverable group
 * subscriptions that get every message once, in order, across reconnects.
 *
 * @example
 * ```ts
 * import { connectHub } from '@hubwire/client';
 * const hub = connectHub<OrgServer, OrgClient>('/hubs/orgs', { accessTokenFactory: () => auth.token() });
 * hub.on.Notify((text) => show(text));
 * hub.subscribe({ group: 'org:acme', join: (since) => hub.invoke.JoinOrganization('acme', since ?? null) });
 * ```
 * @module
 */
export { connectHub, DEFAULT_CALL_WAIT_TIMEOUT, type HubClient, type HubClientOptions, type HubState, type StateChange, type Timers } from './hub-client.js';
export { retrySchedule, DEFAULT_RETRY_DELAYS, type RetrySchedule } from './retry-schedule.js';
export { positionArgument, type GroupPosition, type StreamPosition } from './positions.js';
export type { GapInfo, JoinInfo, JoinReason, Subscription, SubscriptionOptions, SubscriptionStats } from './subscription.js';
export type { TransportName } from './client-logger.js';
export type {
  DynamicMethods,
  Handler,
  HandlerProxy,
  HandlerResult,
  HubStream,
  InvokeProxy,
  MethodName,
  SendProxy,
  ServerShape,
  StreamItem,
  StreamProxy,
  Unsubscribe,
  WireArguments,
} from './proxy-types.js';
