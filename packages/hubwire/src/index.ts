// The public types use node:http, node:stream and Buffer. TypeScript 6 no longer includes @types/*
// by default, so this directive (kept in index.d.ts) loads @types/node for every consumer.
/// <reference types="node" preserve="true" />
/**
 * Hubwire: a real-time hub server for Node.js that speaks the ASP.NET Core SignalR protocol.
 *
 * @example
 * ```ts
 * import { createHubServer, Hub, HubError } from 'hubwire';
 *
 * interface ChatClient { receiveMessage(user: string, text: string): void }
 *
 * class ChatHub extends Hub<ChatClient> {
 *   async sendMessage(text: string) {
 *     if (text.length > 500) throw new HubError('Message too long.');
 *     await this.clients.all.receiveMessage(this.context.userIdentifier ?? 'anonymous', text);
 *   }
 * }
 *
 * const hubwire = createHubServer();
 * hubwire.mapHub('/hubs/chat', ChatHub);
 * await hubwire.listen({ port: 5000 });
 * ```
 * @module
 */
export { createHubServer, HubServer } from './server.js';
export type { HubServerOptions, MapHubOptions, LifetimeManagerContext, ClientOf } from './server.js';

export { Hub } from './hubs/hub.js';
export type { HubClass, HubInvocation, HubMethodName } from './hubs/hub.js';
export type { HubFilter, HubInvocationContext, HubLifetimeContext, GroupMembershipChange } from './hubs/hub-filter.js';
export { UploadStreamError } from './hubs/upload-stream.js';
export { createJwtAuthenticator } from './auth/jwt-authenticator.js';
export type { JwtAuthenticatorOptions } from './auth/jwt-authenticator.js';
export { bearerToken } from './auth/bearer-token.js';
export { clientAccessToken, serviceNegotiation, clientUrl, AZURE_USER_ID_CLAIM, NAME_ID_CLAIM, DEFAULT_CLIENT_TOKEN_LIFETIME_SECONDS } from './auth/service-tokens.js';
export type { ClientAccessTokenOptions, ServiceNegotiationOptions, ServiceNegotiation } from './auth/service-tokens.js';
export { authorize } from './auth/authorization.js';
export type { AuthorizationRequirement, AuthorizationOutcome } from './auth/authorization.js';
export type { HubCallerContext } from './hubs/hub-caller-context.js';
export type { HubClients, HubCallerClients } from './hubs/hub-clients.js';
export type { ClientProxy, SingleClientProxy, ClientMethods, ClientMethodName, DynamicClient } from './hubs/client-proxy.js';
export type { GroupManager } from './hubs/group-manager.js';
export type { HubContext } from './hubs/hub-context.js';
export { DEFAULT_HUB_OPTIONS } from './hubs/hub-options.js';
export type { HubOptions, Authenticator } from './hubs/hub-options.js';
export type { WebSocketCompression, WebSocketCompressionOptions } from './transports/websocket-compression-options.js';

export { HubError, HubwireError, ProtocolError, ErrorCodes } from './core/errors.js';
export type { ErrorCode, ErrorCodeInfo } from './core/errors.js';
export { systemClock } from './core/clock.js';
export type { Clock, TimerHandle } from './core/clock.js';
export { silentLogger } from './core/logger.js';
export type { Logger, LogFn } from './core/logger.js';
export { redactUrl, redactHeaders, REDACTED } from './core/redact.js';
export { createCounterMetrics, MetricNames } from './core/metrics.js';
export type { Metrics, CounterMetrics, MetricName, MetricLabels, GaugeReport } from './core/metrics.js';
export {
  Instruments,
  Counters,
  HUBWIRE_METER,
  ASPNET_CONNECTIONS_METER,
  CONNECTION_DURATION_BUCKETS,
  TransportAttribute,
  UNKNOWN_METHOD,
  FALLBACK_METHOD,
  InvocationErrorCode,
  prometheusName,
  prometheusLabel,
} from './core/instruments.js';
export type { InstrumentKind, InstrumentInfo, CounterInfo, InstrumentName, RecordedName, GaugeName, ConnectionStatus } from './core/instruments.js';

export type { CorsOptions } from './http/cors.js';
export { DEFAULT_HTTP_SERVER_OPTIONS } from './http/server-options.js';
export type { HttpServerLimits } from './http/server-options.js';
export { EDGE_LIMIT_TEXTS } from './connections/edge-limits.js';
export type { EdgeLimitName } from './connections/edge-limits.js';
export { TokenBuckets, ConcurrencyLimit } from './limits/token-buckets.js';
export type { BucketLimit, TakeResult } from './limits/token-buckets.js';
export type { RateLimitOptions, RateLimitName } from './limits/rate-limits.js';
export { clientAddressResolver } from './limits/client-address.js';
export type { ClientAddressResolver, TrustedProxies } from './limits/client-address.js';
export type { Principal, ConnectionRequestInfo } from './connections/http-connection.js';
export type { TransportKind } from './transports/transport.js';
export { requestInfo } from './http/request-info.js';
export type { UwsApp, UwsHttpRequest, UwsHttpResponse, UwsWebSocket, UwsWebSocketBehavior, UwsData, UwsServeOptions } from './uws/uws-types.js';
export { PAUSED_INPUT_LIMIT } from './uws/uws-transport.js';
export type { RawConnection, ConnectionHandler } from './raw/raw-connection.js';
export type { ConnectionData } from './raw/inbound-queue.js';
export type { MapConnectionOptions } from './raw/connection-options.js';

export { MemoryLifetimeManager, type MemoryLifetimeManagerOptions } from './lifetime/memory/memory-lifetime-manager.js';
export { MemoryHistoryStore, type MemoryHistoryStoreOptions } from './lifetime/recovery/memory-history-store.js';
export { redisLifetimeManager, type RedisLifetimeManagerFactory } from './lifetime/redis/redis-lifetime-manager-factory.js';
export { RedisLifetimeManager, type RedisLifetimeManagerOptions, type RedisLifetimeManagerContext } from './lifetime/redis/redis-lifetime-manager.js';
export type { AnyRedisClient } from './lifetime/redis/redis-clients.js';
export type { BackplaneLayoutName } from './lifetime/redis/backplane-layout.js';
export type { AspNetLayoutOptions } from './lifetime/redis/aspnet-layout.js';
export type { AnyRedisCluster, RedisClusterBackplaneOptions } from './lifetime/redis/redis-cluster-clients.js';
export type { HubLifetimeManager, LifetimeConnection, Audience, ClientResultOptions, LocalGroupChange, GroupChangeListener } from './lifetime/hub-lifetime-manager.js';
export { DEFAULT_PAGE_LIMIT, disabledPresence, MAX_PAGE_LIMIT } from './lifetime/presence.js';
export type { Presence, PresenceConnection, PresenceGroup, PresenceNode, Page, PageOptions } from './lifetime/presence.js';
export type { RedisPresenceOptions } from './lifetime/redis/redis-presence.js';
export type {
  StreamPosition,
  GroupPosition,
  RecoverableGroupSpec,
  RecoveryOptions,
  RecoverOptions,
  RecoveryResult,
  PublishedMessage,
  PublishOptions,
  PublishResult,
  SlowConsumerPolicy,
  SlowConsumerOptions,
  GroupRecovery,
  BacklogAware,
  HistoryStore,
  HistoryLimits,
  HistoryEntry,
  HistoryRead,
  AppendResult,
} from './lifetime/recovery/recovery-types.js';

export { jsonHubProtocol } from './protocol/json/json-hub-protocol.js';
export { messagePackHubProtocol, createMessagePackHubProtocol } from './protocol/msgpack/msgpack-hub-protocol.js';
export type { MessagePackHubProtocolOptions } from './protocol/msgpack/msgpack-hub-protocol.js';
export type { HubProtocol, ParseResult, TransferFormat } from './protocol/hub-protocol.js';
export { MessageType } from './protocol/messages.js';
export type { HubMessage, InvocationMessage, CompletionMessage, CloseMessage } from './protocol/messages.js';
export { SerializedMessage } from './protocol/serialized-message.js';
