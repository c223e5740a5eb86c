/**
 * Every transport × protocol pair the official Node client can use, through the same scenario:
 * invoke, send, groups, both streaming directions with cancel and error, client results.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { Hub, HubError, jsonHubProtocol, messagePackHubProtocol } from 'hubwire';
import { clientFor, signalR } from '../support/signalr-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { until, within } from '../support/wait.js';

let producerStopped = 0;

class MatrixHub extends Hub {
  echo(value: unknown) {
    return value;
  }
  async join(group: string) {
    await this.groups.add(this.context.connectionId, group);
  }
  async toGroup(group: string, text: string) {
    await this.clients.group(group).send('group', text);
  }
  async *ticks() {
    try {
      for (let i = 0; ; i++) {
        yield i;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      producerStopped++;
    }
  }
  async *failing() {
    yield 1;
    yield 2;
    throw new Error('producer broke');
  }
  async total(numbers: AsyncIterable<number>) {
    let sum = 0;
    for await (const n of numbers) sum += n;
    return sum;
  }
  async rejectUpload(numbers: AsyncIterable<number>) {
    try {
      for await (const n of numbers) void n;
    } catch (error) {
      throw new HubError(`upload failed: ${(error as Error).message}`);
    }
  }
  async ask() {
    return this.clients.caller.invoke('Question', 'six times seven?');
  }
}

const PAIRS = [
  ['WebSockets', 'json'],
  ['WebSockets', 'messagepack'],
  ['ServerSentEvents', 'json'],
  ['LongPolling', 'json'],
  ['LongPolling', 'messagepack'],
] as const;

// On node:http + ws, and on a uWebSockets.js app (attachUws): the same scenario, the same answers.
for (const engine of ['node', 'uws'] as const) describe(`transport × protocol matrix with the official client (${engine})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer((hw) => hw.mapHub('/matrix', MatrixHub), { protocols: [jsonHubProtocol, messagePackHubProtocol] }, engine);
  });
  after(() => server.close());

  for (const [transport, protocol] of PAIRS) {
    test(`${transport} + ${protocol}`, async () => {
      const build = () => {
        let builder = clientFor(server.url('/matrix'), { transport: signalR.HttpTransportType[transport] });
        if (protocol === 'messagepack') builder = builder.withHubProtocol(new MessagePackHubProtocol());
        return builder.build();
      };
      const a = build();
      const b = build();
      const groupMessages: string[] = [];
      a.on('group', (text: string) => void groupMessages.push(text));
      a.on('question', () => 42);
      await within(Promise.all([a.start(), b.start()]), 10_000, 'start');
      try {
        assert.deepEqual(await a.invoke('Echo', { list: [1, 'two', null] }), { list: [1, 'two', null] });

        await a.invoke('Join', 'g');
        await b.invoke('ToGroup', 'g', 'hello members');
        await b.send('ToGroup', 'g', 'sent, not invoked');
        await until(() => groupMessages.length === 2, 5000, 'group messages');
        assert.deepEqual(groupMessages, ['hello members', 'sent, not invoked']);

        // Cancel a stream that would never end.
        const stopped = producerStopped;
        const seen: number[] = [];
        const subscription = a.stream('Ticks').subscribe({ next: (i: number) => void seen.push(i), complete: () => undefined, error: () => undefined });
        await until(() => seen.length >= 3, 5000, 'stream items');
        subscription.dispose();
        await until(() => producerStopped === stopped + 1, 5000, 'the producer to stop');

        // A stream that fails after two items.
        const failed = await new Promise<{ items: number[]; error: string }>((resolve) => {
          const items: number[] = [];
          a.stream('Failing').subscribe({ next: (i: number) => void items.push(i), complete: () => resolve({ items, error: '' }), error: (e: Error) => resolve({ items, error: e.message }) });
        });
        assert.deepEqual(failed, { items: [1, 2], error: 'An error occurred on the server while streaming results.' });

        // Uploads: completed, and ended with an error by the client.
        const numbers = new signalR.Subject<number>();
        const totalling = a.invoke('Total', numbers);
        for (const n of [5, 6, 7]) numbers.next(n);
        numbers.complete();
        assert.equal(await within(totalling, 5000, 'total'), 18);
        const broken = new signalR.Subject<number>();
        const rejecting = a.invoke('RejectUpload', broken);
        broken.next(1);
        broken.error(new Error('client gave up'));
        await assert.rejects(within(rejecting, 5000, 'reject'), /HubException: upload failed: .*client gave up/);

        // A client result.
        assert.equal(await within(a.invoke('Ask'), 5000, 'client result'), 42);
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
    });
  }
});
