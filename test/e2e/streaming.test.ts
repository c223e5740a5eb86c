/**
 * Server-to-client streams and client-to-server upload streams, driven by the official
 * @microsoft/signalr client (WebSockets + JSON) against a real server.
 * Reference: signalr-protocol.md §8.1, §8.2, §12; cases M7–M12, M28 of §15.4.
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Hub } from 'hubwire';
import { stopAll } from '../support/e2e.js';
import { Deferred } from '../support/deferred.js';
import { signalR } from '../support/signalr-client.js';
import { startTapped, type TappedSocket } from '../support/socket-tap.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { within } from '../support/wait.js';

const CAPACITY = 10; // the default streamBufferCapacity

/** What the hub saw, reset before every test. */
class Probe {
  produced = 0;
  producedAtAbort = -1;
  readonly abortSeen = new Deferred();
  /** Resolves with `produced` when a producer's `finally` ran. */
  readonly finished = new Deferred<number>();
  /** The error a producer's wait failed with once the signal aborted. */
  waitError: unknown;
  /** Items the slow upload reader has taken. */
  read = 0;
  readonly releaseReader = new Deferred();
  /** `read` when `mark` ran; undefined until it runs. */
  readAtMark: number | undefined;
  readonly marked = new Deferred();
  /** Plain methods that were entered, by name. */
  readonly entered: string[] = [];
}
let probe = new Probe();

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const list: T[] = [];
  for await (const item of items) list.push(item);
  return list;
}

class StreamHub extends Hub {
  add(a: number, b: number): number {
    probe.entered.push('add');
    return a + b;
  }

  async *counter(count: number): AsyncGenerator<number> {
    for (let i = 0; i < count; i++) yield i;
  }

  /** Produces as fast as it is pulled until the client cancels. */
  async *endless(): AsyncGenerator<number> {
    const signal = this.invocation.signal;
    signal.addEventListener(
      'abort',
      () => {
        probe.producedAtAbort = probe.produced;
        probe.abortSeen.resolve();
      },
      { once: true },
    );
    try {
      while (!signal.aborted) {
        await new Promise((resolve) => setImmediate(resolve));
        if (signal.aborted) break;
        probe.produced++;
        yield probe.produced;
      }
    } finally {
      probe.finished.resolve(probe.produced);
    }
  }

  /** Yields once, then waits for something that only the abort signal ends. */
  async *waitsForAbort(): AsyncGenerator<string> {
    const signal = this.invocation.signal;
    try {
      probe.produced++;
      yield 'first';
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
      probe.produced++;
      yield 'never';
    } catch (error) {
      probe.waitError = error;
      probe.abortSeen.resolve();
      throw error;
    } finally {
      probe.finished.resolve(probe.produced);
    }
  }

  async *failAfterTwo(): AsyncGenerator<number> {
    yield 1;
    yield 2;
    throw new Error('kaput');
  }

  /** Not an async generator: a plain method whose result is a web ReadableStream (declared in `streamingMethods`). */
  readable(count: number): ReadableStream<string> {
    probe.entered.push('readable');
    return new ReadableStream<string>({
      start(controller) {
        for (let i = 0; i < count; i++) controller.enqueue(`r${i}`);
        controller.close();
      },
    });
  }

  /** A plain method returning a stream that is not declared in `streamingMethods`. */
  undeclared(): ReadableStream<string> {
    probe.entered.push('undeclared');
    let cancelled = false;
    return new ReadableStream<string>({
      pull(controller) {
        if (!cancelled) controller.enqueue('u');
      },
      cancel() {
        cancelled = true;
        probe.finished.resolve(0);
      },
    });
  }

  async upload(name: string, items: AsyncIterable<number>): Promise<string> {
    return `${name}:${(await collect(items)).join(',')}`;
  }

  /** Reads until the client's error, and reports what it saw. */
  async uploadCatching(items: AsyncIterable<number>): Promise<{ items: number[]; error: string; errorIsError: boolean }> {
    const seen: number[] = [];
    try {
      for await (const item of items) seen.push(item);
    } catch (error) {
      return { items: seen, error: (error as Error).message, errorIsError: error instanceof Error };
    }
    return { items: seen, error: 'no error', errorIsError: false };
  }

  async uploadStrict(items: AsyncIterable<number>): Promise<number> {
    return (await collect(items)).length;
  }

  /** Upload streams bind to the trailing parameters, in the order of the invocation's streamIds. */
  async zip(tag: string, letters: AsyncIterable<string>, numbers: AsyncIterable<number>): Promise<{ tag: string; letters: string[]; numbers: number[] }> {
    const [l, n] = await Promise.all([collect(letters), collect(numbers)]);
    return { tag, letters: l, numbers: n };
  }

  async *echo(items: AsyncIterable<unknown>): AsyncGenerator<unknown> {
    for await (const item of items) yield item;
  }

  /** Takes the first item, then waits for the test before reading on. */
  async slowUpload(items: AsyncIterable<number>): Promise<number> {
    let sum = 0;
    for await (const item of items) {
      probe.read++;
      sum += item;
      if (probe.read === 1) await probe.releaseReader.promise;
    }
    return sum;
  }

  mark(): void {
    probe.readAtMark = probe.read;
    probe.marked.resolve();
  }
}

let server: TestServer;
const open = new Set<signalR.HubConnection>();

/** A started official client whose socket traffic is tapped. */
async function client(path = '/hub'): Promise<{ connection: signalR.HubConnection; socket: TappedSocket }> {
  return startTapped(server.url(path), open);
}

interface StreamOutcome<T> {
  readonly items: T[];
  readonly error: string | undefined;
}

/** Subscribes to `stream` and resolves with its items and how it ended, bounded. */
function outcome<T>(stream: signalR.IStreamResult<T>, ms = 5000): Promise<StreamOutcome<T>> {
  const items: T[] = [];
  return within(
    new Promise<StreamOutcome<T>>((resolve) => {
      stream.subscribe({
        next: (item) => void items.push(item),
        error: (error) => resolve({ items, error: error instanceof Error ? error.message : String(error) }),
        complete: () => resolve({ items, error: undefined }),
      });
    }),
    ms,
    'the stream to end',
  );
}

async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await within(
    promise.then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    ),
  );
  assert.ok(error instanceof Error, `expected an Error, got ${String(error)}`);
  return error.message;
}

/** The connection still answers an ordinary invocation. */
async function assertUsable(connection: signalR.HubConnection): Promise<void> {
  assert.equal(await within(connection.invoke('add', 20, 22), 5000, 'add after the scenario'), 42);
}

before(async () => {
  server = await startTestServer((hw) => {
    hw.mapHub('/hub', StreamHub, { streamingMethods: ['readable'] });
    hw.mapHub('/detailed', StreamHub, { enableDetailedErrors: true, streamingMethods: ['readable'] });
  });
});

beforeEach(() => {
  probe = new Probe();
});

afterEach(async () => {
  probe.releaseReader.resolve();
  await stopAll(open);
  open.clear();
});

after(async () => {
  await stopAll(open);
  await within(server.close(), 5000, 'server close');
});

describe('server-to-client streams', () => {
  test('M7: items arrive in order, then the stream completes', async () => {
    const { connection } = await client();
    const result = await outcome(connection.stream<number>('Counter', 5));
    assert.deepEqual(result, { items: [0, 1, 2, 3, 4], error: undefined });
    // An empty stream completes too.
    assert.deepEqual(await outcome(connection.stream<number>('counter', 0)), { items: [], error: undefined });
    await assertUsable(connection);
  });

  test('M7: the wire carries one StreamItem per item and a Completion without result', async () => {
    const { connection, socket } = await client();
    await outcome(connection.stream<number>('Counter', 2));
    const invocation = socket.sent.find((m) => m['type'] === 4)!;
    const id = invocation['invocationId'];
    const forStream = socket.received.filter((m) => m['invocationId'] === id);
    assert.deepEqual(forStream, [
      { type: 2, invocationId: id, item: 0 },
      { type: 2, invocationId: id, item: 1 },
      { type: 3, invocationId: id },
    ]);
  });

  test('M9: subscription.dispose() aborts the producer promptly and it produces nothing more', async () => {
    const { connection, socket } = await client();
    const firstThree = new Deferred();
    const received: number[] = [];
    const subscription = connection.stream<number>('Endless').subscribe({
      next: (item) => {
        received.push(item);
        if (received.length === 3) firstThree.resolve();
      },
      error: () => undefined,
      complete: () => undefined,
    });
    await firstThree.wait(5000, 'three streamed items');
    subscription.dispose();
    await probe.abortSeen.wait(5000, 'the producer to see its signal abort');
    const producedAtEnd = await probe.finished.wait(5000, 'the producer to finish');
    assert.equal(producedAtEnd, probe.producedAtAbort, 'the producer made items after its signal aborted');
    // The client sent a CancelInvocation for the stream's id.
    const id = socket.sent.find((m) => m['type'] === 4)!['invocationId'];
    assert.ok(socket.sent.some((m) => m['type'] === 5 && m['invocationId'] === id), 'no CancelInvocation was sent');
    await assertUsable(connection);
    assert.equal(probe.produced, producedAtEnd, 'the producer went on after it finished');
  });

  test('M9: a producer blocked in an await is woken by the abort signal', async () => {
    const { connection } = await client();
    const first = new Deferred<string>();
    const subscription = connection.stream<string>('WaitsForAbort').subscribe({
      next: (item) => first.resolve(item),
      error: () => undefined,
      complete: () => undefined,
    });
    assert.equal(await first.wait(5000, 'the first item'), 'first');
    subscription.dispose();
    await probe.abortSeen.wait(5000, 'the blocked producer to see the abort');
    assert.equal((probe.waitError as Error).message, 'aborted');
    assert.equal(await probe.finished.wait(), 1, 'nothing was produced after the abort');
    await assertUsable(connection);
  });

  test('M10: an error after 2 items: the items, then the generic error text', async () => {
    const { connection } = await client();
    assert.deepEqual(await outcome(connection.stream<number>('FailAfterTwo')), {
      items: [1, 2],
      error: 'An error occurred on the server while streaming results.',
    });
    await assertUsable(connection);
  });

  test('M10: with detailed errors the stream error carries the type and message', async () => {
    const { connection } = await client('/detailed');
    assert.deepEqual(await outcome(connection.stream<number>('FailAfterTwo')), {
      items: [1, 2],
      error: 'An error occurred on the server while streaming results. Error: kaput',
    });
  });

  test('a method returning a ReadableStream streams it', async () => {
    const { connection } = await client();
    assert.deepEqual(await outcome(connection.stream<string>('Readable', 3)), { items: ['r0', 'r1', 'r2'], error: undefined });
    await assertUsable(connection);
  });

  test('M8: invoke() on a streaming method fails with the exact text, without running it', async () => {
    const { connection } = await client();
    assert.equal(
      await failure(connection.invoke('Counter', 3)),
      "The client attempted to invoke the streaming 'Counter' method with a non-streaming invocation.",
    );
    // Also for a plain method declared in streamingMethods: refused before it is entered.
    assert.equal(
      await failure(connection.invoke('Readable', 3)),
      "The client attempted to invoke the streaming 'Readable' method with a non-streaming invocation.",
    );
    assert.deepEqual(probe.entered, []);
    await assertUsable(connection);
  });

  test('an undeclared plain method returning a stream: stream() is refused before it runs; invoke() after, and its stream is cancelled', async () => {
    const { connection } = await client();
    assert.deepEqual(await outcome(connection.stream('Undeclared')), {
      items: [],
      error: "The client attempted to invoke the non-streaming 'Undeclared' method with a streaming invocation.",
    });
    assert.deepEqual(probe.entered, []);
    assert.equal(
      await failure(connection.invoke('Undeclared')),
      "The client attempted to invoke the streaming 'Undeclared' method with a non-streaming invocation.",
    );
    assert.deepEqual(probe.entered, ['undeclared']);
    await probe.finished.wait(5000, 'the returned stream to be cancelled');
    await assertUsable(connection);
  });

  test('M8: stream() on a plain method fails with the exact text, without running it', async () => {
    const { connection } = await client();
    assert.deepEqual(await outcome(connection.stream('Add', 1, 2)), {
      items: [],
      error: "The client attempted to invoke the non-streaming 'Add' method with a streaming invocation.",
    });
    assert.deepEqual(probe.entered, []);
    await assertUsable(connection);
  });
});

describe('upload streams (Subject)', () => {
  test('M11: items arrive in order and the completion ends the method', async () => {
    const { connection } = await client();
    const subject = new signalR.Subject<number>();
    const result = connection.invoke<string>('Upload', 'x', subject);
    for (const item of [3, 1, 4, 1, 5]) subject.next(item);
    subject.complete();
    assert.equal(await within(result), 'x:3,1,4,1,5');
    await assertUsable(connection);
  });

  test('M12: subject.error(...) makes the method read fail with the client text', async () => {
    const { connection } = await client();
    const subject = new signalR.Subject<number>();
    const result = connection.invoke('UploadCatching', subject);
    subject.next(7);
    subject.next(8);
    subject.error(new Error('client broke'));
    assert.deepEqual(await within(result), { items: [7, 8], error: 'client broke', errorIsError: true });
    await assertUsable(connection);
  });

  test('M12: an upload error the method does not handle is a HubException with the client text, detailed errors or not', async () => {
    for (const path of ['/hub', '/detailed']) {
      const { connection } = await client(path);
      const subject = new signalR.Subject<number>();
      const result = connection.invoke('UploadStrict', subject);
      subject.next(1);
      subject.error(new Error('client broke'));
      assert.equal(await failure(result), "An unexpected error occurred invoking 'UploadStrict' on the server. HubException: client broke", path);
      await assertUsable(connection);
    }
  });

  test('two upload streams in one call, interleaved', async () => {
    const { connection, socket } = await client();
    const letters = new signalR.Subject<string>();
    const numbers = new signalR.Subject<number>();
    // Not `invoke('Zip', letters, numbers)`: @microsoft/signalr 10.0.11's _replaceStreamingParams
    // splices each Subject out of `args` while iterating forward, so it skips a Subject that directly
    // follows another one and sends it as a plain (JSON `{}`) argument. A plain argument between
    // the two keeps both as streams.
    const result = connection.invoke('Zip', letters, 'tag', numbers);
    letters.next('a');
    numbers.next(1);
    numbers.next(2);
    letters.next('b');
    numbers.complete();
    letters.next('c');
    letters.complete();
    assert.deepEqual(await within(result), { tag: 'tag', letters: ['a', 'b', 'c'], numbers: [1, 2] });
    const invocation = socket.sent.find((m) => m['target'] === 'Zip')!;
    assert.deepEqual([invocation['arguments'], (invocation['streamIds'] as string[]).length], [['tag'], 2]);
    await assertUsable(connection);
  });

  test('an upload and a server stream in one call: connection.stream("Echo", subject)', async () => {
    const { connection } = await client();
    const subject = new signalR.Subject<string>();
    const echoed: string[] = [];
    let waiting: Deferred<string> | undefined;
    const done = new Deferred<string | undefined>();
    connection.stream<string>('Echo', subject).subscribe({
      next: (item) => {
        echoed.push(item);
        waiting?.resolve(item);
      },
      error: (error) => done.resolve(error instanceof Error ? error.message : String(error)),
      complete: () => done.resolve(undefined),
    });
    // Lock-step: each item comes back before the next is sent, so the stream is live both ways.
    for (const item of ['one', 'two', 'three']) {
      waiting = new Deferred<string>();
      subject.next(item);
      assert.equal(await waiting.wait(5000, `the echo of ${item}`), item);
    }
    subject.complete();
    assert.equal(await done.wait(5000, 'the echo stream to complete'), undefined);
    assert.deepEqual(echoed, ['one', 'two', 'three']);
    await assertUsable(connection);
  });

  test(`M28: back-pressure: a slow reader holds input once ${CAPACITY} items wait unread`, async () => {
    const { connection, socket } = await client();
    const subject = new signalR.Subject<number>();
    const result = connection.invoke<number>('SlowUpload', subject);
    result.catch(() => undefined);
    const count = 30;
    for (let i = 1; i <= count; i++) subject.next(i);
    subject.complete();
    // The client chains upload messages behind the invocation; wait until it has written them all.
    const invocation = await socket.whenSent((m) => m['target'] === 'SlowUpload', 5000, 'the SlowUpload invocation');
    const streamId = (invocation['streamIds'] as string[])[0];
    await socket.whenSent((m) => m['type'] === 3 && m['invocationId'] === streamId, 5000, 'the upload completion');
    assert.equal(socket.sent.filter((m) => m['type'] === 2 && m['invocationId'] === streamId).length, count);
    await within(connection.send('Mark'), 5000, 'send Mark');
    // Everything above has reached the server's hub connection.
    await socket.roundTrip();
    assert.equal(probe.read, 1, 'the reader is parked after its first item');
    assert.equal(probe.readAtMark, undefined, 'an invocation sent after the items ran while the upload buffer was full');

    probe.releaseReader.resolve();
    assert.equal(await within(result, 5000, 'the upload result'), (count * (count + 1)) / 2);
    await probe.marked.wait(5000, 'Mark to run');
    // Mark ran only once item 30 was taken in, i.e. once at most CAPACITY items waited unread
    // (one more may be between the stream and the method's loop body).
    assert.ok(
      probe.readAtMark! >= count - CAPACITY - 1,
      `Mark ran when the method had read ${probe.readAtMark} of ${count} items: more than ${CAPACITY} were buffered`,
    );
    await assertUsable(connection);
  });
});
