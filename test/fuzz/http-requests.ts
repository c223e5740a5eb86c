/**
 * Generated HTTP requests at the hub routes, and a client that sends one over node:http and
 * reports how it was answered (or that it was not, within a deadline).
 * @module
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { jsonHubProtocol, messagePackHubProtocol } from 'hubwire';
import { bytes, invalidUtf8 } from './byte-arbitraries.js';
import { hubMessage, jsonMessageLike, text } from './message-arbitraries.js';
import { written } from './protocol-properties.js';

/** The hub paths the fuzz server maps. */
export const HUB_PATHS = ['/hub', '/auth', '/lp'];

/**
 * Stand-ins for the `id` value: a token negotiated just for this request; one with a long
 * polling transport and a JSON handshake already done (so a POST reaches the hub protocol); or
 * one an earlier request used.
 */
export const FRESH = '\u0000fresh';
export const LIVE = '\u0000live';
export const USED = '\u0000used';
/** Whether `value` is one of the stand-ins. */
export const isStandIn = (value: string): boolean => value === FRESH || value === LIVE || value === USED;

/** One generated request. */
export interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly query: readonly (readonly [string, string, boolean])[];
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array | undefined;
  /** Write the body in two pieces (chunked transfer) instead of one (Content-Length). */
  readonly chunked: boolean;
  /** Which earlier token `USED` picks. */
  readonly pick: number;
}

const variants = (base: string): string[] => [
  base,
  `${base}/`,
  base.toUpperCase(),
  `${base}/negotiate`,
  `${base}/negotiate/`,
  `${base.toUpperCase()}/NEGOTIATE`,
  `${base}//negotiate`,
  `${base}/negotiatex`,
  `${base}/x`,
  `${base}%2Fnegotiate`,
  `${base}/negotiate/../negotiate`,
  `${base}/./negotiate`,
  `${base};x`,
  `${base}/negotiate%00`,
];

const path = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...HUB_PATHS.flatMap(variants)) },
  { weight: 1, arbitrary: fc.constantFrom('/', '/nothing', '//hub', '/hub/hub/negotiate', '*', '/%', '/negotiate') },
  { weight: 1, arbitrary: fc.webPath() },
);

const idValue = fc.oneof(
  { weight: 3, arbitrary: fc.constant(FRESH) },
  { weight: 2, arbitrary: fc.constant(LIVE) },
  { weight: 2, arbitrary: fc.constant(USED) },
  { weight: 2, arbitrary: fc.constantFrom('', 'x', 'a'.repeat(3000), '%', '%zz', '%00', '..', 'null', '__proto__', 'constructor', 'toString', 'hasOwnProperty') },
  { weight: 2, arbitrary: text(0, 30) },
);

const queryParam: fc.Arbitrary<readonly [string, string, boolean]> = fc.tuple(
  fc.oneof(fc.constantFrom('id', 'ID', 'Id'), fc.constantFrom('negotiateVersion', 'NegotiateVersion', 'negotiateversion'), fc.constantFrom('useStatefulReconnect', '_', 'access_token'), text(0, 6)),
  fc.oneof(idValue, fc.constantFrom('0', '1', '2', '-1', 'abc', '1.5', '1e3', '99999999999999999999', ' 1', '+1', '0x1', '١', 'true', 'TRUE'), text(0, 12)),
  fc.boolean(),
);

/** Header values node:http will send: printable ASCII. */
const headerText = fc.string({ unit: fc.constantFrom(...'abcXYZ019 -_.,;:=/+*!"()<>?@[]{}\\'.split('')), maxLength: 20 });

const headers = fc.record(
  {
    accept: fc.oneof(fc.constantFrom('text/event-stream', 'application/json', '*/*', 'text/event-stream, */*', 'TEXT/EVENT-STREAM', 'text/event-stream;q=0'), headerText),
    upgrade: fc.constantFrom('websocket', 'WebSocket', 'h2c', 'websocket, h2c', 'foo'),
    connection: fc.constantFrom('Upgrade', 'upgrade', 'keep-alive', 'close', 'Upgrade, keep-alive'),
    'sec-websocket-key': fc.oneof(fc.constant('valid'), fc.constantFrom('', 'short', '!!!!', 'dGhlIHNhbXBsZSBub25jZQ')),
    'sec-websocket-version': fc.constantFrom('13', '8', '', 'x'),
    'content-type': fc.oneof(fc.constantFrom('text/plain;charset=UTF-8', 'application/octet-stream', 'application/json', 'text/plain;charset=latin1'), headerText),
    authorization: fc.oneof(fc.constantFrom('Bearer ', 'Bearer x.y.z', 'Basic Zm9vOmJhcg==', `Bearer ${'a'.repeat(4000)}`, 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'), headerText),
    origin: fc.constantFrom('http://evil.example', 'null', 'http://127.0.0.1'),
    'x-requested-with': fc.constant('XMLHttpRequest'),
    cookie: fc.oneof(fc.constantFrom('a=b', '=', ';;', 'access_token=x'), headerText),
    expect: fc.constant('100-continue'),
    'x-fuzz': headerText,
  },
  { requiredKeys: [] },
);

const body = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: bytes(300) },
  { weight: 2, arbitrary: fc.constantFrom('{"protocol":"json","version":1}\u001e', '{"protocol":"messagepack","version":2}\u001e').map((t) => Buffer.from(t)) },
  { weight: 2, arbitrary: fc.array(hubMessage('json'), { maxLength: 4 }).map((list) => Buffer.concat(list.map((m) => written(jsonHubProtocol, m)))) },
  { weight: 1, arbitrary: fc.array(hubMessage('msgpack'), { maxLength: 4 }).map((list) => Buffer.concat(list.map((m) => written(messagePackHubProtocol, m)))) },
  { weight: 1, arbitrary: jsonMessageLike.map((t) => Buffer.from(`${t}\u001e`)) },
  { weight: 1, arbitrary: invalidUtf8.map((bad) => Buffer.concat([Buffer.from('{"type":1,"target":"echo","arguments":["'), Buffer.from(bad), Buffer.from('"]}\u001e')])) },
  { weight: 1, arbitrary: fc.constant(Buffer.alloc(70_000, 0x61)) },
);

const method = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'DELETE') }, { weight: 2, arbitrary: fc.constantFrom('PUT', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'FOO') });
const hub = fc.oneof({ weight: 3, arbitrary: fc.constant('/hub') }, fc.constantFrom(...HUB_PATHS));
const hubUrl = fc.oneof({ weight: 4, arbitrary: hub }, { weight: 1, arbitrary: path });
const idParam = fc.tuple(fc.constantFrom('id', 'ID'), idValue, fc.boolean());
const query = (first: fc.Arbitrary<readonly [string, string, boolean]>) =>
  fc.tuple(first, fc.array(queryParam, { maxLength: 2 })).map(([head, rest]) => [head, ...rest]);
const WEBSOCKET = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'valid', 'sec-websocket-version': '13' };

/**
 * What a request sets out to do, as an official client would do it (negotiate, open a
 * WebSocket or event stream, poll, send, delete), before it is perturbed; or anything at all.
 */
const intent = fc.oneof(
  fc.record({
    method: fc.constant('POST'),
    path: hub.map((h) => `${h}/negotiate`),
    query: query(fc.tuple(fc.constant('negotiateVersion'), fc.oneof(fc.constantFrom('1', '0'), idValue), fc.boolean())),
    headers: fc.constant({}),
    body: fc.constant(undefined),
  }),
  fc.record({ method: fc.constant('GET'), path: hubUrl, query: fc.oneof(fc.constant([]), query(idParam)), headers: fc.constant(WEBSOCKET), body: fc.constant(undefined) }),
  fc.record({ method: fc.constant('GET'), path: hubUrl, query: query(idParam), headers: fc.constant({ accept: 'text/event-stream' }), body: fc.constant(undefined) }),
  fc.record({ method: fc.constant('GET'), path: hubUrl, query: query(idParam), headers: fc.constant({}), body: fc.constant(undefined) }),
  fc.record({ method: fc.constant('POST'), path: hubUrl, query: query(idParam), headers: fc.constant({ 'content-type': 'text/plain;charset=UTF-8' }), body }),
  fc.record({ method: fc.constant('DELETE'), path: hubUrl, query: query(idParam), headers: fc.constant({}), body: fc.constant(undefined) }),
  fc.record({ method, path, query: fc.array(queryParam, { maxLength: 4 }), headers, body }),
);

/** `arbitrary` once in `every` cases, `null` otherwise. */
function rarely<T>(arbitrary: fc.Arbitrary<T>, every: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: every - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });
}

/** A request at (mostly) the hub routes: an intent, sometimes with another method, more headers, or a body. */
export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    intent,
    method: rarely(method, 5),
    headers: rarely(headers, 2),
    override: fc.boolean(),
    body: rarely(body, 5),
    chunked: fc.boolean(),
    pick: fc.nat(),
  })
  .map(({ intent: base, method: other, headers: extra, override, body: otherBody, chunked, pick }) => ({
    method: other ?? base.method,
    path: base.path,
    query: base.query,
    headers: extra === null ? base.headers : override ? { ...base.headers, ...extra } : { ...extra, ...base.headers },
    body: otherBody ?? base.body,
    chunked,
    pick,
  }));

/** How a request was answered. */
export type Answer =
  | { readonly kind: 'response'; readonly status: number; readonly contentType: string | undefined; readonly token?: string }
  | { readonly kind: 'upgraded' }
  | { readonly kind: 'closed'; readonly error: string }
  | { readonly kind: 'timeout'; readonly what: string };

/** `key=value` pairs, percent-encoded, or raw where node:http allows it. */
export function queryString(query: FuzzRequest['query'], id: (value: string) => string): string {
  const raw = (value: string) => value.replace(/[^\x21-\x7e]|[#%&=]/gu, (c) => encodeURIComponent(c));
  const parts = query.map(([key, value, encode]) => {
    const actual = isStandIn(value) ? id(value) : value;
    return encode ? `${encodeURIComponent(key)}=${encodeURIComponent(actual)}` : `${raw(key)}=${raw(actual)}`;
  });
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

/** Whether node:http will treat the request as an upgrade. */
export function isUpgrade(request: FuzzRequest): boolean {
  return request.headers['upgrade'] !== undefined && /upgrade/iu.test(request.headers['connection'] ?? '');
}

/**
 * Sends `request` to `port` and reports the answer: the status and content type once the whole
 * body has arrived (an event stream is cut after its headers), a 101, a closed socket, or a
 * timeout after `ms`.
 */
export function send(port: number, request: FuzzRequest, url: string, ms: number): Promise<Answer> {
  const headers: Record<string, string> = { ...request.headers };
  if (headers['sec-websocket-key'] === 'valid') headers['sec-websocket-key'] = randomBytes(16).toString('base64');
  return new Promise<Answer>((resolve) => {
    let settled = false;
    const settle = (answer: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(answer);
    };
    const req = httpRequest({ host: '127.0.0.1', port, method: request.method, path: url, headers, agent: false });
    const timer = setTimeout(() => settle({ kind: 'timeout', what: `${request.method} ${url}` }), ms);
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      settle({ kind: 'upgraded' });
    });
    req.on('response', (res) => {
      const contentType = res.headers['content-type'];
      const status = res.statusCode ?? 0;
      if (contentType?.startsWith('text/event-stream') === true) {
        settle({ kind: 'response', status, contentType });
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        let token: string | undefined;
        try {
          const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { connectionToken?: unknown };
          if (typeof parsed.connectionToken === 'string') token = parsed.connectionToken;
        } catch {
          token = undefined;
        }
        settle({ kind: 'response', status, contentType, ...(token === undefined ? {} : { token }) });
      });
      res.on('error', (error) => settle({ kind: 'closed', error: error.message }));
    });
    req.on('error', (error) => settle({ kind: 'closed', error: error.message }));
    if (request.body === undefined) req.end();
    else if (request.chunked && request.body.length > 1) {
      const half = request.body.length >> 1;
      req.write(request.body.subarray(0, half));
      req.end(request.body.subarray(half));
    } else req.end(request.body);
  });
}
