/**
 * The campaigns of a cluster, in the Redis every node shares (see redis-scripts.ts for the keys).
 * Limits are cluster-wide: `maxActiveRuns` runs at once, the latest `maxCampaigns` kept, and
 * each campaign expires `retentionMs` after its last change. A run's claim expires `claimTtlMs`
 * after its owner last renewed it, so a node that dies without a word loses its runs to the
 * first node that scans after that. Every call is bounded by `commandTimeoutMs`; a Redis that is
 * down or too slow makes it fail with {@link CampaignStoreUnavailable}.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { withTimeout } from '../../cluster/bounded.js';
import type { ClusterContext } from '../../cluster/cluster-context.js';
import { isFinal } from './model.js';
import { CLAIM_ORPHANS, COMMIT, CREATE, LIST, MARK_PUBLISHED, RELEASE, RENEW, runScript, type Script } from './redis-scripts.js';
import { sequenceOf, type CampaignMessage, type CampaignRecord, type Change } from './run.js';
import { CampaignStoreUnavailable, type CampaignStore, type CommitOutcome, type CreateOutcome, type RunClaim, type StoredCampaign } from './store.js';

/** Options of {@link RedisCampaignStore}. */
export interface RedisCampaignStoreOptions {
  readonly cluster: ClusterContext;
  /** Campaigns kept cluster-wide; beyond it the oldest ended ones are deleted. Default 500. */
  readonly maxCampaigns?: number;
  /** A campaign expires this long after its last change (ms). Default 24 h. */
  readonly retentionMs?: number;
  /** A claim not renewed for this long (ms) lets another node take the run. Default 3000. */
  readonly claimTtlMs?: number;
  /** Longest wait for one Redis call (ms). Default 2000. */
  readonly commandTimeoutMs?: number;
}

/** Latest messages kept per campaign for a new owner to publish what the old one may not have. */
const KEPT_MESSAGES = 64;

/** {@link CampaignStore} on Redis. */
export class RedisCampaignStore implements CampaignStore {
  readonly claimsExpire = true;
  readonly #cluster: ClusterContext;
  readonly #base: string;
  readonly #maxCampaigns: number;
  readonly #retentionMs: number;
  readonly #claimTtlMs: number;
  readonly #timeoutMs: number;
  /** Makes every claim token of this store unique: a node that claims a run again gets a new token. */
  readonly #tokenBase = `${randomBytes(6).toString('hex')}`;
  #claims = 0;

  constructor(options: RedisCampaignStoreOptions) {
    this.#cluster = options.cluster;
    this.#base = options.cluster.key('{campaigns}');
    this.#maxCampaigns = options.maxCampaigns ?? 500;
    this.#retentionMs = options.retentionMs ?? 24 * 60 * 60 * 1000;
    this.#claimTtlMs = options.claimTtlMs ?? 3000;
    this.#timeoutMs = options.commandTimeoutMs ?? 2000;
  }

  /** How long a claim lives without renewal (ms). */
  get claimTtlMs(): number {
    return this.#claimTtlMs;
  }

  async create(change: Change, maxActiveRuns: number): Promise<CreateOutcome> {
    const { record } = change;
    const claim: RunClaim = { campaignId: record.id, token: this.#newToken() + record.id };
    const created = await this.#script(
      CREATE,
      [this.#key('active'), this.#key('index'), this.#record(record.id), this.#messages(record.id), this.#claim(record.id), this.#key('serial')],
      [record.id, JSON.stringify(record), record.sequence, claim.token, this.#claimTtlMs, this.#retentionMs, maxActiveRuns, this.#maxCampaigns, this.#base, ...change.messages.map((message) => JSON.stringify(message))],
    );
    return created === 1 ? { kind: 'created', claim } : { kind: 'too-many' };
  }

  async load(campaignId: string): Promise<StoredCampaign | undefined> {
    const [record, published] = (await this.#call((redis) => redis.sendCommand(['HMGET', this.#record(campaignId), 'record', 'published']))) as [string | null, string | null];
    if (record === null) return undefined;
    return { record: JSON.parse(record) as CampaignRecord, publishedThrough: Number(published ?? 0) };
  }

  async list(): Promise<CampaignRecord[]> {
    const records = (await this.#script(LIST, [this.#key('index')], [this.#maxCampaigns, this.#base])) as string[];
    return records.map((json) => JSON.parse(json) as CampaignRecord);
  }

  async activeRuns(): Promise<number> {
    return Number(await this.#call((redis) => redis.sendCommand(['SCARD', this.#key('active')])));
  }

  async commit(campaignId: string, expectedSequence: number, change: Change, claim: RunClaim | undefined): Promise<CommitOutcome> {
    const { record } = change;
    return (await this.#script(
      COMMIT,
      [this.#record(campaignId), this.#messages(campaignId), this.#claim(campaignId), this.#key('active')],
      [
        expectedSequence,
        record.sequence,
        JSON.stringify(record),
        isFinal(record.state) ? 1 : 0,
        claim?.token ?? '',
        this.#retentionMs,
        KEPT_MESSAGES,
        campaignId,
        ...change.messages.map((message) => JSON.stringify(message)),
      ],
    )) as CommitOutcome;
  }

  async messagesAfter(campaignId: string, sequence: number): Promise<CampaignMessage[]> {
    const kept = (await this.#call((redis) => redis.sendCommand(['LRANGE', this.#messages(campaignId), '0', '-1']))) as string[];
    return kept.map((json) => JSON.parse(json) as CampaignMessage).filter((message) => sequenceOf(message) > sequence);
  }

  async markPublished(campaignId: string, sequence: number): Promise<void> {
    await this.#script(MARK_PUBLISHED, [this.#record(campaignId)], [sequence]);
  }

  async renew(claims: readonly RunClaim[]): Promise<string[]> {
    if (claims.length === 0) return [];
    const lost = (await this.#script(RENEW, claims.map((claim) => this.#claim(claim.campaignId)), [this.#claimTtlMs, ...claims.map((claim) => claim.token)])) as number[];
    return lost.map((position) => claims[position - 1]!.campaignId);
  }

  async release(claims: readonly RunClaim[]): Promise<void> {
    if (claims.length === 0) return;
    await this.#script(RELEASE, claims.map((claim) => this.#claim(claim.campaignId)), claims.map((claim) => claim.token));
  }

  async claimOrphans(): Promise<RunClaim[]> {
    const prefix = this.#newToken();
    const ids = (await this.#script(CLAIM_ORPHANS, [this.#key('active'), this.#key('index')], [this.#base, prefix, this.#claimTtlMs])) as string[];
    return ids.map((campaignId) => ({ campaignId, token: prefix + campaignId }));
  }

  #newToken(): string {
    this.#claims += 1;
    return `${this.#cluster.nodeId}:${this.#tokenBase}:${this.#claims}:`;
  }

  #key(name: string): string {
    return `${this.#base}:${name}`;
  }

  #record(id: string): string {
    return `${this.#base}:c:${id}`;
  }

  #messages(id: string): string {
    return `${this.#base}:m:${id}`;
  }

  #claim(id: string): string {
    return `${this.#base}:claim:${id}`;
  }

  #script(which: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    return this.#call((redis) => runScript(redis, which, keys, args));
  }

  /** One bounded call; any failure of Redis is the store being unavailable. */
  async #call(run: (redis: ClusterContext['redis']) => Promise<unknown>): Promise<unknown> {
    try {
      return await withTimeout(run(this.#cluster.redis), this.#timeoutMs);
    } catch (error) {
      throw new CampaignStoreUnavailable(`Campaign storage (Redis) is unavailable: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
}
