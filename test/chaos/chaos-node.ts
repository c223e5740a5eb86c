/**
 * One node of the recovery chaos scenario, run as its own process by the driver
 * (chaos-nodes.ts): a Hubwire server on a Redis backplane whose hub has the recoverable groups
 * `g:*` and a method `Join(group, since)`, a recovering join. It listens on 127.0.0.1, port 0,
 * writes `{"event":"listening","port":…}` on stdout, then takes commands on stdin
 * (chaos-protocol.ts): bursts of tagged messages to groups (one of which may end in its own
 * SIGKILL), the groups' tops, its counters. It exits when its stdin ends (the driver stopped it,
 * or died).
 *
 * Environment: CHAOS_REDIS_URL, CHAOS_PREFIX (unique per run), CHAOS_NODE (its index, the
 * sender tag of its messages), CHAOS_MAX_COUNT and CHAOS_MAX_AGE (the history window).
 * @module
 */
import { createInterface } from 'node:readline';
import { createCounterMetrics, createHubServer, Hub, jsonHubProtocol, messagePackHubProtocol, redisLifetimeManager, type Logger, type RecoveryResult } from 'hubwire';
import { CHAOS_HUB_PATH, type BurstResult, type BurstSend, type ChaosClientMethods, type NodeCommand, type NodeLine, type NodeStats, type Since } from './chaos-protocol.js';

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}

const nodeIndex = Number(env('CHAOS_NODE'));
let warnings = 0;

function write(line: NodeLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** Warnings and errors go to stderr (the driver shows them when a run fails) and are counted. */
function stderrLog(level: string): (fields: Record<string, unknown>, message: string) => void {
  return (fields, message) => {
    warnings++;
    const err = fields['err'] ?? fields['error'];
    const detail = err instanceof Error ? err.message : err === undefined ? '' : String(err);
    process.stderr.write(`${JSON.stringify({ node: nodeIndex, level, msg: message, ...fields, err: detail })}\n`);
  };
}
const logger: Logger = { debug: () => undefined, info: () => undefined, warn: stderrLog('warn'), error: stderrLog('error') };

class ChaosHub extends Hub<ChaosClientMethods> {
  /** A recovering join: replays what the caller missed after `since`; a gap beyond the window sends `snapshot` first. */
  async join(group: string, since: Since): Promise<RecoveryResult> {
    return this.groups.recover(this.context.connectionId, group, {
      since: since ?? undefined,
      onMissed: (missed) => this.clients.caller.snapshot(group, missed.position),
    });
  }
}

const metrics = createCounterMetrics();
const backplane = redisLifetimeManager({ url: env('CHAOS_REDIS_URL'), prefix: env('CHAOS_PREFIX'), maxReconnectDelay: 200 });
const hubwire = createHubServer({ lifetimeManager: backplane, logger, metrics, shutdownTimeout: 500 });
hubwire.mapHub(CHAOS_HUB_PATH, ChaosHub, {
  protocols: [jsonHubProtocol, messagePackHubProtocol],
  recovery: { groups: [{ match: 'g:*', maxCount: Number(env('CHAOS_MAX_COUNT')), maxAge: Number(env('CHAOS_MAX_AGE')) }] },
});
const context = hubwire.hubContext(ChaosHub);

/** Each item's messages in order (each send resolves once its entry is in the history), the items side by side. */
async function burst(id: number, sends: readonly BurstSend[], dieAfter: number | undefined): Promise<BurstResult> {
  const sent: Record<string, number> = {};
  const failures: string[] = [];
  let total = 0;
  await Promise.all(
    sends.map(async ({ group, from, count }) => {
      sent[group] = 0;
      for (let seq = from; seq < from + count; seq++) {
        try {
          await context.clients.group(group).receive(nodeIndex, seq);
        } catch (error) {
          // A failed send ends this item: its later messages would leave a hole in the sender's sequence.
          failures.push(`${group} #${seq}: ${error instanceof Error ? error.message : String(error)}`);
          return;
        }
        sent[group]++;
        if (++total === dieAfter) {
          // stdout is a pipe: the write is synchronous on Linux, so the driver reads it before the exit.
          write({ event: 'dying', id, sent });
          process.kill(process.pid, 'SIGKILL');
        }
        // Lets the other items, the replays and the joins run between two sends of one item.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }),
  );
  return { sent, failures };
}

function stats(): NodeStats {
  const totals = metrics.totals();
  return {
    connectionsOpened: totals.connectionsOpened,
    recoveryRecovered: totals.recoveryRecovered,
    recoveryMissed: totals.recoveryMissed,
    recoveryReplayed: totals.recoveryReplayed,
    recoveryGapsFilled: totals.recoveryGapsFilled,
    warnings,
  };
}

async function run(command: NodeCommand): Promise<unknown> {
  switch (command.op) {
    case 'burst':
      return burst(command.id, command.sends, command.dieAfter);
    case 'positions': {
      const tops = await Promise.all(command.groups.map((group) => context.groups.position(group)));
      return Object.fromEntries(command.groups.map((group, i) => [group, tops[i]]));
    }
    case 'stats':
      return stats();
  }
}

let closing: Promise<void> | undefined;
function shutdown(): Promise<void> {
  closing ??= hubwire.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
  return closing;
}

await backplane.ready();
const { port } = await hubwire.listen({ port: 0, host: '127.0.0.1' });
write({ event: 'listening', port });

const lines = createInterface({ input: process.stdin });
lines.on('line', (text) => {
  if (text.trim() === '') return;
  const command = JSON.parse(text) as NodeCommand;
  run(command).then(
    (result) => write({ id: command.id, ok: true, result }),
    (error: unknown) => write({ id: command.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});
lines.on('close', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
