/**
 * Lifecycle webhooks end to end: the server app with the chat hub, a local upstream (node:http on
 * port 0) configured as UPSTREAM, official clients connecting, joining and leaving a workflow and
 * disconnecting; the upstream checks what Azure's upstream protocol promises (X-ASRS-* headers, a
 * signature that verifies with either access key) and Hubwire's additions (one event id over the
 * retries of a delivery, the attempt number). Retries run on a fake app clock: no real backoff.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import { chatModule } from '../../apps/server/src/modules/chat/index.js';
import { verifySignature } from '../../apps/server/src/modules/upstream/signature.js';
import type { DeadLetter } from '../../apps/server/src/modules/upstream/upstream-types.js';
import { startTestApp, type TestApp } from '../server/support.js';
import { FakeClock } from '../support/fake-clock.js';
import { until, within } from '../support/wait.js';

const KEY = 'webhook-test-primary-key-0123456789abcdef';
const SECOND_KEY = 'webhook-test-second-key-0123456789abcdef';

/** One request the upstream received. */
interface Received {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

/** A local upstream; `answer` decides each response (a status, or 'hang' to never answer). */
async function startUpstream(answer: (request: Received) => number | 'hang') {
  const received: Received[] = [];
  let open = 0;
  let maxOpen = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const request = { path: req.url ?? '', headers: req.headers, body: text === '' ? undefined : JSON.parse(text) };
      received.push(request);
      const status = answer(request);
      if (status === 'hang') {
        open++;
        maxOpen = Math.max(maxOpen, open);
        res.on('close', () => open--);
        return;
      }
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    received,
    get maxOpen() {
      return maxOpen;
    },
    template: `http://127.0.0.1:${port}/api/{hub}/{category}/{event}?code=secret-function-key`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

type Upstream = Awaited<ReturnType<typeof startUpstream>>;
const header = (request: Received, name: string) => request.headers[name.toLowerCase()] as string | undefined;
const eventOf = (request: Received) => `${header(request, 'X-ASRS-Category')}/${header(request, 'X-ASRS-Event')}`;

describe('lifecycle webhooks of a code hub', () => {
  let server: TestApp | undefined;
  let upstream: Upstream | undefined;
  afterEach(async () => {
    await server?.stop();
    await upstream?.close();
    server = undefined;
    upstream = undefined;
  });

  async function start(env: Record<string, string>, clock?: FakeClock): Promise<TestApp> {
    server = await startTestApp({ ACCESS_KEYS: `${KEY},${SECOND_KEY}`, REST_RATE_LIMIT_PER_SECOND: '0', ...env }, { modules: [chatModule], ...(clock === undefined ? {} : { clock }) });
    return server;
  }

  async function deadLetters(app: TestApp): Promise<DeadLetter[]> {
    const answer = await app.request('GET', '/api/webhooks/dead-letters', { token: SECOND_KEY });
    assert.equal(answer.status, 200);
    return answer.body.value as DeadLetter[];
  }

  test('connected, joined, left and disconnected reach the upstream, signed, with Azure headers and one id each', async () => {
    upstream = await startUpstream(() => 200);
    const app = await start({ UPSTREAM: upstream.template });
    const client = await app.connect('/hubs/chat?room=blue', { token: await app.token('jane.smith') });
    const connectionId = client.connectionId!;
    await within(client.invoke('JoinWorkflow', 'w1'), 5000, 'join');
    await within(client.invoke('LeaveWorkflow', 'w1'), 5000, 'leave');
    await within(client.stop(), 5000, 'client stop');
    const received = upstream.received;
    await until(() => received.length >= 4, 5000, 'four webhooks');

    const byEvent = new Map(received.map((request) => [eventOf(request), request]));
    assert.deepEqual([...byEvent.keys()].sort(), ['connections/connected', 'connections/disconnected', 'groups/joined', 'groups/left']);
    assert.equal(received.length, 4, 'each event once');
    for (const request of received) {
      assert.equal(header(request, 'X-ASRS-Connection-Id'), connectionId);
      assert.equal(header(request, 'X-ASRS-Hub'), 'chat');
      assert.equal(header(request, 'X-ASRS-User-Id'), 'jane.smith');
      assert.match(header(request, 'X-ASRS-User-Claims') ?? '', /(^|, )sub= jane\.smith(,|$)/);
      assert.equal(header(request, 'X-ASRS-Client-Query'), 'room=blue', 'the client query without id and access_token');
      assert.equal(verifySignature(header(request, 'X-ASRS-Signature'), connectionId, [KEY]), true);
      assert.equal(verifySignature(header(request, 'X-ASRS-Signature'), connectionId, [SECOND_KEY]), true);
      assert.equal(verifySignature(header(request, 'X-ASRS-Signature'), connectionId, ['another-key-0123456789abcdef0123456789']), false);
      assert.equal(header(request, 'X-Hubwire-Attempt'), '1');
      assert.match(header(request, 'content-type') ?? '', /^application\/json/);
      assert.equal(request.path, `/api/chat/${eventOf(request)}?code=secret-function-key`);
    }
    assert.equal(new Set(received.map((request) => header(request, 'X-Hubwire-Event-Id'))).size, 4);
    assert.deepEqual(byEvent.get('connections/connected')!.body, {});
    assert.deepEqual(byEvent.get('groups/joined')!.body, { group: 'workflow:w1' });
    assert.deepEqual(byEvent.get('groups/left')!.body, { group: 'workflow:w1' });
    assert.deepEqual(byEvent.get('connections/disconnected')!.body, { Error: '' });
    assert.deepEqual(await deadLetters(app), []);
  });

  test('only what an upstream item matches is sent', async () => {
    upstream = await startUpstream(() => 200);
    const app = await start({ UPSTREAM: JSON.stringify([{ urlTemplate: upstream.template, hubPattern: 'chat', categoryPattern: 'groups', eventPattern: 'joined' }]) });
    const client = await app.connect('/hubs/chat', { token: await app.token('jane.smith') });
    await within(client.invoke('JoinWorkflow', 'w2'), 5000, 'join');
    await within(client.invoke('LeaveWorkflow', 'w2'), 5000, 'leave');
    // A second join is the marker: once it arrives, the leave and connect before it would have too.
    await within(client.invoke('JoinWorkflow', 'w3'), 5000, 'join');
    await until(() => upstream!.received.length >= 2, 5000, 'two joins');
    await within(client.stop(), 5000, 'client stop');
    assert.deepEqual(upstream.received.map(eventOf), ['groups/joined', 'groups/joined']);
  });

  test('a 503 then 200 upstream gets the retry with the same event id', async () => {
    const clock = new FakeClock(Date.now());
    const seen = new Set<string>();
    // The first attempt of each delivery fails.
    upstream = await startUpstream((request) => {
      const id = header(request, 'X-Hubwire-Event-Id')!;
      if (seen.has(id)) return 200;
      seen.add(id);
      return 503;
    });
    const app = await start({ UPSTREAM: JSON.stringify([{ urlTemplate: upstream.template, categoryPattern: 'connections', eventPattern: 'connected' }]) }, clock);
    const client = await app.connect('/hubs/chat', { token: await app.token('jane.smith') });
    const received = upstream.received;
    await until(() => received.length === 1, 5000, 'first attempt');
    // The retry timer is set once the 503 is read: step the fake clock until the retry went out.
    await until(() => (clock.advance(1000), received.length === 2), 5000, 'the retry');
    assert.equal(header(received[1]!, 'X-Hubwire-Event-Id'), header(received[0]!, 'X-Hubwire-Event-Id'));
    assert.deepEqual(received.map((request) => header(request, 'X-Hubwire-Attempt')), ['1', '2']);
    assert.equal(header(received[1]!, 'X-ASRS-Connection-Id'), client.connectionId);
    assert.deepEqual(await deadLetters(app), []);
  });

  test('an always-500 upstream: dead-lettered after WEBHOOK_MAX_ATTEMPTS, listed for access-key holders, logged without the query', async () => {
    const clock = new FakeClock(Date.now());
    upstream = await startUpstream(() => 500);
    const app = await start({ UPSTREAM: JSON.stringify([{ urlTemplate: upstream.template, eventPattern: 'connected' }]), WEBHOOK_MAX_ATTEMPTS: '3' }, clock);
    const client = await app.connect('/hubs/chat', { token: await app.token('jane.smith') });
    const received = upstream.received;
    await until(() => (clock.advance(1000), received.length === 3 && app.logs.some((line) => line.msg === 'webhook dead-lettered')), 5000, 'three attempts and a dead letter');
    clock.advance(60_000);
    assert.equal(received.length, 3);
    const letters = await deadLetters(app);
    assert.equal(letters.length, 1);
    const [letter] = letters;
    assert.equal(letter!.id, header(received[0]!, 'X-Hubwire-Event-Id'));
    assert.deepEqual({ ...letter, id: '', at: '' }, {
      id: '',
      at: '',
      hub: 'chat',
      category: 'connections',
      event: 'connected',
      connectionId: client.connectionId,
      target: upstream.template.replace('{hub}/{category}/{event}?code=secret-function-key', 'chat/connections/connected'),
      attempts: 3,
      reason: 'HTTP 500',
    });
    assert.doesNotMatch(JSON.stringify(app.logs), /secret-function-key/);
    assert.equal((await app.request('GET', '/api/webhooks/dead-letters')).status, 401);
    assert.equal((await app.request('GET', '/api/webhooks/dead-letters', { token: 'not-a-key-0123456789abcdef0123456789' })).status, 401);
  });

  test('a hanging upstream: at most WEBHOOK_QUEUE_LIMIT deliveries held, the rest dead-lettered as queue full', async () => {
    upstream = await startUpstream(() => 'hang');
    const app = await start({ UPSTREAM: upstream.template, WEBHOOK_QUEUE_LIMIT: '3', UPSTREAM_TIMEOUT_MS: '60000' });
    const token = await app.token('jane.smith');
    for (let i = 0; i < 6; i++) {
      const client = await app.connect('/hubs/chat', { token });
      await within(client.stop(), 5000, 'client stop');
    }
    // 12 events (6 connects, 6 disconnects): 3 held, 9 given up at once.
    await until(() => app.logs.filter((line) => line.msg === 'webhook dead-lettered').length === 9, 5000, 'nine dead letters');
    const letters = await deadLetters(app);
    assert.equal(letters.length, 9);
    assert.ok(letters.every((letter) => letter.reason === 'queue full' && letter.attempts === 0));
    await until(() => upstream!.received.length === 3, 5000, 'the three held ones sent');
    assert.ok(upstream.maxOpen <= 3);
    // Stopping gives up the held ones at the shutdown deadline instead of waiting for the upstream.
    await within(app.stop(), 5000, 'app stop');
    assert.equal(app.logs.filter((line) => line.msg === 'webhook dead-lettered').length, 12);
  });
});
