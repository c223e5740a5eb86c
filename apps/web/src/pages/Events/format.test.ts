import { describe, expect, it } from 'vitest';
import type { ShopEvent } from '../../hubs/contracts';
import { formatEvent, formatTime, LOW_STOCK } from './format';

const timestamp = '2026-12-01T12:00:00.000Z';

describe('formatEvent', () => {
  it('an order: number, customer, total and its lines', () => {
    const event: ShopEvent = {
      type: 'NewOrder',
      title: 'New order #10001',
      timestamp,
      payload: {
        orderId: 10001,
        userName: 'Olivia Martin',
        total: 138.98,
        currency: 'USD',
        itemCount: 2,
        items: [
          { productId: 'SKU-1001', productTitle: 'Wireless Mouse', quantity: 2, unitPrice: 24.99 },
          { productId: 'SKU-1002', productTitle: 'Mechanical Keyboard', quantity: 1, unitPrice: 89 },
        ],
      },
    };
    expect(formatEvent(event)).toEqual({
      label: 'Order',
      summary: 'Order #10001 by Olivia Martin: $138.98 (2 lines)',
      details: ['2 × Wireless Mouse at $24.99', '1 × Mechanical Keyboard at $89.00'],
      tone: 'ok',
    });
  });

  it('a stock update: the move and its reason; low stock is a warning', () => {
    const stock = (newStock: number): ShopEvent => ({ type: 'StockUpdate', title: 'Stock', timestamp, payload: { productId: 'SKU-1003', productTitle: 'USB-C Hub', previousStock: 40, newStock, reason: newStock < 40 ? 'sale' : 'restock' } });
    expect(formatEvent(stock(38))).toMatchObject({ summary: 'USB-C Hub: 40 → 38 (-2, sale)', tone: 'neutral' });
    expect(formatEvent(stock(60))).toMatchObject({ summary: 'USB-C Hub: 40 → 60 (+20, restock)' });
    expect(formatEvent(stock(LOW_STOCK))).toMatchObject({ tone: 'warn', details: ['SKU-1003: low stock'] });
  });

  it('user activity, logs and notifications, toned by level and severity', () => {
    expect(formatEvent({ type: 'UserActivity', title: 'x', timestamp, payload: { userId: 'u-1001', userName: 'Kenji Tanaka', action: 'login', ip: '10.0.0.7' } })).toMatchObject({
      summary: 'Kenji Tanaka logged in',
      details: ['u-1001 from 10.0.0.7'],
    });
    expect(formatEvent({ type: 'SystemLog', title: 'x', timestamp, payload: { level: 'error', message: 'Inventory sync timed out', source: 'inventory-service' } })).toEqual({
      label: 'Log',
      summary: 'ERROR Inventory sync timed out',
      details: ['source: inventory-service'],
      tone: 'bad',
    });
    expect(formatEvent({ type: 'Notification', title: 'x', timestamp, payload: { notificationId: 7, severity: 'warning', message: 'Low stock on several products' } })).toMatchObject({
      summary: 'Low stock on several products',
      details: ['#7 · warning'],
      tone: 'warn',
    });
  });
});

describe('formatTime', () => {
  it('is empty for a broken timestamp', () => {
    expect(formatTime('not a time')).toBe('');
    expect(formatTime(timestamp)).not.toBe('');
  });
});
