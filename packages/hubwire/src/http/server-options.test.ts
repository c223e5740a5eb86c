import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import { createHubServer } from '../server.js';
import { DEFAULT_HTTP_SERVER_OPTIONS, httpServerOptions } from './server-options.js';

describe('httpServerOptions', () => {
  it('fills in the defaults and takes values over them; 0 switches a timeout off, as in Node', () => {
    assert.deepEqual(httpServerOptions({}), DEFAULT_HTTP_SERVER_OPTIONS);
    assert.deepEqual(httpServerOptions({ headersTimeout: 0, requestTimeout: 0, keepAliveTimeout: 65_000 }), {
      ...DEFAULT_HTTP_SERVER_OPTIONS,
      headersTimeout: 0,
      requestTimeout: 0,
      keepAliveTimeout: 65_000,
    });
  });

  it('refuses values Node would refuse, naming the option', () => {
    assert.throws(() => httpServerOptions({ headersTimeout: -1 }), /'headersTimeout' must be a non-negative integer/);
    assert.throws(() => httpServerOptions({ connectionsCheckingInterval: 0 }), /'connectionsCheckingInterval' must be a positive integer/);
    assert.throws(() => httpServerOptions({ maxHeaderSize: 1.5 }), /'maxHeaderSize'/);
    assert.throws(() => httpServerOptions({ headersTimeout: 40_000 }), /'headersTimeout' must not exceed 'requestTimeout'/);
    assert.throws(() => createHubServer({ requestTimeout: 100 }), /must not exceed/);
  });

  it('are what Node accepts for createServer', () => {
    const server = createServer({ ...DEFAULT_HTTP_SERVER_OPTIONS });
    assert.equal(server.headersTimeout, DEFAULT_HTTP_SERVER_OPTIONS.headersTimeout);
    assert.equal(server.requestTimeout, DEFAULT_HTTP_SERVER_OPTIONS.requestTimeout);
    assert.equal(server.keepAliveTimeout, DEFAULT_HTTP_SERVER_OPTIONS.keepAliveTimeout);
    server.close();
  });

  it('listen() applies them; attach() leaves a server of your own as you made it', async () => {
    const hubwire = createHubServer({ headersTimeout: 2000, requestTimeout: 4000, keepAliveTimeout: 1000 });
    await hubwire.listen({ port: 0 });
    const own = createServer();
    try {
      assert.deepEqual([hubwire.httpServer!.headersTimeout, hubwire.httpServer!.requestTimeout, hubwire.httpServer!.keepAliveTimeout], [2000, 4000, 1000]);
      const before = [own.headersTimeout, own.requestTimeout, own.keepAliveTimeout];
      createHubServer().attach(own);
      assert.deepEqual([own.headersTimeout, own.requestTimeout, own.keepAliveTimeout], before);
    } finally {
      own.close();
      await hubwire.close();
    }
  });
});
