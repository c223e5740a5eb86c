/**
 * An OTLP/HTTP collector in the test process: a `node:http` server on 127.0.0.1:0 that takes
 * the JSON exports (`POST /v1/traces`, `POST /v1/metrics`) and keeps them decoded, flattened to
 * spans and metric data points with plain attribute objects.
 * @module
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type AnyValue = { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean };
type KeyValue = { key: string; value: AnyValue };

/** Attributes as a plain object (ints as numbers). */
export type Attributes = Record<string, string | number | boolean>;

/** One exported span. */
export interface CollectedSpan {
  readonly name: string;
  readonly kind: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly attributes: Attributes;
  readonly status: { code?: number };
  readonly scope: string;
  readonly resource: Attributes;
}

/** One exported data point of a metric. */
export interface CollectedPoint {
  readonly metric: string;
  readonly unit: string;
  readonly scope: string;
  readonly type: 'sum' | 'gauge' | 'histogram';
  readonly monotonic: boolean | undefined;
  readonly attributes: Attributes;
  /** Sum and gauge points. */
  readonly value?: number;
  /** Histogram points. */
  readonly count?: number;
  readonly sum?: number;
  readonly explicitBounds?: readonly number[];
  readonly bucketCounts?: readonly number[];
  /** Which export it came in (0 = the first). */
  readonly batch: number;
  readonly resource: Attributes;
}

function attributes(list: readonly KeyValue[] | undefined): Attributes {
  const out: Attributes = {};
  for (const { key, value } of list ?? []) {
    if (value.stringValue !== undefined) out[key] = value.stringValue;
    else if (value.intValue !== undefined) out[key] = Number(value.intValue);
    else if (value.doubleValue !== undefined) out[key] = value.doubleValue;
    else if (value.boolValue !== undefined) out[key] = value.boolValue;
  }
  return out;
}

/** The collector; `close()` stops it. */
export class OtlpCollector {
  readonly spans: CollectedSpan[] = [];
  readonly points: CollectedPoint[] = [];
  /** Content types of the requests received, by path. */
  readonly contentTypes: string[] = [];
  #metricBatches = 0;
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Starts a collector on a free loopback port. */
  static async start(): Promise<OtlpCollector> {
    const collector: OtlpCollector = new OtlpCollector(
      createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          collector.contentTypes.push(`${req.url} ${req.headers['content-type']}`);
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
            if (req.url === '/v1/traces') collector.#traces(body);
            else if (req.url === '/v1/metrics') collector.#metrics(body);
            res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
          } catch {
            res.writeHead(400).end();
          }
        });
      }),
    );
    await new Promise<void>((resolve) => collector.#server.listen(0, '127.0.0.1', resolve));
    return collector;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** The points of `metric`, optionally only those whose attributes include `match`. */
  pointsOf(metric: string, match: Attributes = {}): CollectedPoint[] {
    return this.points.filter((point) => point.metric === metric && Object.entries(match).every(([key, value]) => point.attributes[key] === value));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #traces(body: Record<string, unknown>): void {
    for (const rs of (body['resourceSpans'] ?? []) as { resource?: { attributes?: KeyValue[] }; scopeSpans?: { scope?: { name?: string }; spans?: Record<string, unknown>[] }[] }[]) {
      const resource = attributes(rs.resource?.attributes);
      for (const ss of rs.scopeSpans ?? []) {
        for (const span of ss.spans ?? []) {
          this.spans.push({
            name: span['name'] as string,
            kind: span['kind'] as number,
            traceId: span['traceId'] as string,
            spanId: span['spanId'] as string,
            parentSpanId: (span['parentSpanId'] as string | undefined) || undefined,
            attributes: attributes(span['attributes'] as KeyValue[]),
            status: (span['status'] ?? {}) as { code?: number },
            scope: ss.scope?.name ?? '',
            resource,
          });
        }
      }
    }
  }

  #metrics(body: Record<string, unknown>): void {
    const batch = this.#metricBatches++;
    for (const rm of (body['resourceMetrics'] ?? []) as { resource?: { attributes?: KeyValue[] }; scopeMetrics?: { scope?: { name?: string }; metrics?: Record<string, any>[] }[] }[]) {
      const resource = attributes(rm.resource?.attributes);
      for (const sm of rm.scopeMetrics ?? []) {
        for (const metric of sm.metrics ?? []) {
          const common = { metric: metric['name'] as string, unit: (metric['unit'] ?? '') as string, scope: sm.scope?.name ?? '', batch, resource };
          for (const type of ['sum', 'gauge', 'histogram'] as const) {
            const data = metric[type] as { dataPoints?: Record<string, any>[]; isMonotonic?: boolean } | undefined;
            if (data === undefined) continue;
            for (const point of data.dataPoints ?? []) {
              this.points.push({
                ...common,
                type,
                monotonic: data.isMonotonic,
                attributes: attributes(point['attributes'] as KeyValue[]),
                value: point['asInt'] !== undefined ? Number(point['asInt']) : (point['asDouble'] as number | undefined),
                count: point['count'] === undefined ? undefined : Number(point['count']),
                sum: point['sum'] as number | undefined,
                explicitBounds: point['explicitBounds'] as number[] | undefined,
                bucketCounts: (point['bucketCounts'] as (number | string)[] | undefined)?.map(Number),
              });
            }
          }
        }
      }
    }
  }
}
