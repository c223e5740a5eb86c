import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MockEvent } from '../../apps/server/src/modules/events/generator.js';
import { createEventsModule } from '../../apps/server/src/modules/events/index.js';
import { seededRandom } from '../../apps/server/src/random.js';
import { nextMessage } from '../support/e2e.js';
import { FakeClock } from '../support/fake-clock.js';
import { until, within } from '../support/wait.js';
import { signalR, startTestApp, type TestApp } from './support.js';

describe('/hubs/events', () => {
  let server: TestApp;
  const clock = new FakeClock(Date.UTC(2025, 5, 1, 12));
  const events = createEventsModule();

  before(async () => {
    server = await startTestApp({ EVENTS_ENABLED: 'true', EVENTS_MIN_DELAY_MS: '2000', EVENTS_MAX_DELAY_MS: '8000' }, { clock, random: seededRandom(11), modules: [events] });
  });
  after(() => server.stop());

  test('an anonymous client gets Connected {message, timestamp} on connect', async () => {
    const connection = new signalR.HubConnectionBuilder().withUrl(server.url('/hubs/events')).configureLogging(signalR.LogLevel.None).build();
    const connected = nextMessage(connection, 'Connected');
    try {
      await within(connection.start(), 5000, 'start');
      const [info] = (await connected) as [{ message: string; timestamp: string }];
      assert.equal(typeof info.message, 'string');
      assert.ok(info.message.length > 0);
      assert.equal(info.timestamp, new Date(clock.now()).toISOString());
    } finally {
      await within(connection.stop(), 5000, 'stop');
    }
  });

  test('the broadcaster waits 2-8 s between events and sends ReceiveEvent to everyone', async () => {
    const a = await server.connect('/hubs/events');
    const b = await server.connect('/hubs/events');
    const toA: MockEvent[] = [];
    const toB: MockEvent[] = [];
    a.on('ReceiveEvent', (event: MockEvent) => toA.push(event));
    b.on('ReceiveEvent', (event: MockEvent) => toB.push(event));
    const simulator = events.simulator!;
    assert.equal(simulator.running, true);
    const before = simulator.sent;
    clock.advance(1999);
    assert.equal(simulator.sent, before, 'nothing before the minimum delay');
    clock.advance(6001);
    assert.equal(simulator.sent, before + 1, 'one event by the maximum delay');
    await until(() => toA.length === 1 && toB.length === 1, 5000, 'the event at both clients');
    assert.deepEqual(toA[0], toB[0]);
    for (let step = 0; step < 640; step++) clock.advance(500);
    const sent = simulator.sent - before;
    assert.ok(sent >= 1 + 320_000 / 8000 && sent <= 1 + 320_000 / 2000, `${sent} events in 328 s`);
    await until(() => toA.length === sent && toB.length === sent, 5000, 'every event at both clients');
    assert.deepEqual(toA, toB);
    const times = toA.map((event) => Date.parse(event.timestamp));
    for (let index = 1; index < times.length; index++) {
      const gap = times[index]! - times[index - 1]!;
      assert.ok(gap >= 2000 && gap <= 8000, `gap ${gap} ms`);
    }
  });

  test('the stream a client sees is consistent: orders grow, stock moves from its last value', async () => {
    const client = await server.connect('/hubs/events');
    const seen: MockEvent[] = [];
    client.on('ReceiveEvent', (event: MockEvent) => seen.push(event));
    const simulator = events.simulator!;
    for (let index = 0; index < 60; index++) await simulator.emit(index % 2 === 0 ? 'StockUpdate' : 'NewOrder');
    await until(() => seen.length === 60, 5000, '60 events');
    const orders = seen.flatMap((event) => (event.type === 'NewOrder' ? [event.payload.orderId] : []));
    orders.forEach((id, index) => index > 0 && assert.equal(id, orders[index - 1]! + 1));
    const stock = new Map<string, number>();
    for (const event of seen) {
      if (event.type !== 'StockUpdate') continue;
      const previous = stock.get(event.payload.productId);
      if (previous !== undefined) assert.equal(event.payload.previousStock, previous);
      stock.set(event.payload.productId, event.payload.newStock);
    }
  });

  test('GetRecentEvents returns the latest events, oldest first', async () => {
    const client = await server.connect('/hubs/events');
    const last = await events.simulator!.emit('Notification');
    const recent = (await within(client.invoke('GetRecentEvents'), 5000, 'invoke')) as MockEvent[];
    assert.ok(recent.length > 0 && recent.length <= 20);
    assert.deepEqual(recent[recent.length - 1], last);
  });

  test('stopping the app stops the broadcaster', async () => {
    const module = createEventsModule();
    const other = await startTestApp({ EVENTS_ENABLED: 'true' }, { clock: new FakeClock(), modules: [module] });
    assert.equal(module.simulator!.running, true);
    await other.stop();
    assert.equal(module.simulator!.running, false);
    assert.equal(other.app.state, 'stopped');
  });
});
