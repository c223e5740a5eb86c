/**
 * The hubs as this app sees them: for each hub, `<Name>Server` (the methods the app invokes,
 * named and typed as the hub class declares them — SignalR matches names case-insensitively) and
 * `<Name>Client` (the methods the server calls, as the hub's client interface names them).
 *
 * These are copies, so the browser bundle needs none of the server's code; test/web/contracts.typecheck.ts
 * checks each against the server's hub class and client interface, so a change on either side
 * that the other does not follow is a compile error of `npm run typecheck`.
 *
 * Types only: this file imports nothing and has no runtime code.
 * @module
 */

// ---------------------------------------------------------------------------------------------
// /hubs/events (apps/server/src/modules/events/): anonymous, a stream of mock shop events.
// ---------------------------------------------------------------------------------------------

/** The five kinds of event of the mock shop. */
export type ShopEventType = 'NewOrder' | 'StockUpdate' | 'UserActivity' | 'SystemLog' | 'Notification';

export interface OrderItem {
  readonly productId: string;
  readonly productTitle: string;
  readonly quantity: number;
  readonly unitPrice: number;
}

export interface NewOrderPayload {
  readonly orderId: number;
  readonly userName: string;
  readonly total: number;
  readonly currency: 'USD';
  readonly itemCount: number;
  readonly items: readonly OrderItem[];
}

export interface StockUpdatePayload {
  readonly productId: string;
  readonly productTitle: string;
  readonly previousStock: number;
  readonly newStock: number;
  readonly reason: 'sale' | 'restock' | 'adjustment';
}

export interface UserActivityPayload {
  readonly userId: string;
  readonly userName: string;
  readonly action: 'login' | 'logout' | 'signup';
  readonly ip: string;
}

export interface SystemLogPayload {
  readonly level: 'info' | 'warning' | 'error';
  readonly message: string;
  readonly source: string;
}

export interface NotificationPayload {
  readonly notificationId: number;
  readonly severity: 'info' | 'success' | 'warning' | 'error';
  readonly message: string;
}

/** The payload of each event type. */
export interface ShopEventPayloads {
  NewOrder: NewOrderPayload;
  StockUpdate: StockUpdatePayload;
  UserActivity: UserActivityPayload;
  SystemLog: SystemLogPayload;
  Notification: NotificationPayload;
}

/** What `ReceiveEvent` carries (the server's `MockEvent`). */
export type ShopEvent = {
  [T in ShopEventType]: { readonly type: T; readonly title: string; readonly payload: ShopEventPayloads[T]; readonly timestamp: string };
}[ShopEventType];

/** What `Connected` carries. */
export interface EventsConnectedInfo {
  readonly message: string;
  readonly timestamp: string;
}

/** Methods of /hubs/events the app invokes. */
export interface EventsServer {
  /** The latest events (up to 20), oldest first. */
  getRecentEvents(): Promise<readonly ShopEvent[]>;
}

/** Methods /hubs/events calls on the app. */
export interface EventsClient {
  Connected(info: EventsConnectedInfo): void;
  ReceiveEvent(event: ShopEvent): void;
}

// ---------------------------------------------------------------------------------------------
// /hubs/admin (apps/server/src/modules/admin/): role admin. Filled by the admin dashboard's
// author (AdminServer, AdminClient), with its check in test/web/contracts.typecheck.ts.
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// /hubs/chat (apps/server/src/modules/chat/): any logged-in user. Filled by the chat page's
// author (ChatServer, ChatClient), with its check in test/web/contracts.typecheck.ts.
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// /hubs/campaigns (apps/server/src/modules/campaigns/). Filled by the campaigns page's author
// (CampaignsServer, CampaignsClient), with its check in test/web/contracts.typecheck.ts.
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// /hubs/synaxis (apps/server/src/modules/synaxis/): organization notifications. Filled by the
// organizations page's author (SynaxisServer, SynaxisClient), with its check in
// test/web/contracts.typecheck.ts.
// ---------------------------------------------------------------------------------------------
