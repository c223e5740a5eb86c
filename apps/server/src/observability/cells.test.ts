import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { MetricCells } from './cells.js';
import { exposeToPrometheus } from './prometheus.js';
import { allSpecs } from './specs.js';

const silent = pino({ level: 'silent' });

function setUp() {
  const cells = new MetricCells(allSpecs());
  const registry = new Registry();
  exposeToPrometheus(cells, registry, silent);
  const lines = async (prefix: string) => (await registry.metrics()).split('\n').filter((line) => line.startsWith(prefix));
  return { cells, registry, lines };
}

describe('MetricCells', () => {
  test('counts per label set, whether the same object comes back or an equal one', () => {
    const { cells } = setUp();
    const chat = Object.freeze({ hub: '/hubs/chat', protocol: 'json' });
    cells.increment('messagesSent', chat, 3);
    cells.increment('messagesSent', chat);
    cells.increment('messagesSent', { hub: '/hubs/chat', protocol: 'json' }, 2);
    cells.increment('messagesSent', { hub: '/hubs/chat', protocol: 'messagepack' });
    const series = [...cells.values('messagesSent')].map((one) => [one.labels, one.value]);
    assert.deepEqual(series, [
      [{ hub: '/hubs/chat', protocol: 'json' }, 6],
      [{ hub: '/hubs/chat', protocol: 'messagepack' }, 1],
    ]);
  });

  test('label objects that alternate call by call each reach their own series (the last-call shortcut)', () => {
    const { cells } = setUp();
    const json = Object.freeze({ hub: '/hubs/chat', protocol: 'json' });
    const pack = Object.freeze({ hub: '/hubs/chat', protocol: 'messagepack' });
    const sequence = [json, json, pack, json, pack, pack, undefined, json];
    for (const labels of sequence) cells.increment('messagesSent', labels);
    const send = Object.freeze({ hub: '/hubs/chat', method: 'Send' });
    const join = Object.freeze({ hub: '/hubs/chat', method: 'Join' });
    cells.record('invocationDuration', 0.002, send);
    cells.record('invocationDuration', 0.25, join);
    cells.record('invocationDuration', 0.004, send);
    const counts = [...cells.values('messagesSent')].map((one) => [one.labels.protocol ?? '-', one.value]);
    assert.deepEqual(counts, [['json', 4], ['messagepack', 3], ['-', 1]]);
    const histograms = [...cells.histogram('invocationDuration').series].map((one) => [one.labels.method, one.count, one.sum]);
    assert.deepEqual(histograms, [['Send', 2, 0.006], ['Join', 1, 0.25]]);
  });

  test('drops labels the table does not declare, and names no table knows', async () => {
    const { cells, lines } = setUp();
    cells.increment('clientTimeouts', { hub: '/hubs/a', connectionId: 'abc123' });
    cells.increment('noSuchCounter' as 'clientTimeouts', { hub: '/hubs/a' });
    assert.deepEqual(await lines('hubwire_client_timeouts_total'), ['hubwire_client_timeouts_total{hub="/hubs/a"} 1']);
  });

  test('totals and byLabel read like createCounterMetrics', () => {
    const { cells } = setUp();
    cells.increment('invocations', { hub: '/hubs/a', method: 'send' }, 2);
    cells.increment('invocations', { hub: '/hubs/b', method: 'send' });
    cells.increment('restRequests', { method: 'GET', route: '/healthz', status: '200' });
    assert.equal(cells.totals().invocations, 3);
    assert.equal(cells.totals().connectionsOpened, 0);
    assert.equal('restRequests' in cells.totals(), false, "the app's own are not Hubwire's totals");
    assert.deepEqual(cells.byLabel('hub', '/hubs/b'), { invocations: 1 });
  });

  test('histograms: le is inclusive, buckets cumulative, sum and count', async () => {
    const { cells, lines } = setUp();
    const labels = { hub: '/hubs/a' };
    for (const value of [0, 1, 1, 2, 3, 60_000]) cells.record('fanOut', value, labels);
    const text = await lines('hubwire_fan_out');
    assert.ok(text.includes('hubwire_fan_out_bucket{hub="/hubs/a",le="0"} 1'), text.join('\n'));
    assert.ok(text.includes('hubwire_fan_out_bucket{hub="/hubs/a",le="1"} 3'));
    assert.ok(text.includes('hubwire_fan_out_bucket{hub="/hubs/a",le="2"} 4'));
    assert.ok(text.includes('hubwire_fan_out_bucket{hub="/hubs/a",le="5"} 5'));
    assert.ok(text.includes('hubwire_fan_out_bucket{hub="/hubs/a",le="50000"} 5'));
    assert.ok(text.includes('hubwire_fan_out_bucket{hub="/hubs/a",le="+Inf"} 6'));
    assert.ok(text.includes('hubwire_fan_out_sum{hub="/hubs/a"} 60007'));
    assert.ok(text.includes('hubwire_fan_out_count{hub="/hubs/a"} 6'));
  });

  test('up-down counters go both ways; label names with dots become underscores', async () => {
    const { cells, lines } = setUp();
    const ws = { hub: '/hubs/a', 'signalr.transport': 'web_sockets' };
    cells.record('activeConnections', 1, ws);
    cells.record('activeConnections', 1, ws);
    cells.record('activeConnections', -1, ws);
    assert.deepEqual(await lines('signalr_server_active_connections{'), ['signalr_server_active_connections{hub="/hubs/a",signalr_transport="web_sockets"} 1']);
  });

  test('gauges are read at collection time; a failing callback leaves out only its values; unregistering removes them', async () => {
    const { cells, lines } = setUp();
    let groups = 2;
    const off = cells.observe('groups', (report) => report(groups, { hub: '/hubs/a' }));
    cells.observe('groups', () => {
      throw new Error('broken source');
    });
    cells.observe('groups', (report) => report(7, { hub: '/hubs/b' }));
    assert.deepEqual(await lines('hubwire_groups{'), ['hubwire_groups{hub="/hubs/a"} 2', 'hubwire_groups{hub="/hubs/b"} 7']);
    groups = 5;
    assert.deepEqual(await lines('hubwire_groups{'), ['hubwire_groups{hub="/hubs/a"} 5', 'hubwire_groups{hub="/hubs/b"} 7']);
    off();
    assert.deepEqual(await lines('hubwire_groups{'), ['hubwire_groups{hub="/hubs/b"} 7']);
  });

  test('a histogram listener sees each observation with the declared labels only', () => {
    const { cells } = setUp();
    const seen: [number, Record<string, string>][] = [];
    const off = cells.listen('invocationDuration', (value, labels) => seen.push([value, { ...labels }]));
    cells.record('invocationDuration', 0.5, { hub: '/hubs/a', method: 'send', user: 'jane' });
    off();
    cells.record('invocationDuration', 0.25, { hub: '/hubs/a', method: 'send' });
    assert.deepEqual(seen, [[0.5, { hub: '/hubs/a', method: 'send' }]]);
    assert.equal([...cells.histogram('invocationDuration').series][0]!.count, 2);
  });
});
