/**
 * The Redis server's own figures (`INFO`): its CPU time and command count, read before and
 * after a measured round. A raw RESP exchange on a short-lived socket, so the orchestrator
 * needs no Redis client library.
 */
import { connect } from 'node:net';

export interface RedisSample {
  /** used_cpu_user + used_cpu_sys of the redis-server process, µs. */
  cpuUs: number;
  /** total_commands_processed: tells whether other clients used this Redis during a round. */
  commands: number;
  version: string;
  /** Process id of the redis-server, for the report. */
  pid: number;
}

/** Host and port of a `redis://host:port` URL. */
export function redisAddress(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  if (parsed.protocol !== 'redis:') throw new Error(`only redis:// URLs are supported here, not '${url}'`);
  return { host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || 6379) };
}

function field(info: string, name: string): string {
  const line = info.split('\r\n').find((l) => l.startsWith(`${name}:`));
  if (line === undefined) throw new Error(`Redis INFO has no '${name}'`);
  return line.slice(name.length + 1);
}

/** One `INFO` round trip; rejects after `timeoutMs` or on a Redis error reply. */
export function redisInfo(url: string, timeoutMs = 2_000): Promise<RedisSample> {
  const { host, port } = redisAddress(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    let received = 0;
    const done = (error: Error | undefined, sample?: RedisSample): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(sample as RedisSample);
    };
    const timer = setTimeout(() => done(new Error(`Redis INFO on ${host}:${port} timed out after ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (error) => done(new Error(`Redis on ${host}:${port}: ${error.message}`)));
    socket.on('connect', () => socket.write('*1\r\n$4\r\nINFO\r\n'));
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      received += chunk.length;
      const reply = Buffer.concat(chunks, received);
      if (reply[0] === 0x2d /* '-' */) {
        done(new Error(`Redis INFO failed: ${reply.toString('latin1').trim()}`));
        return;
      }
      const headerEnd = reply.indexOf('\r\n');
      if (headerEnd < 0) return;
      const length = Number(reply.subarray(1, headerEnd).toString('latin1'));
      if (reply.length < headerEnd + 2 + length) return;
      const info = reply.subarray(headerEnd + 2, headerEnd + 2 + length).toString('latin1');
      try {
        const cpuSeconds = Number(field(info, 'used_cpu_user')) + Number(field(info, 'used_cpu_sys'));
        done(undefined, {
          cpuUs: Math.round(cpuSeconds * 1e6),
          commands: Number(field(info, 'total_commands_processed')),
          version: field(info, 'redis_version'),
          pid: Number(field(info, 'process_id')),
        });
      } catch (error) {
        done(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}
