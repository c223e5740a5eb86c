/**
 * What one read produces leaves in one write: a WebSocket frame that holds several invocations
 * gets its Completions back in one frame, in order, and messages a method sends to its caller
 * share the frame of its Completion. Both hub protocols allow several records per frame; the
 * official JSON and MessagePack clients must read them all.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { Hub, jsonHubProtocol, messagePackHubProtocol } from 'hubwire';
import { stopAll } from '../support/e2e.js';
import { FrameTap } from '../support/frame-tap.js';
import { RawClient, RS } from '../support/raw-client.js';
import { clientFor, type signalR } from '../support/signalr-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { within } from '../support/wait.js';

interface NoteClient {
  note(n: number): void;
}

class CoalescingHub extends Hub<NoteClient> {
  double(n: number): number {
    return n * 2;
  }

  /** Two notes to the caller, then the answer: three messages out of one read. */
  noteTwice(n: number): number {
    void this.clients.caller.note(n);
    void this.clients.caller.note(n + 1);
    return n;
  }
}

let server: TestServer;
const open = new Set<signalR.HubConnection>();

before(async () => {
  server = await startTestServer((hubwire) => hubwire.mapHub('/hub', CoalescingHub), { protocols: [jsonHubProtocol, messagePackHubProtocol] });
});

after(async () => {
  await stopAll(open);
  await within(server.close(), 5000, 'server close');
});

const invocation = (id: string, n: number) => JSON.stringify({ type: 1, invocationId: id, target: 'double', arguments: [n] }) + RS;

describe('the writes of one read', () => {
  test('three invocations in one frame are answered in one frame, in order', async () => {
    const client = await RawClient.handshaken(server.wsUrl('/hub'));
    try {
      client.send(invocation('1', 1) + invocation('2', 2) + invocation('3', 3));
      const frame = await client.next();
      const records = frame.text.split(RS);
      assert.equal(records.pop(), '', 'every record ends with the separator');
      assert.deepEqual(
        records.map((record) => JSON.parse(record) as unknown),
        [1, 2, 3].map((n) => ({ type: 3, invocationId: String(n), result: n * 2 })),
      );
    } finally {
      client.socket.terminate();
      await client.closed;
    }
  });

  for (const protocol of ['json', 'messagepack'] as const) {
    test(`the official ${protocol} client reads a caller's messages and the Completion from one frame`, async () => {
      const tap = new FrameTap();
      const builder = clientFor(server.url('/hub'), tap.options());
      if (protocol === 'messagepack') builder.withHubProtocol(new MessagePackHubProtocol());
      const connection = builder.build();
      const notes: number[] = [];
      connection.on('note', (n: number) => notes.push(n));
      await within(connection.start(), 5000, `${protocol} client start`);
      open.add(connection);
      const before = tap.last.dataFrames.length;
      const answer = await within(connection.invoke<number>('noteTwice', 7), 5000, 'noteTwice');
      assert.equal(answer, 7);
      assert.deepEqual(notes, [7, 8], 'both notes handled, before the Completion resolved the call');
      assert.equal(tap.last.dataFrames.length - before, 1, 'two invocations and the Completion in one frame');
    });
  }
});
