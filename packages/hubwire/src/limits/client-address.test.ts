import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientAddressResolver, UNKNOWN_ADDRESS } from './client-address.js';

describe('clientAddressResolver', () => {
  it('ignores X-Forwarded-For when no proxy is trusted', () => {
    const resolve = clientAddressResolver();
    assert.equal(resolve('127.0.0.1', '203.0.113.9'), '127.0.0.1');
    assert.equal(resolve('::ffff:10.1.2.3', undefined), '10.1.2.3');
    assert.equal(resolve(undefined, undefined), UNKNOWN_ADDRESS);
  });

  it('believes the header only from a trusted proxy, reading from the right', () => {
    const resolve = clientAddressResolver(['loopback', '10.0.0.0/8']);
    // Client 203.0.113.9 → proxy 10.0.0.2 → proxy 127.0.0.1 (the socket).
    assert.equal(resolve('127.0.0.1', '203.0.113.9, 10.0.0.2'), '203.0.113.9');
    // A client that writes its own header in front gains nothing: the rightmost untrusted hop wins.
    assert.equal(resolve('127.0.0.1', '1.1.1.1, 203.0.113.9'), '203.0.113.9');
    // From an untrusted socket the header is ignored.
    assert.equal(resolve('198.51.100.4', '1.1.1.1'), '198.51.100.4');
    // Several header lines count as one list.
    assert.equal(resolve('::1', ['203.0.113.9', '10.9.9.9']), '203.0.113.9');
  });

  it('stops at a hop that is not an address', () => {
    const resolve = clientAddressResolver(['loopback']);
    assert.equal(resolve('127.0.0.1', 'not-an-ip, 203.0.113.9'), '203.0.113.9');
    assert.equal(resolve('127.0.0.1', '203.0.113.9, garbage'), '127.0.0.1');
  });

  it('refuses a bad configuration', () => {
    assert.throws(() => clientAddressResolver(['10.0.0.0/33']), RangeError);
    assert.throws(() => clientAddressResolver(['proxy.local']), RangeError);
  });
});
