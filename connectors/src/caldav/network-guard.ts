import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch, request as undiciRequest } from 'undici';
import { CalendarProviderError } from '../calendar-provider.js';
import type { Fetch } from './retrying-fetch.js';

/**
 * A CalDAV server's URL comes from the user, and this server sends requests to it: left open,
 * anyone with an account could make it reach the machine's own services (PostgreSQL on
 * 127.0.0.1, a cloud's metadata endpoint at 169.254.169.254) or the private network behind it
 * (SSRF). The guarded fetch refuses such addresses when it connects, after DNS: a name that
 * resolves to a public address while checked and to a private one while fetched (DNS
 * rebinding) is refused too, and so is a redirect to a private address.
 */

/** Loopback, private, link-local, shared, reserved and multicast ranges (IANA special-purpose). */
const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  // IPv4-compatible (deprecated): ::a.b.c.d reaches a.b.c.d on some stacks.
  ['::', 96],
  ['64:ff9b::', 96],
  // Local-use NAT64 (RFC 8215), 6to4 and Teredo: each embeds an IPv4 address a relay may reach.
  ['64:ff9b:1::', 48],
  ['2002::', 16],
  ['2001::', 32],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/** Whether `address` (an IP) is one a request to a user's calendar server may not reach. */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare);
  if (mapped?.[1]) return NOT_PUBLIC.check(mapped[1], 'ipv4');
  const family = isIP(bare);
  if (family === 0) return true; // not an address at all: refuse
  return NOT_PUBLIC.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

/** The calendar server's address is on this machine or a private network. */
export class PrivateAddressError extends CalendarProviderError {
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(
      `${host} is a private or local network address (${address}), which this server does not reach`,
    );
  }
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** The usual web ports, CalDAV's own (8008, 8443) among them: the default of `allowedPorts`. */
export const DEFAULT_CALDAV_PORTS: readonly number[] = [80, 443, 8008, 8080, 8443];

/** The calendar server's URL names a port this server does not connect to. */
export class DisallowedPortError extends CalendarProviderError {
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(`${host} uses port ${port}, which this server does not connect to`);
  }
}

export interface GuardedFetchOptions {
  /** Which addresses may be reached (default: public ones). */
  isAllowed?: (address: string) => boolean;
  /** Which ports may be reached (default DEFAULT_CALDAV_PORTS); 'any' for all. */
  allowedPorts?: readonly number[] | 'any';
  /** DNS resolution (default node:dns lookup), for tests. */
  lookup?: typeof dnsLookup;
}

/** undici's agent that connects only where `options` allow (see createGuardedFetch). */
function createGuardedAgent(options: GuardedFetchOptions): Agent {
  const isAllowed = options.isAllowed ?? ((address: string) => !isPrivateAddress(address));
  const resolve = options.lookup ?? dnsLookup;
  const allowedPorts = options.allowedPorts ?? DEFAULT_CALDAV_PORTS;

  // net.connect asks for every address (`all`) when it may try several (autoSelectFamily).
  const lookup = (hostname: string, lookupOptions: object, callback: LookupCallback) => {
    resolve(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const list = addresses as LookupAddress[];
      const refused = list.find((entry) => !isAllowed(entry.address));
      if (refused || list.length === 0) {
        return callback(new PrivateAddressError(hostname, refused?.address ?? 'none'), []);
      }
      if ((lookupOptions as { all?: boolean }).all) return callback(null, list);
      const [first] = list as [LookupAddress];
      return callback(null, first.address, first.family);
    });
  };
  const connect = buildConnector({ lookup } as buildConnector.BuildOptions);
  return new Agent({
    connect(connectOptions, callback) {
      const port = Number(connectOptions.port) || (connectOptions.protocol === 'https:' ? 443 : 80);
      if (allowedPorts !== 'any' && !allowedPorts.includes(port)) {
        callback(new DisallowedPortError(connectOptions.hostname, port), null);
        return;
      }
      // An IP in the URL (or a redirect's) is never looked up: check it here.
      const host = connectOptions.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host) !== 0 && !isAllowed(host)) {
        callback(new PrivateAddressError(connectOptions.hostname, host), null);
        return;
      }
      connect(connectOptions, callback);
    },
  });
}

/**
 * A fetch that connects only to allowed (public) addresses: names are resolved, and every
 * resolved address checked, at connect time; an IP in the URL is checked as it is. A refused
 * request throws PrivateAddressError.
 */
export function createGuardedFetch(options: GuardedFetchOptions = {}): Fetch {
  const agent = createGuardedAgent(options);
  return async function guardedFetch(input, init) {
    try {
      const response = await undiciFetch(
        input as Parameters<typeof undiciFetch>[0],
        { ...init, dispatcher: agent } as Parameters<typeof undiciFetch>[1],
      );
      return response as unknown as Response;
    } catch (error) {
      // fetch reports a failed connect as TypeError('fetch failed', { cause }).
      throw refusalIn(error) ?? error;
    }
  };
}

export interface GuardedPost {
  url: string;
  headers: Record<string, string>;
  body: Buffer | string | null;
  /** The request fails after this long without an answer. */
  timeoutMs: number;
}

/**
 * A POST through the same guard as createGuardedFetch, answering the status alone (the body is
 * discarded): for many small requests (Web Push), undici's request API costs a fraction of the
 * CPU of a fetch (no web streams, no Response).
 */
export function createGuardedPost(
  options: GuardedFetchOptions = {},
): (post: GuardedPost) => Promise<number> {
  const agent = createGuardedAgent(options);
  return async (post) => {
    try {
      const response = await undiciRequest(post.url, {
        method: 'POST',
        headers: post.headers,
        body: post.body,
        dispatcher: agent,
        headersTimeout: post.timeoutMs,
        bodyTimeout: post.timeoutMs,
      });
      await response.body.dump();
      return response.statusCode;
    } catch (error) {
      throw refusalIn(error) ?? error;
    }
  };
}

function refusalIn(error: unknown): PrivateAddressError | DisallowedPortError | null {
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    if (current instanceof PrivateAddressError || current instanceof DisallowedPortError)
      return current;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}
