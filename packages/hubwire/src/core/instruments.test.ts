import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counters, Instruments, prometheusLabel, prometheusName, type InstrumentName } from './instruments.js';
import { createCounterMetrics, labelsWith, MetricNames, type MetricName } from './metrics.js';

describe('Instruments and Counters', () => {
  it('name the labels of every counter, each with hub', () => {
    assert.deepEqual(Object.keys(Counters).sort(), Object.keys(MetricNames).sort());
    for (const [name, info] of Object.entries(Counters)) assert.ok(info.labels.includes('hub'), name);
  });

  it('give every instrument hub, and every histogram ascending buckets', () => {
    for (const [name, info] of Object.entries(Instruments) as [InstrumentName, (typeof Instruments)[InstrumentName]][]) {
      assert.ok((info.labels as readonly string[]).includes('hub'), name);
      if (info.kind !== 'histogram') continue;
      const buckets = info.buckets;
      assert.ok(buckets.length > 0, name);
      for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]! > buckets[i - 1]!, name);
    }
  });

  it("keep ASP.NET Core's names, unit and buckets for its two instruments", () => {
    assert.equal(Instruments.activeConnections.otelName, 'signalr.server.active_connections');
    assert.equal(Instruments.activeConnections.unit, '{connection}');
    assert.equal(Instruments.connectionDuration.otelName, 'signalr.server.connection.duration');
    assert.equal(Instruments.connectionDuration.meter, 'Microsoft.AspNetCore.Http.Connections');
    assert.deepEqual(Instruments.connectionDuration.buckets, [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]);
  });
});

describe('prometheusName', () => {
  it('turns OTel names into their Prometheus form with the unit suffix', () => {
    assert.equal(prometheusName('activeConnections'), 'signalr_server_active_connections');
    assert.equal(prometheusName('connectionDuration'), 'signalr_server_connection_duration_seconds');
  });

  it("names Hubwire's own hubwire_<snake>, with the unit once and _total on counters", () => {
    const cases: [InstrumentName | MetricName, string][] = [
      ['invocationDuration', 'hubwire_invocation_duration_seconds'],
      ['fanOut', 'hubwire_fan_out'],
      ['outboundBufferBytes', 'hubwire_outbound_buffer_bytes'],
      ['sentMessageSize', 'hubwire_sent_message_size_bytes'],
      ['messagesSent', 'hubwire_messages_sent_total'],
      ['sentBytes', 'hubwire_sent_bytes_total'],
      ['slowConsumerDisconnects', 'hubwire_slow_consumer_disconnects_total'],
    ];
    for (const [name, expected] of cases) assert.equal(prometheusName(name), expected);
  });

  it('gives distinct names to every counter and instrument', () => {
    const names = [...Object.keys(Counters), ...Object.keys(Instruments)].map((n) => prometheusName(n as MetricName));
    assert.equal(new Set(names).size, names.length);
    for (const name of names) assert.match(name, /^[a-z_][a-z0-9_]*$/);
  });

  it('writes dotted label names with underscores', () => {
    assert.equal(prometheusLabel('signalr.connection.status'), 'signalr_connection_status');
    assert.equal(prometheusLabel('hub'), 'hub');
  });
});

describe('createCounterMetrics', () => {
  it('counts per label value, also when the same frozen label object comes again (its slots are cached)', () => {
    const metrics = createCounterMetrics();
    const json = Object.freeze({ hub: '/a', protocol: 'json' });
    metrics.increment('sentBytes', json, 10);
    metrics.increment('sentBytes', json, 5);
    metrics.increment('sentBytes', { hub: '/a', protocol: 'messagepack' }, 1);
    metrics.increment('sentBytes', labelsWith({ hub: '/b' }, 'protocol', 'json'), 2);
    assert.equal(metrics.totals().sentBytes, 18);
    assert.equal(metrics.byLabel('hub', '/a').sentBytes, 16);
    assert.equal(metrics.byLabel('protocol', 'json').sentBytes, 17);
    assert.equal(metrics.byLabel('protocol', 'messagepack').sentBytes, 1);
  });

  it('labelsWith builds one frozen object per base and pair', () => {
    const base = Object.freeze({ hub: '/h' });
    const a = labelsWith(base, 'reason', 'x');
    assert.equal(labelsWith(base, 'reason', 'x'), a);
    assert.notEqual(labelsWith(base, 'reason', 'y'), a);
    assert.deepEqual(a, { hub: '/h', reason: 'x' });
    assert.ok(Object.isFrozen(a));
  });
});
