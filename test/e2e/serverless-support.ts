/**
 * A local upstream for the serverless-hub tests: a node:http server on 127.0.0.1 port 0 that
 * records every request (checking X-ASRS-Signature against the access keys it holds) and answers
 * with what the test's `respond` says; and an app-owned negotiate server that answers
 * `serviceNegotiation(…)`, as an app sending its clients to Hubwire would.
 * @module
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serviceNegotiation } from 'hubwire';
import { verifySignature } from '../../apps/server/src/modules/upstream/signature.js';

/** One request the upstream received. */
export interface UpstreamCall {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  /** Whether X-ASRS-Signature holds the HMAC of X-ASRS-Connection-Id with one of the keys. */
  readonly signed: boolean;
}

/** An answer of the upstream. */
export interface UpstreamAnswer {
  readonly status?: number;
  readonly body?: string | Uint8Array;
  readonly contentType?: string;
}

/** The running upstream. */
export interface Upstream {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly calls: UpstreamCall[];
  /** What it answers (a signature that does not verify is always 401); replace it per test. */
  respond: (call: UpstreamCall) => UpstreamAnswer | Promise<UpstreamAnswer>;
  close(): Promise<void>;
}

/** Starts an upstream that trusts `keys`. */
export async function startUpstream(keys: readonly string[]): Promise<Upstream> {
  const calls: UpstreamCall[] = [];
  const upstream: Upstream = {
    url: '',
    calls,
    respond: () => ({ status: 200 }),
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const header = (name: string) => {
        const value = req.headers[name];
        return Array.isArray(value) ? value[0] : value;
      };
      const call: UpstreamCall = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks), signed: verifySignature(header('x-asrs-signature'), header('x-asrs-connection-id'), keys) };
      calls.push(call);
      Promise.resolve(call.signed ? upstream.respond(call) : { status: 401 })
        .then((answer) => {
          res.writeHead(answer.status ?? 200, answer.contentType === undefined ? {} : { 'content-type': answer.contentType });
          res.end(answer.body);
        })
        .catch(() => {
          res.writeHead(500);
          res.end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  (upstream as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return upstream;
}

/** An app's own negotiate: `POST /app/negotiate` answers `serviceNegotiation` for `endpoint`'s hub. */
export async function startNegotiateServer(options: { endpoint: string; hub: string; accessKey: string; userId: string }): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || !(req.url ?? '').startsWith('/app/negotiate')) {
      res.writeHead(404);
      res.end();
      return;
    }
    serviceNegotiation(options).then(
      (answer) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      },
      () => {
        res.writeHead(500);
        res.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/app`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
