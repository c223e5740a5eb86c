/**
 * Which address a request really comes from. Behind a reverse proxy every request comes from the
 * proxy; the client's address is in `X-Forwarded-For`, which anyone can also write. It is believed
 * only for hops that are configured proxies: the header is read from the right, skipping
 * trusted proxies, and the first untrusted hop is the client (what Express's `trust proxy` and
 * ASP.NET's `ForwardedHeadersOptions.KnownProxies/KnownNetworks` do).
 * @module
 */
import { BlockList, isIP } from 'node:net';

/**
 * Proxies whose `X-Forwarded-For` is believed: addresses or CIDR ranges (`10.0.0.0/8`,
 * `::1`, `fd00::/8`), or `'loopback'` for 127.0.0.0/8 and ::1.
 */
export type TrustedProxies = readonly string[];

/** Finds a request's client address, honouring `X-Forwarded-For` only from trusted proxies. */
export interface ClientAddressResolver {
  (remoteAddress: string | undefined, forwardedFor: string | string[] | undefined): string;
}

/** What an unknown address is keyed as (a socket that is already gone). */
export const UNKNOWN_ADDRESS = 'unknown';

/**
 * Builds the resolver for a list of trusted proxies; with none, the socket's address is the
 * client's and `X-Forwarded-For` is ignored.
 *
 * @example
 * ```ts
 * const clientAddress = clientAddressResolver(['loopback', '10.0.0.0/8']);
 * clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for']); // '203.0.113.9'
 * ```
 */
export function clientAddressResolver(trusted: TrustedProxies = []): ClientAddressResolver {
  if (trusted.length === 0) return (remoteAddress) => normalize(remoteAddress) ?? UNKNOWN_ADDRESS;
  const list = new BlockList();
  for (const entry of trusted) addTrusted(list, entry);
  const isTrusted = (address: string) => {
    const family = isIP(address);
    return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };
  return (remoteAddress, forwardedFor) => {
    let client = normalize(remoteAddress);
    if (client === undefined) return UNKNOWN_ADDRESS;
    if (!isTrusted(client) || forwardedFor === undefined) return client;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = normalize(hops[i]!.trim());
      // A hop that is not an address at all means the header was made up past here: stop.
      if (hop === undefined) break;
      client = hop;
      if (!isTrusted(hop)) break;
    }
    return client;
  };
}

function addTrusted(list: BlockList, entry: string): void {
  if (entry === 'loopback') {
    list.addSubnet('127.0.0.0', 8, 'ipv4');
    list.addAddress('::1', 'ipv6');
    return;
  }
  const [address, prefixText] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0) throw new RangeError(`trustedProxies: '${entry}' is not an IP address or CIDR range`);
  const type = family === 6 ? 'ipv6' : 'ipv4';
  if (prefixText === undefined) {
    list.addAddress(address!, type);
    return;
  }
  const prefix = Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) throw new RangeError(`trustedProxies: '${entry}' has a bad prefix length`);
  list.addSubnet(address!, prefix, type);
}

/** An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) as plain IPv4; undefined for what is not an address. */
function normalize(address: string | undefined): string | undefined {
  if (address === undefined || address === '') return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const plain = mapped !== null ? mapped[1]! : address;
  return isIP(plain) === 0 ? undefined : plain.toLowerCase();
}
