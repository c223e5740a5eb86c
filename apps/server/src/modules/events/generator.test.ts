import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom } from '../../random.js';
import { EVENT_TYPES, EventGenerator, type MockEvent } from './generator.js';

const T0 = Date.UTC(2025, 0, 1);

function stream(seed: number, count: number): MockEvent[] {
  let now = T0;
  const generator = new EventGenerator(seededRandom(seed), () => (now += 1000));
  return Array.from({ length: count }, () => generator.next());
}

describe('EventGenerator', () => {
  test('a seed gives the same stream', () => {
    assert.deepEqual(stream(7, 50), stream(7, 50));
    assert.notDeepEqual(stream(7, 50), stream(8, 50));
  });

  test('every type appears, with the shape of its payload', () => {
    const events = stream(1, 300);
    assert.deepEqual(new Set(events.map((event) => event.type)), new Set(EVENT_TYPES));
    for (const event of events) {
      assert.equal(typeof event.title, 'string');
      assert.ok(event.title.length > 0);
      assert.equal(new Date(event.timestamp).toISOString(), event.timestamp);
      switch (event.type) {
        case 'NewOrder': {
          const { orderId, userName, total, itemCount, items } = event.payload;
          assert.ok(Number.isInteger(orderId));
          assert.ok(userName.length > 0);
          assert.ok(itemCount >= 1 && itemCount <= 3);
          assert.equal(items.length, itemCount);
          assert.equal(new Set(items.map((item) => item.productId)).size, itemCount, 'one line per product');
          const sum = Math.round(items.reduce((acc, item) => acc + item.quantity * item.unitPrice * 100, 0)) / 100;
          assert.equal(total, sum, 'the total is the sum of the lines');
          break;
        }
        case 'StockUpdate':
          assert.ok(event.payload.newStock >= 0 && event.payload.previousStock >= 0);
          assert.ok(['sale', 'restock', 'adjustment'].includes(event.payload.reason));
          break;
        case 'UserActivity':
          assert.ok(['login', 'logout', 'signup'].includes(event.payload.action));
          assert.match(event.payload.ip, /^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}$/);
          break;
        case 'SystemLog':
          assert.ok(['info', 'warning', 'error'].includes(event.payload.level));
          assert.ok(event.payload.message.length > 0 && event.payload.source.length > 0);
          break;
        case 'Notification':
          assert.ok(['info', 'success', 'warning', 'error'].includes(event.payload.severity));
          break;
      }
    }
  });

  test('order and notification ids grow by one; timestamps follow the clock', () => {
    const events = stream(2, 400);
    const orders = events.flatMap((event) => (event.type === 'NewOrder' ? [event.payload.orderId] : []));
    assert.ok(orders.length > 10);
    orders.forEach((id, index) => assert.equal(id, orders[0]! + index));
    const notifications = events.flatMap((event) => (event.type === 'Notification' ? [event.payload.notificationId] : []));
    notifications.forEach((id, index) => assert.equal(id, notifications[0]! + index));
    const times = events.map((event) => Date.parse(event.timestamp));
    times.forEach((time, index) => index > 0 && assert.ok(time > times[index - 1]!));
  });

  test('stock moves from its last value, product by product', () => {
    const generator = new EventGenerator(seededRandom(3), () => T0);
    const last = new Map(generator.stock);
    for (let index = 0; index < 500; index++) {
      const event = generator.next('StockUpdate');
      assert.equal(event.type, 'StockUpdate');
      if (event.type !== 'StockUpdate') continue;
      assert.equal(event.payload.previousStock, last.get(event.payload.productId), `${event.payload.productId} moves from its last value`);
      if (event.payload.reason === 'restock') assert.ok(event.payload.newStock > event.payload.previousStock);
      if (event.payload.reason === 'sale') assert.ok(event.payload.newStock <= event.payload.previousStock);
      last.set(event.payload.productId, event.payload.newStock);
    }
    assert.deepEqual(new Map(generator.stock), last);
  });

  test('users log in only when out, log out only when in; sign-ups get new ids', () => {
    const generator = new EventGenerator(seededRandom(4), () => T0, { customers: 0 });
    const online = new Map<string, boolean>();
    const ips = new Map<string, string>();
    for (let index = 0; index < 500; index++) {
      const event = generator.next('UserActivity');
      if (event.type !== 'UserActivity') continue;
      const { userId, action, ip } = event.payload;
      if (action === 'signup') assert.equal(online.has(userId), false, 'a sign-up is a new user');
      else assert.equal(online.get(userId), action === 'logout', `${action} of ${userId}`);
      online.set(userId, action !== 'logout');
      if (ips.has(userId)) assert.equal(ips.get(userId), ip, 'a user keeps its address');
      ips.set(userId, ip);
    }
  });

  test('a generator restored from another one\'s snapshot continues its stream', () => {
    const first = new EventGenerator(seededRandom(5), () => T0);
    const before = Array.from({ length: 200 }, () => first.next());
    const second = new EventGenerator(seededRandom(6), () => T0, { orderId: 1, notificationId: 1 });
    second.restore(JSON.parse(JSON.stringify(first.snapshot())));
    assert.deepEqual(second.snapshot(), first.snapshot());
    const after = Array.from({ length: 200 }, () => second.next());
    const orders = [...before, ...after].flatMap((event) => (event.type === 'NewOrder' ? [event.payload.orderId] : []));
    orders.forEach((id, index) => index > 0 && assert.equal(id, orders[index - 1]! + 1));
    const stock = new Map<string, number>();
    const online = new Map<string, boolean>();
    for (const event of [...before, ...after]) {
      if (event.type === 'StockUpdate') {
        const previous = stock.get(event.payload.productId);
        if (previous !== undefined) assert.equal(event.payload.previousStock, previous);
        stock.set(event.payload.productId, event.payload.newStock);
      }
      if (event.type === 'UserActivity' && event.payload.action !== 'signup' && online.has(event.payload.userId)) {
        assert.equal(online.get(event.payload.userId), event.payload.action === 'logout');
      }
      if (event.type === 'UserActivity') online.set(event.payload.userId, event.payload.action !== 'logout');
    }
  });
});
