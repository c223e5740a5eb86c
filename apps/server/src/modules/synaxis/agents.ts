/**
 * Simulated Synaxis agents (demo mode): every interval, each organization with a connected member
 * gets its next notification, the five types in turn, with plausible data (a provider's health
 * moves from its last status; savings and prices stay in sensible ranges).
 * @module
 */
import { systemClock, type Clock, type TimerHandle } from 'hubwire';
import type { Logger } from 'pino';
import { NOTIFICATION_TYPES, type ProviderStatus, type SynaxisNotificationType, type SynaxisPayloads } from './model.js';
import type { SynaxisNotifier } from './notifier.js';

/** Options of {@link SynaxisAgents}. */
export interface SynaxisAgentsOptions {
  readonly notifier: SynaxisNotifier;
  /** The organizations to notify at each tick (those with connected members, in the server). */
  readonly organizations: () => readonly string[] | Promise<readonly string[]>;
  /** Checked at each tick: false skips it (this node no longer leads the agents). */
  readonly active?: () => boolean;
  /** Called after each tick with the agents' state, to keep it for a node that takes over. */
  readonly record?: (snapshot: AgentsSnapshot) => Promise<unknown>;
  readonly intervalMs: number;
  readonly clock?: Clock;
  /** A number in [0, 1); default Math.random. */
  readonly random?: () => number;
  readonly logger?: Logger;
}

const PROVIDERS = ['openai', 'anthropic', 'mistral', 'google-vertex', 'azure-openai', 'cohere'];
const MODELS: Record<string, string[]> = {
  openai: ['gpt-4.1-mini', 'o4-mini', 'gpt-4o-2024-11-20'],
  anthropic: ['claude-sonnet-4', 'claude-haiku-3.5'],
  mistral: ['mistral-large-2411', 'codestral-2501'],
  'google-vertex': ['gemini-2.5-flash', 'gemini-2.5-pro'],
  'azure-openai': ['gpt-4.1', 'o3-mini'],
  cohere: ['command-r-plus-08-2024', 'command-a-03-2025'],
};
const POLICIES: [string, string][] = [
  ['semantic-cache', 'Semantic cache enabled for repeated support prompts'],
  ['model-downgrade', 'Routed classification traffic to a smaller model'],
  ['batching', 'Batched nightly embedding jobs'],
  ['prompt-compression', 'Compressed long system prompts'],
];
const ALERTS: [string, string][] = [
  ['authentication', 'Repeated failed sign-ins for one API key'],
  ['data-exfiltration', 'Unusually large completion volume from one project'],
  ['prompt-injection', 'Prompt-injection pattern detected in user input'],
  ['key-rotation', 'An API key is older than 90 days'],
];
const ACTORS = ['jane.smith', 'john.doe', 'admin', 'ci-bot'];
const ACTIONS: [string, string][] = [
  ['api-key.created', 'projects/web/keys'],
  ['policy.updated', 'routing/default'],
  ['budget.changed', 'billing/monthly-budget'],
  ['member.invited', 'members'],
];

/** What the agents carry from one tick to the next, as plain JSON. */
export interface AgentsSnapshot {
  /** The next notification type per organization (an index into the five types). */
  readonly turn: Readonly<Record<string, number>>;
  /** The last status per `organization/provider`. */
  readonly health: Readonly<Record<string, ProviderStatus>>;
}

/** Emits notifications on a timer; stop it with {@link SynaxisAgents.stop}. */
export class SynaxisAgents {
  readonly #options: SynaxisAgentsOptions;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #turn = new Map<string, number>();
  readonly #health = new Map<string, ProviderStatus>();
  #timer: TimerHandle | undefined;

  constructor(options: SynaxisAgentsOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
  }

  /** Whether the timer runs. */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  start(): void {
    this.#timer ??= this.#clock.setInterval(() => {
      if (this.#options.active?.() === false) return;
      void this.tick();
    }, this.#options.intervalMs);
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** The state the next tick follows from. */
  snapshot(): AgentsSnapshot {
    return { turn: Object.fromEntries(this.#turn), health: Object.fromEntries(this.#health) };
  }

  /** Continues from `snapshot` (e.g. of the node that ran the agents before). */
  restore(snapshot: AgentsSnapshot): void {
    this.#turn.clear();
    this.#health.clear();
    for (const [organizationId, turn] of Object.entries(snapshot.turn)) if (Number.isInteger(turn)) this.#turn.set(organizationId, turn);
    for (const [key, status] of Object.entries(snapshot.health)) if (status === 'healthy' || status === 'degraded' || status === 'down') this.#health.set(key, status);
  }

  /** Sends every current organization its next notification. */
  async tick(): Promise<void> {
    let organizations: readonly string[];
    try {
      organizations = await this.#options.organizations();
    } catch (error) {
      this.#options.logger?.warn({ err: error }, 'organizations with members not known; tick skipped');
      return;
    }
    await Promise.all(
      organizations.map(async (organizationId) => {
        const turn = this.#turn.get(organizationId) ?? 0;
        this.#turn.set(organizationId, turn + 1);
        const type = NOTIFICATION_TYPES[turn % NOTIFICATION_TYPES.length]!;
        try {
          await this.#options.notifier.notify(organizationId, type, this.#payload(organizationId, type));
        } catch (error) {
          this.#options.logger?.warn({ err: error, organizationId, type }, 'simulated synaxis notification not sent');
        }
      }),
    );
    await this.#options.record?.(this.snapshot());
  }

  #pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#random() * items.length)]!;
  }

  #between(min: number, max: number, decimals = 0): number {
    const factor = 10 ** decimals;
    return Math.round((min + this.#random() * (max - min)) * factor) / factor;
  }

  #payload<T extends SynaxisNotificationType>(organizationId: string, type: T): SynaxisPayloads[T] {
    const payloads: { [K in SynaxisNotificationType]: () => SynaxisPayloads[K] } = {
      ProviderHealthChanged: () => {
        const provider = this.#pick(PROVIDERS);
        const key = `${organizationId}/${provider}`;
        const previousStatus = this.#health.get(key) ?? 'healthy';
        const next: Record<ProviderStatus, ProviderStatus[]> = { healthy: ['degraded'], degraded: ['healthy', 'down'], down: ['degraded', 'healthy'] };
        const status = this.#pick(next[previousStatus]);
        this.#health.set(key, status);
        const latencyMs = status === 'healthy' ? this.#between(180, 600) : status === 'degraded' ? this.#between(1500, 6000) : null;
        const errorRate = status === 'healthy' ? this.#between(0, 0.01, 3) : status === 'degraded' ? this.#between(0.05, 0.25, 3) : 1;
        return { provider, status, previousStatus, latencyMs, errorRate, message: `${provider} is ${status} (was ${previousStatus}).` };
      },
      CostOptimizationApplied: () => {
        const [policy, description] = this.#pick(POLICIES);
        return { policy, description, estimatedMonthlySavingsUsd: this.#between(40, 4000, 2), affectedRequestsPercent: this.#between(2, 60, 1) };
      },
      ModelDiscovered: () => {
        const provider = this.#pick(PROVIDERS);
        const input = this.#between(0.1, 15, 2);
        return {
          provider,
          modelId: this.#pick(MODELS[provider] ?? ['unknown']),
          contextWindow: this.#pick([32_768, 128_000, 200_000, 1_000_000]),
          capabilities: ['chat', ...(this.#random() < 0.5 ? ['vision'] : []), ...(this.#random() < 0.6 ? ['tools'] : [])],
          inputPricePerMillionTokensUsd: input,
          outputPricePerMillionTokensUsd: Math.round(input * 4 * 100) / 100,
        };
      },
      SecurityAlert: () => {
        const [category, message] = this.#pick(ALERTS);
        return {
          severity: this.#pick(['low', 'medium', 'high', 'critical'] as const),
          category,
          message,
          sourceIp: `203.0.113.${this.#between(1, 254)}`,
        };
      },
      AuditEvent: () => {
        const [action, resource] = this.#pick(ACTIONS);
        return { actor: this.#pick(ACTORS), action, resource: `organizations/${organizationId}/${resource}`, outcome: this.#random() < 0.9 ? 'success' : 'failure' };
      },
    };
    return payloads[type]();
  }
}
