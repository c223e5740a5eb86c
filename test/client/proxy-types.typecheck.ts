/**
 * Type tests of @hubwire/client's proxies, checked by `npx tsc -p tsconfig.json` (this file is in
 * the repository's typecheck, never run): every `@ts-expect-error` must meet an error, or tsc
 * fails on the unused directive; the `Equal` checks pin the inferred types exactly.
 * Runtime behaviour of the same calls: hub-client.test.ts.
 */
import { Subject, type IStreamResult } from '@microsoft/signalr';
import { connectHub, type GroupPosition, type HubClient, type HubStream, type InvokeProxy, type MethodName } from '@hubwire/client';
import { Hub } from 'hubwire';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same = <A, B>(check: Equal<A, B>): Equal<A, B> => check;
/** Compiles only when the value's type is exactly `Expected`. */
const exactly =
  <Expected>() =>
  <Actual>(value: Actual, ...different: Equal<Actual, Expected> extends true ? [] : ['the types differ']): void =>
    void [value, different];

interface Artifact {
  id: string;
  progress: number;
}

interface CampaignsClient {
  ReceiveOrchestrationEvent(event: { sequence: number; state: string }, position?: GroupPosition): void;
  ReceiveCampaignSnapshot(snapshot: { lastEventSequence: number }): void;
  /** A client result. */
  ConfirmCancel(reason: string): boolean;
}

/** A Hubwire hub: base members (context, clients, groups, onConnected, …) are not methods of the proxy. */
class CampaignsHub extends Hub<CampaignsClient> {
  async subscribeToCampaign(campaignId: string, fromSequence?: number): Promise<{ recovered: boolean; lastEventSequence: number }> {
    return { recovered: fromSequence !== undefined && campaignId !== '', lastEventSequence: 0 };
  }
  cancel(campaignId: string, reason: string | null): void {
    void campaignId;
    void reason;
  }
  async *progress(campaignId: string): AsyncGenerator<Artifact> {
    yield { id: campaignId, progress: 1 };
  }
  async upload(label: string, artifacts: AsyncIterable<Artifact>): Promise<number> {
    let count = label.length;
    for await (const _artifact of artifacts) count++;
    return count;
  }
  count(): number {
    return 1;
  }
}

/** The same hub as a plain interface, as a browser app without the server's code declares it. */
interface CampaignsServer {
  SubscribeToCampaign(campaignId: string, fromSequence?: number): Promise<{ recovered: boolean }>;
  Prices(symbol: string): ReadableStreamLike<number>;
}

/** A stream shaped like the DOM's ReadableStream (matched by shape). */
interface ReadableStreamLike<T> {
  getReader(): { read(): Promise<{ done: false; value: T } | { done: true; value?: undefined }> };
}

export async function fromHubSubclass(): Promise<void> {
  const hub = connectHub<CampaignsHub, CampaignsClient>('/hubs/campaigns');

  const answer = await hub.invoke.subscribeToCampaign('c1', 3);
  exactly<{ recovered: boolean; lastEventSequence: number }>()(answer);
  await hub.invoke.subscribeToCampaign('c1');
  // @ts-expect-error a wrong argument type
  await hub.invoke.subscribeToCampaign('c1', '3');
  // @ts-expect-error a missing argument
  await hub.invoke.subscribeToCampaign();
  // @ts-expect-error one argument too many
  await hub.invoke.subscribeToCampaign('c1', 3, 4);
  // @ts-expect-error a method the hub does not have
  await hub.invoke.subscribeToCampaigns('c1');
  // @ts-expect-error the Hub base class's members are not hub methods
  await hub.invoke.onConnected();
  // @ts-expect-error nor its getters
  await hub.invoke.groups();

  same<Awaited<ReturnType<typeof hub.invoke.count>>, number>(true);
  same<Awaited<ReturnType<typeof hub.invoke.cancel>>, void>(true);
  same<ReturnType<typeof hub.send.cancel>, Promise<void>>(true);
  await hub.send.cancel('c1', null);
  // @ts-expect-error send checks arguments too
  await hub.send.cancel('c1', 42);

  // Streaming methods are on `stream` only, with their item type.
  const progress = hub.stream.progress('c1');
  same<typeof progress, HubStream<Artifact>>(true);
  for await (const artifact of progress) exactly<Artifact>()(artifact);
  // @ts-expect-error a streaming method cannot be invoked
  await hub.invoke.progress('c1');
  // @ts-expect-error a method that does not stream cannot be streamed
  hub.stream.count();

  // An upload parameter takes a Subject (any IStreamResult) of its item type.
  await hub.invoke.upload('batch', new Subject<Artifact>());
  // @ts-expect-error of its item type
  await hub.invoke.upload('batch', new Subject<string>());
  same<Parameters<typeof hub.invoke.upload>[1], IStreamResult<Artifact>>(true);

  // Handlers are typed from the client interface; each returns its unsubscribe function.
  const off = hub.on.ReceiveOrchestrationEvent((event, position) => {
    exactly<number>()(event.sequence);
    exactly<GroupPosition | undefined>()(position);
  });
  off();
  hub.on.ReceiveCampaignSnapshot(() => undefined);
  hub.on.ConfirmCancel((reason) => reason.length > 0);
  hub.on.ConfirmCancel(async () => true);
  // @ts-expect-error a client-result handler must answer with the declared type
  hub.on.ConfirmCancel(() => 'yes');
  // @ts-expect-error a client method the interface does not declare
  hub.on.ReceiveSomethingElse(() => undefined);
  // @ts-expect-error a handler's parameters must fit what the server sends
  hub.on.ReceiveCampaignSnapshot((snapshot: { lastEventSequence: string }) => void snapshot);
}

export async function fromHubClass(): Promise<void> {
  // The class itself (`typeof CampaignsHub`) names the same methods as its instances.
  const hub = connectHub<typeof CampaignsHub, CampaignsClient>('/hubs/campaigns');
  same<MethodName<InstanceType<typeof CampaignsHub>>, 'subscribeToCampaign' | 'cancel' | 'progress' | 'upload' | 'count'>(true);
  const answer = await hub.invoke.subscribeToCampaign('c1', 1);
  exactly<number>()(answer.lastEventSequence);
  // @ts-expect-error still checked
  await hub.invoke.subscribeToCampaign(1);
}

export async function fromInterface(): Promise<void> {
  const hub: HubClient<CampaignsServer, CampaignsClient> = connectHub<CampaignsServer, CampaignsClient>('/hubs/campaigns');
  same<Awaited<ReturnType<typeof hub.invoke.SubscribeToCampaign>>, { recovered: boolean }>(true);
  same<ReturnType<typeof hub.stream.Prices>, HubStream<number>>(true);
  // @ts-expect-error names are as the interface spells them
  await hub.invoke.subscribeToCampaign('c1');
  // A subscription's join uses the typed proxy; positionOf gets the join's own result type.
  hub.subscribe({
    group: 'campaign:c1',
    join: (since) => hub.invoke.SubscribeToCampaign('c1', since?.offset),
    positionOf: (result) => (result.recovered ? undefined : { offset: 0 }),
  });
  hub.subscribe({
    group: 'campaign:c2',
    // @ts-expect-error the offset is a number, not the position object
    join: (since) => hub.invoke.SubscribeToCampaign('c2', since),
  });
}

export async function dynamic(): Promise<void> {
  // Without types: any method, any arguments, results of type any. (The proxies are index
  // signatures then, so with noUncheckedIndexedAccess each member is possibly undefined.)
  const hub = connectHub('/hubs/anything');
  const value = await hub.invoke.whatever!(1, 'two', { three: 3 });
  exactly<any>()(value);
  hub.on.Anything!((...args: unknown[]) => void args);
  for await (const item of hub.stream.feed!()) exactly<any>()(item);
  // @ts-expect-error possibly undefined under noUncheckedIndexedAccess
  await hub.send.whatever();
  const proxy: InvokeProxy<{ ping(): Promise<'pong'> }> = connectHub<{ ping(): Promise<'pong'> }>('/hubs/ping').invoke;
  exactly<'pong'>()(await proxy.ping());
}
