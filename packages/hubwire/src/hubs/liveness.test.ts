import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Liveness, authenticationExpired } from './liveness.js';

describe('Liveness', () => {
  it('is due for a Ping only after keepAliveInterval without any write', () => {
    const liveness = new Liveness(0);
    const output = { wroteSinceTick: false };
    assert.equal(liveness.pingDue(14_000, output, 15_000), false);
    assert.equal(liveness.pingDue(15_000, output, 15_000), true);
    // The Ping counts as a write: the next one is a full interval later.
    assert.equal(liveness.pingDue(29_000, output, 15_000), false);
    output.wroteSinceTick = true;
    assert.equal(liveness.pingDue(30_000, output, 15_000), false);
    assert.equal(output.wroteSinceTick, false, 'the flag is consumed');
    assert.equal(liveness.pingDue(44_000, output, 15_000), false);
    assert.equal(liveness.pingDue(45_000, output, 15_000), true);
  });

  it('times out only a client that pings, and not while the server is behind', () => {
    const liveness = new Liveness(0);
    const idle = { behind: false };
    assert.equal(liveness.clientSilent(60_000, idle, 30_000), false, 'a client that never pinged is not timed out');
    liveness.clientPinged = true;
    assert.equal(liveness.clientSilent(60_000, idle, 30_000), true);
    liveness.receivedSinceTick = true;
    assert.equal(liveness.clientSilent(61_000, idle, 30_000), false);
    assert.equal(liveness.receivedSinceTick, false, 'the flag is consumed');
    assert.equal(liveness.clientSilent(120_000, { behind: true }, 30_000), false, 'silence the server caused');
    assert.equal(liveness.clientSilent(149_000, idle, 30_000), false);
    assert.equal(liveness.clientSilent(150_000, idle, 30_000), true);
  });

  it('watches sends only once the transport has been seen backed up', () => {
    const liveness = new Liveness(0);
    assert.equal(liveness.sendStuck(1000, 5000, 100, 0), undefined);
    assert.equal(liveness.sendStuck(2000, 5000, 200, 200), undefined);
    assert.equal(liveness.sendStuck(6000, 5000, 200, 200), undefined);
    assert.equal(liveness.sendStuck(7000, 5000, 200, 200), 5000);
  });

  it('counts the handshake from construction', () => {
    const liveness = new Liveness(1000);
    assert.equal(liveness.handshakeOverdue(15_999, 15_000), false);
    assert.equal(liveness.handshakeOverdue(16_000, 15_000), true);
  });
});

describe('authenticationExpired', () => {
  it('uses expiresAt, else a numeric exp claim in seconds, else never', () => {
    assert.equal(authenticationExpired(undefined, Number.MAX_SAFE_INTEGER), false);
    assert.equal(authenticationExpired({ claims: {}, expiresAt: 5000 }, 4999), false);
    assert.equal(authenticationExpired({ claims: {}, expiresAt: 5000 }, 5000), true);
    assert.equal(authenticationExpired({ claims: { exp: 5 } }, 4999), false);
    assert.equal(authenticationExpired({ claims: { exp: 5 } }, 5000), true);
    assert.equal(authenticationExpired({ claims: { exp: '5' } }, 1e15), false);
    assert.equal(authenticationExpired({ claims: { exp: 5 }, expiresAt: 9000 }, 6000), false, 'expiresAt wins');
  });
});
