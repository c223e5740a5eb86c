import { describe, expect, it } from 'vitest';
import { describeError, idleStatus, sameStatus, statusLabel, statusOf, type HubLike } from './hub-view';

const hub = (state: HubLike['state'], transport?: HubLike['transport']): HubLike => ({ state, transport, protocol: 'json' });

describe('statusOf', () => {
  it('shows the transport and protocol while connected, and no error', () => {
    expect(statusOf('/hubs/events', hub('connected', 'WebSockets'), undefined)).toEqual({ path: '/hubs/events', state: 'connected', transport: 'WebSockets', protocol: 'json', error: undefined });
  });

  it('keeps the reason of a loss while the connection is down, and drops it once connected', () => {
    const lost = statusOf('/hubs/events', hub('reconnecting'), new Error('WebSocket closed with status code: 1006 ().'));
    expect(lost).toMatchObject({ state: 'reconnecting', transport: undefined, error: 'WebSocket closed with status code: 1006 ().' });
    const stillDown = statusOf('/hubs/events', hub('connecting'), undefined, lost);
    expect(stillDown.error).toBe(lost.error);
    expect(statusOf('/hubs/events', hub('connected', 'ServerSentEvents'), undefined, stillDown).error).toBeUndefined();
  });

  it('does not show a transport a client reports while not connected', () => {
    expect(statusOf('/hubs/chat', hub('disconnected', 'LongPolling'), undefined).transport).toBeUndefined();
  });
});

describe('describeError', () => {
  it('names the refusals the negotiate answers', () => {
    const negotiate = (status: number) => new Error(`Failed to complete negotiation with the server: Error: Unauthorized: Status code '${status}'`);
    expect(describeError(negotiate(401))).toMatch(/not logged in or the token expired/);
    expect(describeError(negotiate(403))).toMatch(/roles do not allow/);
    expect(describeError(negotiate(404))).toMatch(/no such hub/);
    expect(describeError(negotiate(503))).toMatch(/shutting down/);
  });

  it('keeps other messages, without a leading "Error: "', () => {
    expect(describeError(new Error('Error: Server timeout elapsed without receiving a message from the server.'))).toBe('Server timeout elapsed without receiving a message from the server.');
    const unnamed = new Error('');
    unnamed.name = 'AbortError';
    expect(describeError(unnamed)).toBe('AbortError');
  });
});

describe('statusLabel and sameStatus', () => {
  it('reads as the indicator shows it', () => {
    expect(statusLabel(statusOf('/hubs/events', hub('connected', 'WebSockets'), undefined))).toBe('connected · WebSockets · json');
    expect(statusLabel(statusOf('/hubs/events', hub('reconnecting'), undefined))).toBe('reconnecting');
    expect(statusLabel(idleStatus('/hubs/events'))).toBe('not connected');
  });

  it('compares what is shown', () => {
    const a = statusOf('/hubs/events', hub('connected', 'WebSockets'), undefined);
    expect(sameStatus(a, { ...a })).toBe(true);
    expect(sameStatus(a, { ...a, transport: 'LongPolling' })).toBe(false);
  });
});
