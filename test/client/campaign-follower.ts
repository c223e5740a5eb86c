/**
 * A follower of one campaign on @hubwire/client, shared by the one-node and the cross-node client
 * tests: the campaign's messages and snapshots in arrival order, the sequence numbers seen, and
 * the subscription's joins and snapshot fallbacks. The sequence number is the position (the
 * default `positionOf` reads a snapshot's lastEventSequence and a recovery's position).
 * @module
 */
import { LogLevel } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { connectHub, type GroupPosition, type JoinInfo } from '@hubwire/client';
import type { ArtifactUpdate, CampaignRecovery, CampaignSnapshot, OrchestrationEvent } from '../../apps/server/src/modules/campaigns/model.js';

/** The hub as a browser app declares it (docs/hubs.md). */
export interface CampaignsServer {
  SubscribeToCampaign(campaignId: string, fromSequence: number | null): Promise<CampaignSnapshot | CampaignRecovery>;
}
export interface CampaignsClient {
  ReceiveOrchestrationEvent(event: OrchestrationEvent, position?: GroupPosition): void;
  ReceiveArtifactUpdate(update: ArtifactUpdate, position?: GroupPosition): void;
  ReceiveCampaignSnapshot(snapshot: CampaignSnapshot): void;
}

export interface FollowOptions {
  readonly accessTokenFactory: () => Promise<string>;
  readonly messagePack?: boolean;
  /** Milliseconds between reconnect attempts after the first (immediate) one. */
  readonly retryEvery: number;
}

/** Connects a client to `url` (a /hubs/campaigns endpoint) that follows `campaignId`. */
export function followCampaign(url: string, campaignId: string, options: FollowOptions) {
  const hub = connectHub<CampaignsServer, CampaignsClient>(url, {
    logger: LogLevel.None,
    reconnect: { delays: [0], then: options.retryEvery, jitter: 0 },
    accessTokenFactory: options.accessTokenFactory,
    ...(options.messagePack === true ? { protocol: new MessagePackHubProtocol() } : {}),
  });
  const log: string[] = [];
  const sequences: number[] = [];
  hub.on.ReceiveOrchestrationEvent((event) => {
    sequences.push(event.sequence);
    log.push(`event ${event.sequence}`);
  });
  hub.on.ReceiveArtifactUpdate((update) => {
    sequences.push(update.sequence);
    log.push(`artifact ${update.sequence}`);
  });
  hub.on.ReceiveCampaignSnapshot((snapshot) => void log.push(`snapshot ${snapshot.lastEventSequence}`));
  const joins: JoinInfo[] = [];
  const missed: JoinInfo[] = [];
  const subscription = hub.subscribe({
    group: `campaign:${campaignId}`,
    join: (since) => hub.invoke.SubscribeToCampaign(campaignId, since?.offset ?? null),
    onJoined: (_answer, info) => void joins.push(info),
    onMissed: (_answer, info) => {
      missed.push(info);
      log.push('onMissed');
    },
  });
  return { hub, log, sequences, joins, missed, subscription };
}
