/**
 * Mock events of a small shop, with state so that they stay consistent: order ids grow, stock
 * moves from its last value, only signed-up users log in and only logged-in users log out.
 * All randomness comes from the injected generator, so a seed gives the same stream.
 * @module
 */
import { pick, randomInt } from '../../random.js';

/** The five kinds of event. */
export const EVENT_TYPES = ['NewOrder', 'StockUpdate', 'UserActivity', 'SystemLog', 'Notification'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface OrderItem {
  readonly productId: string;
  readonly productTitle: string;
  readonly quantity: number;
  readonly unitPrice: number;
}

export interface NewOrderPayload {
  readonly orderId: number;
  readonly userName: string;
  /** Sum of quantity × unitPrice, rounded to cents. */
  readonly total: number;
  readonly currency: 'USD';
  /** Number of order lines, 1 to 3 (`items.length`). */
  readonly itemCount: number;
  readonly items: readonly OrderItem[];
}

export interface StockUpdatePayload {
  readonly productId: string;
  readonly productTitle: string;
  /** Equals the `newStock` of the product's previous update (or its initial stock). */
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

/** Payload of each event type. */
export interface EventPayloads {
  NewOrder: NewOrderPayload;
  StockUpdate: StockUpdatePayload;
  UserActivity: UserActivityPayload;
  SystemLog: SystemLogPayload;
  Notification: NotificationPayload;
}

/** What `ReceiveEvent` carries. */
export type MockEvent = {
  [T in EventType]: { readonly type: T; readonly title: string; readonly payload: EventPayloads[T]; readonly timestamp: string };
}[EventType];

interface Product {
  readonly id: string;
  readonly title: string;
  readonly price: number;
  stock: number;
}

/** A shop customer of the mock stream. */
export interface Customer {
  readonly id: string;
  readonly name: string;
  readonly ip: string;
  online: boolean;
}

const PRODUCTS: readonly Omit<Product, 'stock'>[] = [
  { id: 'SKU-1001', title: 'Wireless Mouse', price: 24.99 },
  { id: 'SKU-1002', title: 'Mechanical Keyboard', price: 89.0 },
  { id: 'SKU-1003', title: 'USB-C Hub', price: 39.5 },
  { id: 'SKU-1004', title: '27" Monitor', price: 279.0 },
  { id: 'SKU-1005', title: 'Noise-Cancelling Headphones', price: 199.99 },
  { id: 'SKU-1006', title: 'Laptop Stand', price: 45.0 },
  { id: 'SKU-1007', title: 'Webcam 1080p', price: 59.9 },
  { id: 'SKU-1008', title: 'Desk Lamp', price: 32.0 },
];

const FIRST_NAMES = ['Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Mateo', 'Sofia', 'Lucas', 'Mia', 'Ethan', 'Amara', 'Kenji', 'Priya', 'Jonas', 'Chloé'];
const LAST_NAMES = ['Martin', 'Garcia', 'Müller', 'Rossi', 'Kim', 'Nguyen', 'Okafor', 'Silva', 'Novak', 'Larsen', 'Tanaka', 'Patel'];
const SOURCES = ['api-gateway', 'payment-service', 'inventory-service', 'auth-service', 'order-service', 'scheduler'];
const LOG_MESSAGES: Readonly<Record<SystemLogPayload['level'], readonly string[]>> = {
  info: ['Health check passed', 'Cache warmed in 412 ms', 'Nightly report generated', 'Configuration reloaded', 'Background job completed'],
  warning: ['Response time above 800 ms', 'Retrying payment provider call', 'Connection pool 85% used', 'Slow query on orders table'],
  error: ['Payment provider returned 502', 'Failed to send confirmation email', 'Inventory sync timed out', 'Database failover triggered'],
};
const NOTIFICATIONS: Readonly<Record<NotificationPayload['severity'], readonly string[]>> = {
  info: ['Scheduled maintenance on Sunday 02:00 UTC', 'New dashboard widgets are available', 'Weekly sales summary is ready'],
  success: ['Backup completed successfully', 'Deployment finished', 'Daily sales target reached'],
  warning: ['Low stock on several products', 'Unusual number of failed logins', 'Certificate expires in 14 days'],
  error: ['Checkout error rate above 2%', 'Email delivery is failing', 'Order export job failed'],
};

/**
 * Everything a generator carries from one event to the next, as plain JSON: a node that takes
 * over the simulator restores it, so order ids, stock and who is logged in continue across nodes.
 */
export interface GeneratorSnapshot {
  readonly nextOrderId: number;
  readonly nextNotificationId: number;
  readonly nextCustomerNumber: number;
  /** Stock per product id. */
  readonly stock: Readonly<Record<string, number>>;
  readonly customers: readonly Customer[];
}

/** Where a generator starts (tests may pick other numbers). */
export interface GeneratorStart {
  readonly orderId?: number;
  readonly notificationId?: number;
  readonly customers?: number;
}

/** Produces one consistent mock event after another. */
export class EventGenerator {
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #products: Product[];
  readonly #customers: Customer[] = [];
  #nextOrderId: number;
  #nextNotificationId: number;
  #nextCustomerNumber = 1001;

  constructor(random: () => number, now: () => number, start: GeneratorStart = {}) {
    this.#random = random;
    this.#now = now;
    this.#nextOrderId = start.orderId ?? 10_001;
    this.#nextNotificationId = start.notificationId ?? 1;
    this.#products = PRODUCTS.map((product) => ({ ...product, stock: randomInt(random, 20, 150) }));
    for (let index = 0; index < (start.customers ?? 8); index++) this.#addCustomer(index % 3 === 0);
  }

  /** The current stock of every product (what the next StockUpdate moves from). */
  get stock(): ReadonlyMap<string, number> {
    return new Map(this.#products.map((product) => [product.id, product.stock]));
  }

  /** The state the next event follows from. */
  snapshot(): GeneratorSnapshot {
    return {
      nextOrderId: this.#nextOrderId,
      nextNotificationId: this.#nextNotificationId,
      nextCustomerNumber: this.#nextCustomerNumber,
      stock: Object.fromEntries(this.#products.map((product) => [product.id, product.stock])),
      customers: this.#customers.map((customer) => ({ ...customer })),
    };
  }

  /**
   * Continues from `snapshot` (another generator's, e.g. of the node that led before). Products
   * it does not know keep their stock; a snapshot without customers keeps the current ones.
   */
  restore(snapshot: GeneratorSnapshot): void {
    this.#nextOrderId = snapshot.nextOrderId;
    this.#nextNotificationId = snapshot.nextNotificationId;
    this.#nextCustomerNumber = snapshot.nextCustomerNumber;
    for (const product of this.#products) {
      const stock = snapshot.stock[product.id];
      if (typeof stock === 'number' && Number.isFinite(stock)) product.stock = stock;
    }
    if (snapshot.customers.length > 0) this.#customers.splice(0, this.#customers.length, ...snapshot.customers.map((customer) => ({ ...customer })));
  }

  /** The next event, of `type` or of a random one. */
  next(type: EventType = pick(this.#random, EVENT_TYPES)): MockEvent {
    const timestamp = new Date(this.#now()).toISOString();
    switch (type) {
      case 'NewOrder': {
        const payload = this.#order();
        return { type, title: `New order #${payload.orderId}`, payload, timestamp };
      }
      case 'StockUpdate': {
        const payload = this.#stockUpdate();
        return { type, title: `Stock update: ${payload.productTitle}`, payload, timestamp };
      }
      case 'UserActivity': {
        const payload = this.#userActivity();
        return { type, title: `User ${payload.action}: ${payload.userName}`, payload, timestamp };
      }
      case 'SystemLog': {
        const payload = this.#systemLog();
        return { type, title: `${capitalize(payload.level)} from ${payload.source}`, payload, timestamp };
      }
      case 'Notification': {
        const payload = this.#notification();
        return { type, title: `Notification #${payload.notificationId}`, payload, timestamp };
      }
    }
  }

  #order(): NewOrderPayload {
    const random = this.#random;
    const lines = randomInt(random, 1, 3);
    const available = [...this.#products];
    const items: OrderItem[] = [];
    for (let index = 0; index < lines; index++) {
      const product = available.splice(Math.floor(random() * available.length), 1)[0]!;
      items.push({ productId: product.id, productTitle: product.title, quantity: randomInt(random, 1, 3), unitPrice: product.price });
    }
    const total = Math.round(items.reduce((sum, item) => sum + item.quantity * item.unitPrice * 100, 0)) / 100;
    const customer = pick(random, this.#customers);
    return { orderId: this.#nextOrderId++, userName: customer.name, total, currency: 'USD', itemCount: items.length, items };
  }

  #stockUpdate(): StockUpdatePayload {
    const random = this.#random;
    const product = pick(random, this.#products);
    const previousStock = product.stock;
    let reason: StockUpdatePayload['reason'];
    let newStock: number;
    if (previousStock < 10) {
      reason = 'restock';
      newStock = previousStock + randomInt(random, 25, 80);
    } else if (random() < 0.75) {
      reason = 'sale';
      newStock = Math.max(0, previousStock - randomInt(random, 1, 8));
    } else {
      reason = 'adjustment';
      newStock = previousStock + randomInt(random, -3, 12);
    }
    product.stock = Math.max(0, newStock);
    return { productId: product.id, productTitle: product.title, previousStock, newStock: product.stock, reason };
  }

  #userActivity(): UserActivityPayload {
    const random = this.#random;
    const online = this.#customers.filter((customer) => customer.online);
    const offline = this.#customers.filter((customer) => !customer.online);
    const roll = random();
    let customer: Customer;
    let action: UserActivityPayload['action'];
    if (roll < 0.15 || (online.length === 0 && offline.length === 0)) {
      customer = this.#addCustomer(true);
      action = 'signup';
    } else if ((roll < 0.6 && offline.length > 0) || online.length === 0) {
      customer = pick(random, offline);
      customer.online = true;
      action = 'login';
    } else {
      customer = pick(random, online);
      customer.online = false;
      action = 'logout';
    }
    return { userId: customer.id, userName: customer.name, action, ip: customer.ip };
  }

  #systemLog(): SystemLogPayload {
    const roll = this.#random();
    const level: SystemLogPayload['level'] = roll < 0.6 ? 'info' : roll < 0.9 ? 'warning' : 'error';
    return { level, message: pick(this.#random, LOG_MESSAGES[level]), source: pick(this.#random, SOURCES) };
  }

  #notification(): NotificationPayload {
    const roll = this.#random();
    const severity: NotificationPayload['severity'] = roll < 0.45 ? 'info' : roll < 0.7 ? 'success' : roll < 0.9 ? 'warning' : 'error';
    return { notificationId: this.#nextNotificationId++, severity, message: pick(this.#random, NOTIFICATIONS[severity]) };
  }

  #addCustomer(online: boolean): Customer {
    const random = this.#random;
    const name = `${pick(random, FIRST_NAMES)} ${pick(random, LAST_NAMES)}`;
    // Documentation address ranges (RFC 5737): realistic-looking, never a real host.
    const ip = `${pick(random, ['192.0.2', '198.51.100', '203.0.113'])}.${randomInt(random, 1, 254)}`;
    const customer: Customer = { id: `u-${this.#nextCustomerNumber++}`, name, ip, online };
    this.#customers.push(customer);
    return customer;
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
