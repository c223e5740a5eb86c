/**
 * A Redis Cluster of a test's own: three (or more) masters, no replicas, on free loopback ports,
 * in a temporary directory. The slots are assigned by hand (CLUSTER ADDSLOTSRANGE, then CLUSTER
 * MEET) instead of `redis-cli --cluster create`, which is slower and decides the split itself.
 * Nothing is persisted but the cluster configuration, so a shard killed and restarted on its
 * port comes back as the same node with the same slots and no data, as after a crash.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';

const SLOTS = 16384;

/** One shard: a master process, its client port, its cluster-bus port and its slots. */
export interface ClusterShard {
  readonly port: number;
  readonly busPort: number;
  readonly url: string;
  /** The first and last slot this shard serves. */
  readonly slots: readonly [number, number];
}

export class OwnRedisCluster {
  readonly #processes: (ChildProcess | undefined)[];

  private constructor(
    readonly shards: readonly ClusterShard[],
    readonly dir: string,
  ) {
    this.#processes = shards.map(() => undefined);
  }

  /** The `rootNodes` of node-redis' `createCluster` (every shard, so any one may be down). */
  get rootNodes(): { url: string }[] {
    return this.shards.map((shard) => ({ url: shard.url }));
  }

  /** Starts `count` shards and resolves once every node reports `cluster_state:ok`. */
  static async start(count = 3): Promise<OwnRedisCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'hubwire-cluster-'));
    const ports = await freePorts(count * 2);
    const shards = Array.from({ length: count }, (_, i): ClusterShard => {
      const first = Math.floor((SLOTS * i) / count);
      const last = Math.floor((SLOTS * (i + 1)) / count) - 1;
      return { port: ports[i]!, busPort: ports[count + i]!, url: `redis://127.0.0.1:${ports[i]}`, slots: [first, last] };
    });
    const cluster = new OwnRedisCluster(shards, dir);
    try {
      await Promise.all(shards.map((_, i) => cluster.#spawn(i)));
      await Promise.all(shards.map((shard, i) => cluster.command(i, 'CLUSTER', 'ADDSLOTSRANGE', String(shard.slots[0]), String(shard.slots[1]))));
      // One node meets the others; gossip tells the others about each other.
      for (const shard of shards.slice(1)) await cluster.command(0, 'CLUSTER', 'MEET', '127.0.0.1', String(shard.port), String(shard.busPort));
      await cluster.#waitUntilOk(shards.map((_, i) => i));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** The shard that serves `key` (or a channel name: sharded channels hash as keys do). */
  async shardOf(key: string): Promise<number> {
    const slot = Number(await this.command(0, 'CLUSTER', 'KEYSLOT', key));
    return this.shards.findIndex((shard) => slot >= shard.slots[0] && slot <= shard.slots[1]);
  }

  /** Runs one command on one shard's node (a short connection of its own). */
  async command(shard: number, ...args: string[]): Promise<unknown> {
    const client = createClient({ url: this.shards[shard]!.url, RESP: 2, socket: { reconnectStrategy: false, connectTimeout: 1000 } });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await client.sendCommand(args);
    } finally {
      client.destroy();
    }
  }

  /** Kills one shard (SIGKILL: a crash, not a shutdown) and waits for it to exit. */
  async kill(shard: number): Promise<void> {
    const child = this.#processes[shard];
    this.#processes[shard] = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts a killed shard again on its port with its cluster configuration, until the cluster is ok. */
  async restart(shard: number): Promise<void> {
    await this.#spawn(shard);
    await this.#waitUntilOk([shard]);
  }

  /** Kills every shard and removes the directory. */
  async stop(): Promise<void> {
    await Promise.all(this.shards.map((_, i) => this.kill(i)));
    await rm(this.dir, { recursive: true, force: true });
  }

  async #spawn(index: number): Promise<void> {
    if (this.#processes[index] !== undefined) throw new Error(`shard ${index} is running`);
    const shard = this.shards[index]!;
    const args = [
      '--port', String(shard.port),
      '--cluster-port', String(shard.busPort),
      '--bind', '127.0.0.1',
      '--cluster-enabled', 'yes',
      '--cluster-config-file', join(this.dir, `nodes-${shard.port}.conf`),
      '--dir', this.dir,
      '--save', '',
      '--appendonly', 'no',
    ];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.#processes[index] = child;
    await poll(async () => {
      if (child.exitCode !== null) throw new Error(`redis-server on ${shard.port} exited with ${child.exitCode}`);
      return (await this.#try(index, 'PING')) === 'PONG';
    }, 5000, `redis-server on ${shard.port} to answer`);
  }

  /**
   * Until each given node sees every shard and every slot served. A master reports ok no sooner
   * than 2 s after it started (Redis waits that long before a restarted master takes writes).
   */
  async #waitUntilOk(indexes: number[]): Promise<void> {
    const count = String(this.shards.length);
    await poll(async () => {
      for (const index of indexes) {
        const info = String((await this.#try(index, 'CLUSTER', 'INFO')) ?? '');
        if (!info.includes('cluster_state:ok') || !info.includes(`cluster_known_nodes:${count}\r`) || !info.includes(`cluster_slots_ok:${SLOTS}\r`)) return false;
      }
      return true;
    }, 10_000, 'cluster_state:ok on every node');
  }

  /** A command that may fail because the node is not up yet: undefined then. */
  async #try(index: number, ...args: string[]): Promise<unknown> {
    try {
      return await this.command(index, ...args);
    } catch {
      return undefined;
    }
  }
}

async function poll(condition: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Ports that were free a moment ago, all different (held open together while they are picked). */
async function freePorts(count: number): Promise<number[]> {
  const probes = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(
      probes.map(async (probe) => {
        probe.listen(0, '127.0.0.1');
        await once(probe, 'listening');
        return (probe.address() as { port: number }).port;
      }),
    );
  } finally {
    await Promise.all(probes.map((probe) => new Promise<void>((resolve) => probe.close(() => resolve()))));
  }
}
