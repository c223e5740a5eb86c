/**
 * Who may call the data plane, and with which api-version: Azure-style tokens (the audience as
 * Azure's SDK forms it, expiry, the key they are signed with, a rotated second key), the key
 * itself as a bearer, the errors' Azure shape, hub names, and the ACCESS_KEYS setting.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { DEMO_ACCESS_KEY, loadConfig } from '../../apps/server/src/config.js';
import { audienceMatches, resolveHubPath, sendToHub } from '../../apps/server/src/modules/data-plane/index.js';
import { azureToken, inbox, KEY, SECOND_KEY, startNode, type DataPlaneNode } from './data-plane-harness.js';
import { until } from '../support/wait.js';

const SEND = '/api/hubs/chat/:send?api-version=2022-06-01';
const hello = { target: 'news', arguments: ['hello'] };

describe('data-plane authentication', () => {
  let node: DataPlaneNode;
  before(async () => {
    node = await startNode();
  });
  after(() => node.stop());

  const send = (authorization: string | null, path = SEND) => node.call(path, (hub) => sendToHub(hub, hello), { authorization });

  test('a token as Azure SDK makes it (no port, hub lower-cased, api-version signed) is accepted and the send is delivered', async () => {
    const client = await node.connect('jane');
    const news = inbox(client, 'news');
    const path = '/api/hubs/Chat/:send?api-version=2022-06-01&excluded=nobody';
    const token = await azureToken(`${node.base}/api/hubs/Chat/:send?api-version=2022-06-01`);
    assert.deepEqual(await send(`Bearer ${token}`, path), { status: 202 });
    await until(() => news.length === 1, 5000, 'the message');
    assert.deepEqual(news, ['hello']);
  });

  test('a token whose audience is another operation or host is refused 401 in Azure shape, nothing is sent', async () => {
    const client = await node.connect('jane');
    const news = inbox(client, 'news');
    for (const aud of [`${node.base}/api/hubs/chat/users/jane/:send`, `http://elsewhere.example/api/hubs/chat/:send`, `${node.base.replace(/:\d+$/, ':1')}/api/hubs/chat/:send`]) {
      const answer = await send(`Bearer ${await azureToken(`${node.base}${SEND}`, { aud })}`);
      assert.equal(answer.status, 401, aud);
      assert.equal(answer.headers?.['x-ms-error-code'], 'Unauthorized');
      assert.equal(answer.headers?.['www-authenticate'], 'Bearer');
      assert.match((answer.body as { message: string }).message, /audience/);
    }
    // The same token for the right URL goes through, so the refusals above were the audience's.
    assert.equal((await send(`Bearer ${await azureToken(`${node.base}${SEND}`)}`)).status, 202);
    await until(() => news.length === 1, 5000, 'the one accepted message');
  });

  test('an expired token, a token signed with another key, an alg=none token and a missing header are refused', async () => {
    const url = `${node.base}${SEND}`;
    const expired = await send(`Bearer ${await azureToken(url, { expiresIn: -60 })}`);
    assert.equal(expired.status, 401);
    assert.match((expired.body as { message: string }).message, /expired/);
    const foreign = await send(`Bearer ${await azureToken(url, { key: 'some-other-key-that-is-long-enough-0000' })}`);
    assert.equal(foreign.status, 401);
    assert.match((foreign.body as { message: string }).message, /not signed with any/);
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ aud: url, exp: 9_999_999_999 })).toString('base64url')}.`;
    assert.equal((await send(`Bearer ${unsigned}`)).status, 401);
    const noExpiry = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setAudience(url).sign(new TextEncoder().encode(KEY));
    assert.equal((await send(`Bearer ${noExpiry}`)).status, 401);
    assert.equal((await send(null)).status, 401);
    assert.equal((await send('Basic dXNlcjpwYXNz')).status, 401);
  });

  test('the second (rotated-in) key signs valid tokens, and either key works as a plain bearer key', async () => {
    assert.equal((await send(`Bearer ${await azureToken(`${node.base}${SEND}`, { key: SECOND_KEY })}`)).status, 202);
    assert.equal((await send(`Bearer ${KEY}`)).status, 202);
    assert.equal((await send(`Bearer ${SECOND_KEY}`)).status, 202);
    const wrong = await send(`Bearer ${KEY.slice(0, -1)}x`);
    assert.equal(wrong.status, 401);
    // The error never echoes the credential.
    assert.ok(!JSON.stringify(wrong).includes(KEY.slice(0, -1)));
  });

  test('a node without access keys refuses every call', async () => {
    const closed = await startNode({ accessKeys: [] });
    try {
      const answer = await closed.call(SEND, (hub) => sendToHub(hub, hello), { authorization: `Bearer ${KEY}` });
      assert.equal(answer.status, 401);
      assert.match((answer.body as { message: string }).message, /ACCESS_KEYS/);
    } finally {
      await closed.stop();
    }
  });

  test('api-version: missing and unknown are 400 in Azure shape; 2024-12-01 works; a 2024-12-01 operation refuses 2022-06-01', async () => {
    const missing = await node.call('/api/hubs/chat/:send?api-version=', (hub) => sendToHub(hub, hello));
    assert.equal(missing.status, 400);
    // Azure's ServiceResponse and ErrorDetail fields in one body.
    assert.deepEqual(missing.body, {
      code: 'ApiVersionUnspecified',
      level: 'Error',
      scope: 'Request',
      errorKind: 'Invalid',
      message: 'An API version is required, but was not specified.',
      isSuccess: false,
      statusCode: 400,
      target: 'api-version',
    });
    assert.equal(missing.headers?.['x-ms-error-code'], 'ApiVersionUnspecified');
    const unknown = await node.call('/api/hubs/chat/:send?api-version=2021-01-01', (hub) => sendToHub(hub, hello));
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body, {
      code: 'UnsupportedApiVersion',
      level: 'Error',
      scope: 'Request',
      errorKind: 'Invalid',
      message: "The HTTP resource that matches the request URI '/api/hubs/chat/:send' does not support the API version '2021-01-01'.",
      isSuccess: false,
      statusCode: 400,
      target: 'api-version',
    });
    assert.equal((await node.call('/api/hubs/chat/:send?api-version=2024-12-01', (hub) => sendToHub(hub, hello))).status, 202);
    const tooOld = await node.call('/api/hubs/chat/connections/c/:invoke?api-version=2022-06-01', (hub) => sendToHub(hub, hello), { since: '2024-12-01' });
    assert.equal(tooOld.status, 400);
    assert.equal((tooOld.body as { code: string }).code, 'UnsupportedApiVersion');
    // The version is checked before the credential.
    assert.equal((await node.call('/api/hubs/chat/:send?api-version=1', (hub) => sendToHub(hub, hello), { authorization: null })).status, 400);
    assert.deepEqual(node.dataPlane.health({ url: `${node.base}/api/health?api-version=2024-12-01` }), { status: 200 });
    assert.equal(node.dataPlane.health({ url: `${node.base}/api/health` }).status, 400);
  });

  test('hub names: the last path segment, any case; an unknown hub is 404 NotExisted; a malformed one 400', async () => {
    assert.equal(resolveHubPath(['/hubs/events', '/hubs/chat'], 'CHAT'), '/hubs/chat');
    assert.equal(resolveHubPath(['/hubs/acme_chat'], 'chat', 'acme'), '/hubs/acme_chat');
    const unknown = await node.call('/api/hubs/nope/:send', (hub) => sendToHub(hub, hello), { hub: 'nope' });
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.body, { code: 'Error.Hub.NotExisted', level: 'Error', scope: 'Request', errorKind: 'NotExisted', message: "No hub named 'nope' is served here.", isSuccess: false, statusCode: 404 });
    const malformed = await node.call('/api/hubs/9x/:send', (hub) => sendToHub(hub, hello), { hub: '9x' });
    assert.equal(malformed.status, 400);
    assert.equal((malformed.body as { target: string }).target, 'hub');
  });
});

describe('audienceMatches', () => {
  test('scheme and query are not compared, a port only when the audience names one, the hub part is case-insensitive', () => {
    const url = 'http://h.example:8080/api/hubs/Chat/groups/Room%201/:send?api-version=2022-06-01&excluded=c1';
    assert.ok(audienceMatches('https://h.example/api/hubs/chat/groups/Room%201/:send?api-version=2022-06-01', url));
    assert.ok(audienceMatches('http://H.EXAMPLE:8080/api/hubs/chat/groups/Room 1/:send', url));
    assert.ok(!audienceMatches('http://h.example:9090/api/hubs/chat/groups/Room%201/:send', url));
    assert.ok(!audienceMatches('http://h.example/api/hubs/chat/groups/room%201/:send', url), 'group names are case-sensitive');
    assert.ok(!audienceMatches('not a url', url));
  });
});

describe('ACCESS_KEYS', () => {
  test('comma-separated, at most two, 32+ characters; demo mode has a documented built-in key; values never shown in errors', () => {
    assert.deepEqual(loadConfig({ env: { ACCESS_KEYS: `${KEY}, ${SECOND_KEY}` } }).dataPlane.accessKeys, [KEY, SECOND_KEY]);
    assert.deepEqual(loadConfig({ env: {} }).dataPlane.accessKeys, [DEMO_ACCESS_KEY]);
    assert.deepEqual(loadConfig({ env: { DEMO: 'false', JWT_SECRET: 'x'.repeat(32) } }).dataPlane.accessKeys, []);
    for (const bad of [`${KEY},${SECOND_KEY},${KEY}3`, 'short', `${KEY}.dotted`]) {
      assert.throws(
        () => loadConfig({ env: { ACCESS_KEYS: bad } }),
        (error: Error) => error.message.startsWith('ACCESS_KEYS must be one or two access keys') && error.message.endsWith('got (hidden).'),
      );
    }
    const fromFile = loadConfig({ argv: ['--config', 'c.json'], readFile: () => JSON.stringify({ dataPlane: { accessKeys: [KEY] } }) });
    assert.deepEqual(fromFile.dataPlane.accessKeys, [KEY]);
  });
});
