import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test-server.js';
import { addressKey, parseTrustProxy, resolveClientAddress } from './client-address.js';

describe('the client address', () => {
  it('is the socket peer unless TRUST_PROXY is set, whatever X-Forwarded-For claims', () => {
    expect(resolveClientAddress({ kind: 'none' }, '10.0.0.2', '203.0.113.7')).toBe('10.0.0.2');
    expect(resolveClientAddress({ kind: 'none' }, '::ffff:192.0.2.1', undefined)).toBe('192.0.2.1');
  });

  it('behind N trusted hops, is the address the outermost proxy received from', () => {
    const one = { kind: 'hops', hops: 1 } as const;
    expect(resolveClientAddress(one, '10.0.0.2', '203.0.113.7')).toBe('203.0.113.7');
    // A client's own X-Forwarded-For entries stay to the left of what the proxy appended.
    expect(resolveClientAddress(one, '10.0.0.2', '198.51.100.66, 203.0.113.7')).toBe('203.0.113.7');
    const two = { kind: 'hops', hops: 2 } as const;
    expect(resolveClientAddress(two, '10.0.0.2', 'spoof, 203.0.113.7, 10.0.0.9')).toBe(
      '203.0.113.7',
    );
  });

  it('behind trusted CIDRs, is the rightmost address outside them', () => {
    const trust = { kind: 'cidrs', cidrs: ['10.0.0.0/8', 'fd00::/8'] } as const;
    expect(resolveClientAddress(trust, '10.0.0.2', '203.0.113.7, 10.1.2.3')).toBe('203.0.113.7');
    expect(resolveClientAddress(trust, 'fd00::1', '2001:db8::5')).toBe('2001:db8::5');
    // A peer outside the ranges is the client itself, whatever it forwards.
    expect(resolveClientAddress(trust, '198.51.100.1', '203.0.113.7')).toBe('198.51.100.1');
  });

  it('reads TRUST_PROXY as off, a hop count or CIDRs, and says what is wrong', () => {
    expect(parseTrustProxy(undefined)).toEqual({ kind: 'none' });
    expect(parseTrustProxy('false')).toEqual({ kind: 'none' });
    expect(parseTrustProxy('2')).toEqual({ kind: 'hops', hops: 2 });
    expect(parseTrustProxy('10.0.0.0/8, ::1')).toEqual({
      kind: 'cidrs',
      cidrs: ['10.0.0.0/8', '::1'],
    });
    expect(parseTrustProxy('10.0.0.0/33')).toMatch(/"10.0.0.0\/33" is not an address or CIDR/);
    expect(parseTrustProxy('proxy.local')).toMatch(/is not an address or CIDR/);
  });

  it('keys IPv6 clients by their /64 and IPv4 clients by their address', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('2001:db8:1:3::1')).not.toBe(addressKey('2001:db8:1:2::1'));
    expect(addressKey('192.0.2.1')).toBe('192.0.2.1');
  });
});

describe('login brakes behind a proxy', () => {
  let behindProxy: TestServer;
  let direct: TestServer;
  beforeAll(async () => {
    const config = { AUTH_LOGIN_PER_MINUTE: '3' };
    behindProxy = await startTestServer('pglite', { config: { ...config, TRUST_PROXY: '1' } });
    direct = await startTestServer('pglite', { config });
  }, 60_000);
  afterAll(async () => {
    await behindProxy?.dispose();
    await direct?.dispose();
  });

  const login = (ts: TestServer, forwardedFor: string) =>
    fetch(`${ts.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
      body: JSON.stringify({ email: 'nobody@example.com', password: 'wrong password' }),
    });

  it('gives two clients behind TRUST_PROXY separate buckets', async () => {
    for (let i = 0; i < 3; i += 1)
      expect((await login(behindProxy, '203.0.113.1')).status).toBe(401);
    expect((await login(behindProxy, '203.0.113.1')).status).toBe(429);
    expect((await login(behindProxy, '203.0.113.2')).status).toBe(401);
    // One IPv6 subscriber's /64 is one client, however many addresses it uses.
    for (let i = 1; i <= 3; i += 1)
      expect((await login(behindProxy, `2001:db8:5:6::${i}`)).status).toBe(401);
    expect((await login(behindProxy, '2001:db8:5:6::99')).status).toBe(429);
  });

  it('ignores X-Forwarded-For without TRUST_PROXY: a client cannot pick its own bucket', async () => {
    for (let i = 0; i < 3; i += 1) expect((await login(direct, `203.0.113.${i}`)).status).toBe(401);
    expect((await login(direct, '203.0.113.200')).status).toBe(429);
  });
});
