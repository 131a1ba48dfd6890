import { BlockList, isIP } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';

/**
 * Which proxies in front of the server may say who the client is (TRUST_PROXY): none (the
 * socket's peer is the client), a number of hops (that many proxies each append the address
 * they received from to `X-Forwarded-For`), or the proxies' addresses as CIDRs (every address
 * in those ranges is skipped, from the right, to reach the client).
 */
export type TrustProxy =
  | { kind: 'none' }
  | { kind: 'hops'; hops: number }
  | { kind: 'cidrs'; cidrs: readonly string[] };

export interface ClientAddressVariables {
  /** The client's address as TRUST_PROXY reads it (set by `clientAddress`). */
  clientAddress: string;
}

declare module 'hono' {
  interface ContextVariableMap extends ClientAddressVariables {}
}

/** Parses TRUST_PROXY: unset/`false`/`0`, a hop count, or a comma-separated list of CIDRs. */
export function parseTrustProxy(value: string | undefined): TrustProxy | string {
  const text = value?.trim() ?? '';
  if (text === '' || text === 'false' || text === '0') return { kind: 'none' };
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    return hops <= 10 ? { kind: 'hops', hops } : 'must be a hop count 0-10 or a list of CIDRs';
  }
  const cidrs = text.split(',').map((part) => part.trim());
  for (const cidr of cidrs) {
    if (!toSubnet(cidr)) return `"${cidr}" is not an address or CIDR (e.g. 10.0.0.0/8, fd00::/8)`;
  }
  return { kind: 'cidrs', cidrs };
}

function toSubnet(cidr: string): { address: string; prefix: number; type: 'ipv4' | 'ipv6' } | null {
  const [address = '', prefixText, ...rest] = cidr.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return null;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || prefixText === '') return null;
  return { address, prefix, type: version === 4 ? 'ipv4' : 'ipv6' };
}

/** `::ffff:192.0.2.1` is the IPv4 client 192.0.2.1 on a dual-stack socket. */
function normalize(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address;
}

/** The client's address from the socket's peer and `X-Forwarded-For`, as `trust` allows. */
export function resolveClientAddress(
  trust: TrustProxy,
  peer: string,
  forwardedFor: string | undefined,
  trusted: BlockList | null = trustedList(trust),
): string {
  const socketAddress = normalize(peer);
  if (trust.kind === 'none' || !forwardedFor) return socketAddress;
  const forwarded = forwardedFor
    .split(',')
    .map((part) => normalize(part.trim()))
    .filter((part) => isIP(part) !== 0);
  const chain = [...forwarded, socketAddress];
  if (trust.kind === 'hops') {
    // Each trusted hop appended one address; what the outermost one received is the client.
    return chain[Math.max(0, chain.length - 1 - trust.hops)] ?? socketAddress;
  }
  for (let index = chain.length - 1; index >= 0; index -= 1) {
    const address = chain[index] ?? '';
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (!trusted?.check(address, type)) return address;
  }
  return chain[0] ?? socketAddress;
}

function trustedList(trust: TrustProxy): BlockList | null {
  if (trust.kind !== 'cidrs') return null;
  const list = new BlockList();
  for (const cidr of trust.cidrs) {
    const subnet = toSubnet(cidr);
    if (subnet) list.addSubnet(subnet.address, subnet.prefix, subnet.type);
  }
  return list;
}

/**
 * The key a brake counts a client by: the IPv4 address, or the /64 of an IPv6 one (one
 * subscriber usually holds a whole /64, so single addresses would give them endless buckets).
 */
export function addressKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

/** Sets `c.var.clientAddress` for every request, as TRUST_PROXY says to read it. */
export function clientAddress(trust: TrustProxy): MiddlewareHandler {
  const trusted = trustedList(trust);
  return async function clientAddress(c, next) {
    c.set(
      'clientAddress',
      resolveClientAddress(trust, peerAddress(c), c.req.header('X-Forwarded-For'), trusted),
    );
    await next();
  };
}

/**
 * The address of the peer, or 'unknown' when the request did not come through
 * @hono/node-server (e.g. `app.request()`).
 */
export function peerAddress(c: Context): string {
  if (!hasNodeBindings(c.env)) return 'unknown';
  return getConnInfo(c).remote.address ?? 'unknown';
}

// getConnInfo reads `env.incoming.socket` (or `env.server.incoming.socket`) unguarded.
function hasNodeBindings(env: unknown): boolean {
  if (typeof env !== 'object' || env === null) return false;
  const bindings = 'server' in env ? env.server : env;
  return typeof bindings === 'object' && bindings !== null && 'incoming' in bindings;
}
