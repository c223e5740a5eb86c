import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemClock } from '../core/clock.js';
import { MessageType, type HubMessage } from '../protocol/messages.js';
import { ConnectionCalls, reusedStreamId } from './connection-calls.js';

const completion = (invocationId: string, result: unknown) => ({ type: MessageType.Completion, invocationId, hasResult: true, result }) as const;

describe('ConnectionCalls', () => {
  it('a Completion ends an upload before it answers a client-result call with the same id', async () => {
    const calls = new ConnectionCalls('c1', systemClock, 10, () => undefined);
    const sent: HubMessage[] = [];
    const result = calls.invokeClient({ write: (message) => sent.push(message) }, 'ask', [], {});
    const id = (sent[0] as { invocationId: string }).invocationId;
    const [upload] = calls.openUploads([id]);
    assert.equal(calls.completeClientResult(completion(id, 1)), false, 'an open upload owns the id');
    calls.complete(completion(id, 1));
    const items: unknown[] = [];
    for await (const item of upload!) items.push(item);
    assert.deepEqual(items, []);
    assert.equal(calls.completeClientResult(completion(id, 42)), true);
    assert.equal(await result, 42);
  });

  it('a client-result call whose write throws fails instead of hanging', async () => {
    const calls = new ConnectionCalls('c1', systemClock, 10, () => undefined);
    const failing = calls.invokeClient({ write: () => { throw new Error('not serializable'); } }, 'ask', [], {});
    await assert.rejects(failing, /not serializable/);
  });

  it('closeAll cancels streams, ends uploads and fails pending client results', async () => {
    const calls = new ConnectionCalls('c1', systemClock, 10, () => undefined);
    const cancel = { aborted: 0, abort() { this.aborted++; } };
    calls.activeStreams.set('s', cancel as never);
    const [upload] = calls.openUploads(['u']);
    const pending = calls.invokeClient({ write: () => undefined }, 'ask', [], {});
    calls.closeAll();
    assert.equal(cancel.aborted, 1);
    await assert.rejects(upload![Symbol.asyncIterator]().next(), /The connection was closed\./);
    await assert.rejects(pending, /Connection 'c1' disconnected\./);
  });

  it('closing uploads lets held-up input go on', () => {
    let pumped = 0;
    const calls = new ConnectionCalls('c1', systemClock, 1, () => void pumped++);
    calls.openUploads(['u']);
    calls.pushItem('u', 1);
    assert.equal(calls.uploadIsFull('u'), true);
    calls.closeUploads(['u']);
    assert.equal(calls.hasUpload('u'), false);
    assert.equal(pumped, 1);
  });
});

describe('reusedStreamId', () => {
  it('names an id open already or given twice', () => {
    const calls = new ConnectionCalls('c1', systemClock, 10, () => undefined);
    calls.openUploads(['open']);
    assert.equal(reusedStreamId(['a', 'b'], calls), undefined);
    assert.equal(reusedStreamId(['a', 'open'], calls), 'open');
    assert.equal(reusedStreamId(['a', 'b', 'a'], undefined), 'a');
  });
});
