/**
 * Binary and Date values as the official clients receive them: over the JSON protocol a
 * Buffer/Uint8Array is a base64 string (as System.Text.Json writes `byte[]`) and a Date an
 * ISO-8601 string; over MessagePack bytes stay bytes and Dates stay timestamps.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { Hub, jsonHubProtocol, messagePackHubProtocol } from 'hubwire';
import { nextMessage, stopAll } from '../support/e2e.js';
import { clientFor, signalR } from '../support/signalr-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { within } from '../support/wait.js';

const BYTES = [0, 1, 2, 253, 254, 255];
const WHEN = new Date(Date.UTC(2026, 11, 1, 9, 30, 15, 250));

interface FilesClient {
  file(name: string, content: Uint8Array): void;
}

class FilesHub extends Hub<FilesClient> {
  buffer(): Buffer {
    return Buffer.from(BYTES);
  }
  uint8Array(): Uint8Array {
    return new Uint8Array(BYTES);
  }
  record(): { name: string; content: Buffer; savedAt: Date } {
    return { name: 'a.bin', content: Buffer.from(BYTES), savedAt: WHEN };
  }
  async *chunks(): AsyncGenerator<Buffer> {
    yield Buffer.from(BYTES.slice(0, 3));
    yield Buffer.from(BYTES.slice(3));
  }
  async broadcast(): Promise<void> {
    await this.clients.all.file('a.bin', Buffer.from(BYTES));
  }
}

let server: TestServer;
const open: signalR.HubConnection[] = [];

async function connect(messagePack: boolean): Promise<signalR.HubConnection> {
  const builder = clientFor(server.url('/files'));
  if (messagePack) builder.withHubProtocol(new MessagePackHubProtocol());
  const connection = builder.build();
  open.push(connection);
  await within(connection.start(), 5000, 'start');
  return connection;
}

async function collect<T>(stream: signalR.IStreamResult<T>): Promise<T[]> {
  return within(
    new Promise<T[]>((resolve, reject) => {
      const items: T[] = [];
      stream.subscribe({ next: (item) => void items.push(item), complete: () => resolve(items), error: reject });
    }),
  );
}

before(async () => {
  server = await startTestServer((hw) => hw.mapHub('/files', FilesHub, { protocols: [jsonHubProtocol, messagePackHubProtocol] }));
});

after(async () => {
  await stopAll(open);
  await within(server.close(), 5000, 'server close');
});

describe('JSON protocol', () => {
  const base64 = Buffer.from(BYTES).toString('base64');

  test('a Buffer or Uint8Array result arrives as a base64 string', async () => {
    const connection = await connect(false);
    assert.equal(await within(connection.invoke('Buffer')), base64);
    assert.equal(await within(connection.invoke('Uint8Array')), base64);
  });

  test('nested in an object, next to a Date (an ISO-8601 string)', async () => {
    const connection = await connect(false);
    assert.deepEqual(await within(connection.invoke('Record')), { name: 'a.bin', content: base64, savedAt: '2026-12-01T09:30:15.250Z' });
  });

  test('stream items and broadcast arguments too', async () => {
    const connection = await connect(false);
    assert.deepEqual(await collect(connection.stream<string>('Chunks')), ['AAEC', '/f7/']);
    const received = nextMessage(connection, 'file');
    await within(connection.invoke('Broadcast'));
    assert.deepEqual(await received, ['a.bin', base64]);
  });
});

describe('MessagePack protocol (unchanged)', () => {
  test('bytes arrive as a Uint8Array and Dates as Dates', async () => {
    const connection = await connect(true);
    const bytes = await within(connection.invoke<Uint8Array>('Buffer'));
    assert.ok(bytes instanceof Uint8Array);
    assert.deepEqual([...bytes], BYTES);
    const record = await within(connection.invoke<{ name: string; content: Uint8Array; savedAt: Date }>('Record'));
    assert.ok(record.content instanceof Uint8Array);
    assert.deepEqual([...record.content], BYTES);
    assert.ok(record.savedAt instanceof Date);
    assert.equal(record.savedAt.getTime(), WHEN.getTime());
    const received = nextMessage(connection, 'file');
    await within(connection.invoke('Broadcast'));
    const [, content] = await received;
    assert.ok(content instanceof Uint8Array);
    assert.deepEqual([...content], BYTES);
  });
});
