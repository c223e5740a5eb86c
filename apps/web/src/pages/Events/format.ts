/**
 * How each kind of event reads on the page: a one-line summary, the details worth a second line,
 * and a tone (good, warning, bad) for the badge.
 * @module
 */
import type { ShopEvent, ShopEventType } from '../../hubs/contracts';

/** The colour an event is shown in. */
export type Tone = 'ok' | 'info' | 'warn' | 'bad' | 'neutral';

/** An event as the page shows it. */
export interface FormattedEvent {
  readonly label: string;
  readonly summary: string;
  /** Extra lines (an order's items, a log's source). */
  readonly details: readonly string[];
  readonly tone: Tone;
}

/** The name of each type on the page. */
export const TYPE_LABELS: Readonly<Record<ShopEventType, string>> = {
  NewOrder: 'Order',
  StockUpdate: 'Stock',
  UserActivity: 'User',
  SystemLog: 'Log',
  Notification: 'Notice',
};

/** Stock at or under this is shown as a warning. */
export const LOW_STOCK = 10;

const money = (amount: number, currency: string) => {
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
};

const signed = (delta: number) => (delta > 0 ? `+${delta}` : String(delta));

const ACTIONS = { login: 'logged in', logout: 'logged out', signup: 'signed up' } as const;

const TONE_OF_LEVEL = { info: 'info', success: 'ok', warning: 'warn', error: 'bad' } as const;

/** The summary, details and tone of `event`. */
export function formatEvent(event: ShopEvent): FormattedEvent {
  const label = TYPE_LABELS[event.type];
  switch (event.type) {
    case 'NewOrder': {
      const { orderId, userName, total, currency, items, itemCount } = event.payload;
      return {
        label,
        summary: `Order #${orderId} by ${userName}: ${money(total, currency)} (${itemCount} ${itemCount === 1 ? 'line' : 'lines'})`,
        details: items.map((item) => `${item.quantity} × ${item.productTitle} at ${money(item.unitPrice, currency)}`),
        tone: 'ok',
      };
    }
    case 'StockUpdate': {
      const { productTitle, productId, previousStock, newStock, reason } = event.payload;
      return {
        label,
        summary: `${productTitle}: ${previousStock} → ${newStock} (${signed(newStock - previousStock)}, ${reason})`,
        details: [newStock <= LOW_STOCK ? `${productId}: low stock` : productId],
        tone: newStock <= LOW_STOCK ? 'warn' : 'neutral',
      };
    }
    case 'UserActivity': {
      const { userName, userId, action, ip } = event.payload;
      return { label, summary: `${userName} ${ACTIONS[action] ?? action}`, details: [`${userId} from ${ip}`], tone: action === 'signup' ? 'ok' : 'neutral' };
    }
    case 'SystemLog': {
      const { level, source, message } = event.payload;
      return { label, summary: `${level.toUpperCase()} ${message}`, details: [`source: ${source}`], tone: TONE_OF_LEVEL[level] ?? 'neutral' };
    }
    case 'Notification': {
      const { severity, message, notificationId } = event.payload;
      return { label, summary: message, details: [`#${notificationId} · ${severity}`], tone: TONE_OF_LEVEL[severity] ?? 'neutral' };
    }
    default: {
      const unknown = event as { title?: unknown };
      return { label: 'Event', summary: String(unknown.title ?? ''), details: [], tone: 'neutral' };
    }
  }
}

/** The local time of an ISO timestamp (empty for a broken one). */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString();
}
