import { describe, expect, it } from 'vitest';
import { buildSendRequest, MAX_ARGS, type SendFields } from './send-form';

const fields = (overrides: Partial<SendFields>): SendFields => ({ hub: 'chat', targetKind: 'connection', targetValue: 'c-1', method: 'ReceiveMessage', args: '', ...overrides });

describe('the test-message form', () => {
  it('builds the request for each kind of target', () => {
    expect(buildSendRequest(fields({ args: '["operator", "hello"]' }))).toEqual({ ok: true, hub: 'chat', request: { target: { connection: 'c-1' }, method: 'ReceiveMessage', args: ['operator', 'hello'] } });
    expect(buildSendRequest(fields({ targetKind: 'user', targetValue: ' jane.smith ' }))).toEqual({ ok: true, hub: 'chat', request: { target: { user: 'jane.smith' }, method: 'ReceiveMessage' } });
    expect(buildSendRequest(fields({ targetKind: 'group', targetValue: 'room 1' }))).toMatchObject({ ok: true, request: { target: { group: 'room 1' } } });
    expect(buildSendRequest(fields({ targetKind: 'all', targetValue: '' }))).toMatchObject({ ok: true, request: { target: { all: true } } });
  });

  it('names what is missing', () => {
    expect(buildSendRequest(fields({ hub: '', targetValue: ' ', method: '' }))).toEqual({
      ok: false,
      errors: { hub: 'Choose a hub.', targetValue: 'Enter the connection id.', method: 'Enter the client method to call.' },
    });
    expect(buildSendRequest(fields({ targetKind: 'group', targetValue: '' }))).toEqual({ ok: false, errors: { targetValue: 'Enter the group.' } });
  });

  it('takes the arguments as a JSON array only, within the server\'s limit', () => {
    expect(buildSendRequest(fields({ args: '{"a": 1}' }))).toEqual({ ok: false, errors: { args: 'The arguments are a JSON array, e.g. ["operator", "hello"].' } });
    expect(buildSendRequest(fields({ args: '[1,' }))).toEqual({ ok: false, errors: { args: 'The arguments are not valid JSON.' } });
    expect(buildSendRequest(fields({ args: JSON.stringify(Array.from({ length: MAX_ARGS + 1 }, () => 0)) }))).toEqual({ ok: false, errors: { args: `At most ${MAX_ARGS} arguments.` } });
    expect(buildSendRequest(fields({ args: '[]' }))).toMatchObject({ ok: true, request: { args: [] } });
  });

  it('refuses names longer than the server takes', () => {
    expect(buildSendRequest(fields({ targetValue: 'x'.repeat(1025), method: 'm'.repeat(257) }))).toEqual({ ok: false, errors: { targetValue: 'At most 1024 characters.', method: 'At most 256 characters.' } });
  });
});
