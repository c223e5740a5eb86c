/**
 * Type tests of the web app's hub contracts (apps/web/src/hubs/contracts.ts) against the server's
 * hub classes and client interfaces, checked by `npm run typecheck` (never run): a method added,
 * removed or retyped on either side without the other is a compile error here.
 *
 * For each hub: the contract's server methods are exactly the hub class's methods, with the same
 * parameters and results (mutually assignable), and the contract's client interface is the
 * hub's client interface. Page authors add a block per hub they use.
 */
import type { MethodName } from '@hubwire/client';
import type { EventsClient as ServerEventsClient, EventsHub } from '../../apps/server/src/modules/events/events-hub.js';
import type { EventsClient, EventsServer } from '../../apps/web/src/hubs/contracts.js';

/** `true` when A and B are assignable both ways. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Expect<T extends true> = T;

type AnyFunction = (...args: any[]) => any;
type Fn<T, K extends keyof T> = T[K] extends AnyFunction ? T[K] : never;

/** Per method of the contract: its parameters and awaited result equal the hub's; and no method is missing. */
type ServerMatches<Contract, Hub> = Same<keyof Contract, MethodName<Hub>> extends true
  ? {
      [K in keyof Contract & MethodName<Hub>]: Same<Parameters<Fn<Contract, K>>, Parameters<Fn<Hub, K>>> extends true
        ? Same<Awaited<ReturnType<Fn<Contract, K>>>, Awaited<ReturnType<Fn<Hub, K>>>>
        : false;
    }[keyof Contract & MethodName<Hub>] extends true
    ? true
    : false
  : false;

/** The client interfaces: same methods, same parameters. */
type ClientMatches<Contract, Server> = Same<keyof Contract, keyof Server> extends true
  ? { [K in keyof Contract & keyof Server]: Same<Parameters<Fn<Contract, K>>, Parameters<Fn<Server, K>>> }[keyof Contract & keyof Server] extends true
    ? true
    : false
  : false;

// /hubs/events
export type EventsServerChecked = Expect<ServerMatches<EventsServer, EventsHub>>;
export type EventsClientChecked = Expect<ClientMatches<EventsClient, ServerEventsClient>>;

// The checks themselves can fail: a contract with a method the hub lacks, or a wrong result.
// @ts-expect-error — the hub has no method `clearEvents`
export type ExtraMethodRefused = Expect<ServerMatches<EventsServer & { clearEvents(): Promise<void> }, EventsHub>>;
// @ts-expect-error — getRecentEvents answers events, not numbers
export type WrongResultRefused = Expect<ServerMatches<{ getRecentEvents(): Promise<number[]> }, EventsHub>>;
// @ts-expect-error — ReceiveEvent takes one event
export type WrongClientRefused = Expect<ClientMatches<{ Connected: EventsClient['Connected']; ReceiveEvent(event: string): void }, ServerEventsClient>>;

// /hubs/admin
import type { AdminClient as ServerAdminClient } from '../../apps/server/src/modules/admin/broadcaster.js';
import type { AdminHub } from '../../apps/server/src/modules/admin/admin-hub.js';
import type { AdminClient, AdminServer } from '../../apps/web/src/hubs/contracts.js';
export type AdminServerChecked = Expect<ServerMatches<AdminServer, AdminHub>>;
export type AdminClientChecked = Expect<ClientMatches<AdminClient, ServerAdminClient>>;

// /hubs/chat
import type { ChatClient as ServerChatClient, ChatHub } from '../../apps/server/src/modules/chat/chat-hub.js';
import type { ChatClient, ChatServer } from '../../apps/web/src/hubs/contracts.js';
export type ChatServerChecked = Expect<ServerMatches<ChatServer, ChatHub>>;
export type ChatClientChecked = Expect<ClientMatches<ChatClient, ServerChatClient>>;

// /hubs/campaigns
import type { CampaignsHub } from '../../apps/server/src/modules/campaigns/campaigns-hub.js';
import type { CampaignsClient as ServerCampaignsClient } from '../../apps/server/src/modules/campaigns/model.js';
import type { CampaignsClient, CampaignsServer } from '../../apps/web/src/hubs/contracts.js';
export type CampaignsServerChecked = Expect<ServerMatches<CampaignsServer, CampaignsHub>>;
export type CampaignsClientChecked = Expect<ClientMatches<CampaignsClient, ServerCampaignsClient>>;

// /hubs/synaxis
import type { SynaxisClient as ServerSynaxisClient } from '../../apps/server/src/modules/synaxis/model.js';
import type { SynaxisHub } from '../../apps/server/src/modules/synaxis/synaxis-hub.js';
import type { SynaxisClient, SynaxisServer } from '../../apps/web/src/hubs/contracts.js';
export type SynaxisServerChecked = Expect<ServerMatches<SynaxisServer, SynaxisHub>>;
export type SynaxisClientChecked = Expect<ClientMatches<SynaxisClient, ServerSynaxisClient>>;
