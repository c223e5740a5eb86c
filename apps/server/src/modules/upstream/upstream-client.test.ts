import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { MAX_RESPONSE_BYTES, postUpstream, UpstreamFailure } from './upstream-client.js';

const servers: Server[] = [];
after(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handler(req, res, Buffer.concat(chunks)));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function failureOf(promise: Promise<unknown>): Promise<UpstreamFailure> {
  const error = await promise.then(() => assert.fail('expected a failure'), (e: unknown) => e);
  assert.ok(error instanceof UpstreamFailure, String(error));
  assert.doesNotMatch(`${error.message} ${error.stack ?? ''}`, /secret/);
  return error;
}

test('POSTs headers and body; answers status, lower-cased headers and body bytes', async () => {
  const url = await serve((req, res, body) => {
    res.writeHead(201, { 'Content-Type': 'application/json', 'X-Seen': `${req.method} ${req.url} ${String(req.headers['x-asrs-hub'])} ${body.toString()}` });
    res.end('{"ok":true}');
  });
  const answer = await postUpstream({ url: `${url}/api/chat?code=k`, headers: { 'X-ASRS-Hub': 'chat', 'Content-Type': 'application/json' }, body: Buffer.from('{"a":1}') }, 5000);
  assert.equal(answer.status, 201);
  assert.equal(answer.headers['x-seen'], 'POST /api/chat?code=k chat {"a":1}');
  assert.equal(Buffer.from(answer.body).toString(), '{"ok":true}');
});

test('any status is an answer, and a redirect is not followed', async () => {
  const url = await serve((_req, res) => {
    res.writeHead(302, { Location: '/elsewhere' });
    res.end();
  });
  const answer = await postUpstream({ url: `${url}/x`, headers: {}, body: new Uint8Array() }, 5000);
  assert.equal(answer.status, 302);
});

test('a slow upstream is a timeout, without the URL in the error', async () => {
  const url = await serve(() => undefined); // never answers
  const error = await failureOf(postUpstream({ url: `${url}/x?code=secret`, headers: {}, body: new Uint8Array() }, 150));
  assert.equal(error.reason, 'timeout');
});

test('a body over 1 MiB is a failure, announced or streamed', async () => {
  const url = await serve((req, res) => {
    if (req.url === '/announced') {
      res.writeHead(200, { 'Content-Length': String(MAX_RESPONSE_BYTES + 1) });
      res.write('x');
      return;
    }
    res.writeHead(200); // chunked, no length
    const chunk = Buffer.alloc(64 * 1024, 1);
    for (let i = 0; i < 17; i++) res.write(chunk);
    res.end();
  });
  assert.equal((await failureOf(postUpstream({ url: `${url}/announced?code=secret`, headers: {}, body: new Uint8Array() }, 5000))).reason, 'response too large');
  assert.equal((await failureOf(postUpstream({ url: `${url}/streamed?code=secret`, headers: {}, body: new Uint8Array() }, 5000))).reason, 'response too large');
});

test('a refused connection names the socket code only; an aborted signal is aborted', async () => {
  const url = await serve(() => undefined);
  const closed = servers.pop()!;
  closed.closeAllConnections();
  await new Promise((resolve) => closed.close(resolve));
  assert.equal((await failureOf(postUpstream({ url: `${url}/x?code=secret`, headers: {}, body: new Uint8Array() }, 5000))).reason, 'ECONNREFUSED');

  const hanging = await serve(() => undefined);
  const controller = new AbortController();
  const pending = postUpstream({ url: `${hanging}/x?code=secret`, headers: {}, body: new Uint8Array() }, 5000, controller.signal);
  controller.abort();
  assert.equal((await failureOf(pending)).reason, 'aborted');
  assert.equal((await failureOf(postUpstream({ url: `${hanging}/x`, headers: {}, body: new Uint8Array() }, 5000, controller.signal))).reason, 'aborted');
});
