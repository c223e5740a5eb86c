/**
 * Files of the built web app (apps/web/dist), served with their type, an ETag (304 on a match),
 * the caching the caller asks for, and gzip or Brotli for text when the browser takes it. A file
 * is read and compressed once and kept while its size and mtime stay (a rebuild is picked up).
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import { COMMON_HEADERS, isFresh } from './http-answers.js';

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

/** Content types by extension (what Vite emits, and the public/ files). */
const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Types worth compressing (the images above are compressed already, but SVG is text). */
const COMPRESSIBLE = /^(text\/|application\/(json|manifest\+json)|image\/svg\+xml)/;

/** Files larger than this are served but not kept in memory. */
const MAX_CACHED_BYTES = 4 * 1024 * 1024;

interface CachedFile {
  readonly size: number;
  readonly mtimeMs: number;
  readonly type: string;
  readonly etag: string;
  readonly body: Buffer;
  readonly br: Buffer | undefined;
  readonly gzip: Buffer | undefined;
}

/** How one file is answered. */
export interface ServeOptions {
  /** The `Cache-Control` header, e.g. `public, max-age=31536000, immutable`. */
  readonly cacheControl: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The encoding to answer with, from `Accept-Encoding` (Brotli first, q=0 honoured). */
export function pickEncoding(header: string | string[] | undefined): 'br' | 'gzip' | undefined {
  const accepted = new Map<string, number>();
  for (const part of (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (name === undefined || name === '') continue;
    const q = params.map((param) => /^\s*q=([\d.]+)\s*$/.exec(param)?.[1]).find((value) => value !== undefined);
    accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const weight = (name: string) => accepted.get(name) ?? (accepted.get('*') ?? 0);
  if (weight('br') > 0) return 'br';
  if (weight('gzip') > 0) return 'gzip';
  return undefined;
}

/** Serves the files under one directory. */
export class StaticFiles {
  readonly root: string;
  readonly #cache = new Map<string, CachedFile>();
  readonly #loading = new Map<string, Promise<CachedFile | undefined>>();

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The absolute path of `relative` under the root, or undefined when it would leave it. */
  pathOf(relative: string): string | undefined {
    const path = resolve(this.root, relative);
    return path.startsWith(this.root + sep) ? path : undefined;
  }

  /** Answers the file at `relative`; false (nothing written) when there is none. */
  async serve(req: IncomingMessage, res: ServerResponse, relative: string, options: ServeOptions): Promise<boolean> {
    const file = await this.#load(relative);
    if (file === undefined) return false;
    const headers: Record<string, string> = { ...COMMON_HEADERS, 'Cache-Control': options.cacheControl, ETag: file.etag, Vary: 'Accept-Encoding', ...options.headers };
    if (isFresh(req, file.etag)) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    const encoding = pickEncoding(req.headers['accept-encoding']);
    const body = (encoding === 'br' ? file.br : encoding === 'gzip' ? file.gzip : undefined) ?? file.body;
    if (body !== file.body) headers['Content-Encoding'] = encoding!;
    res.writeHead(200, { ...headers, 'Content-Type': file.type, 'Content-Length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }

  /** The file, from the cache while it is unchanged on disk; undefined when it is no file. */
  async #load(relative: string): Promise<CachedFile | undefined> {
    const path = this.pathOf(relative);
    if (path === undefined) return undefined;
    let info;
    try {
      info = await stat(path);
    } catch {
      return undefined;
    }
    if (!info.isFile()) return undefined;
    const cached = this.#cache.get(path);
    if (cached !== undefined && cached.size === info.size && cached.mtimeMs === info.mtimeMs) return cached;
    // One read and compression per file, however many requests wait for it.
    let loading = this.#loading.get(path);
    if (loading === undefined) {
      loading = this.#read(path, info.size, info.mtimeMs).finally(() => this.#loading.delete(path));
      this.#loading.set(path, loading);
    }
    return loading;
  }

  async #read(path: string, size: number, mtimeMs: number): Promise<CachedFile | undefined> {
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch {
      return undefined;
    }
    const type = TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
    const compress = COMPRESSIBLE.test(type) && body.length > 512;
    const [br, gz] = compress
      ? await Promise.all([
          brotli(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 9, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } }),
          gzipped(body, { level: 9 }),
        ])
      : [undefined, undefined];
    const file: CachedFile = {
      size,
      mtimeMs,
      type,
      // Weak: the gzip, Brotli and plain bodies are one resource, not byte-equal.
      etag: `W/"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`,
      body,
      br: br !== undefined && br.length < body.length ? br : undefined,
      gzip: gz !== undefined && gz.length < body.length ? gz : undefined,
    };
    if (size <= MAX_CACHED_BYTES) this.#cache.set(path, file);
    return file;
  }
}
