/**
 * The `api-version` every data-plane call carries (`?api-version=2022-06-01`). Hubwire serves
 * Azure SignalR's 2022-06-01 and 2024-12-01 versions; the operations 2024-12-01 added (`:invoke`,
 * `:execute`, listing a group's connections) need it.
 * @module
 */
import { DataPlaneError } from './results.js';

/** The versions served, oldest first. */
export const API_VERSIONS = ['2022-06-01', '2024-12-01'] as const;

/** A served version. */
export type ApiVersion = (typeof API_VERSIONS)[number];

/**
 * The request's api-version, checked: missing → `ApiVersionUnspecified`, unknown or older than
 * `minimum` → `UnsupportedApiVersion` (both 400, with the texts ASP.NET API versioning gives).
 *
 * @example
 * ```ts
 * checkApiVersion(new URL(url).searchParams, '/api/hubs/chat/:send');            // '2022-06-01'
 * checkApiVersion(params, '/api/hubs/chat/connections/c1/:invoke', '2024-12-01'); // throws for 2022-06-01
 * ```
 */
export function checkApiVersion(query: URLSearchParams, path: string, minimum: ApiVersion = '2022-06-01'): ApiVersion {
  const given = query.getAll('api-version');
  if (given.length === 0 || given[0] === '') throw new DataPlaneError('ApiVersionUnspecified', 'An API version is required, but was not specified.', 'api-version');
  const version = given[0]!;
  const index = API_VERSIONS.indexOf(version as ApiVersion);
  if (given.length > 1 || index === -1 || index < API_VERSIONS.indexOf(minimum)) {
    throw new DataPlaneError('UnsupportedApiVersion', `The HTTP resource that matches the request URI '${path}' does not support the API version '${given.join(',')}'.`, 'api-version');
  }
  return version as ApiVersion;
}
