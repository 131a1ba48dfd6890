import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGuardedFetch,
  createGuardedPost,
  DEFAULT_CALDAV_PORTS,
  DisallowedPortError,
  isPrivateAddress,
  PrivateAddressError,
} from './network-guard.js';

describe('which addresses a calendar server may not have', () => {
  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.20.0.1', true],
    ['192.168.1.10', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['[::1]', true],
    ['fd00::1', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    // IPv4 inside IPv6: IPv4-compatible, local-use NAT64, 6to4 and Teredo.
    ['::127.0.0.1', true],
    ['::a00:1', true],
    ['64:ff9b:1::a00:1', true],
    ['2002:7f00:1::', true],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', true],
    ['2001:4860:4860::8888', false],
    ['not-an-address', true],
    ['8.8.8.8', false],
    ['172.32.0.1', false],
    ['2a00:1450:4007:80f::200e', false],
    ['::ffff:8.8.8.8', false],
  ])('%s is private: %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });
});

describe('the guarded fetch', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/redirect') {
        // A public-looking answer sending the client to another local address.
        response.writeHead(302, { location: `http://127.0.0.2:${port}/secret` });
        response.end();
        return;
      }
      response.end('calendar');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  /** Resolves `dav.test` to 127.0.0.1 and everything else as the system does. */
  const fakeDns = ((hostname: string, options: object, callback: (...args: unknown[]) => void) => {
    if (hostname === 'dav.test') {
      const all: LookupAddress[] = [{ address: '127.0.0.1', family: 4 }];
      callback(null, all);
      return;
    }
    dnsLookup(hostname, options as { all: true }, callback as never);
  }) as unknown as typeof dnsLookup;

  it('refuses this machine by IP and by name, before sending anything', async () => {
    const guarded = createGuardedFetch({ allowedPorts: 'any' });
    const refusal = (url: string) =>
      guarded(url).then(
        () => null,
        (error: unknown) => error,
      );
    expect(await refusal(`http://127.0.0.1:${port}/`)).toBeInstanceOf(PrivateAddressError);
    expect(await refusal(`http://localhost:${port}/`)).toBeInstanceOf(PrivateAddressError);
    expect(await refusal(`http://[::1]:${port}/`)).toBeInstanceOf(PrivateAddressError);
    const byName = createGuardedFetch({ lookup: fakeDns, allowedPorts: 'any' });
    expect(await byName(`http://dav.test:${port}/`).catch((error: unknown) => error)).toMatchObject(
      { address: '127.0.0.1', host: 'dav.test' },
    );
  });

  it('reaches an allowed address through the resolved name, and refuses a redirect elsewhere', async () => {
    const onlyThis = createGuardedFetch({
      lookup: fakeDns,
      isAllowed: (address) => address === '127.0.0.1',
      allowedPorts: 'any',
    });
    const ok = await onlyThis(`http://dav.test:${port}/calendar`);
    expect(await ok.text()).toBe('calendar');
    const redirected = await onlyThis(`http://dav.test:${port}/redirect`).catch(
      (error: unknown) => error,
    );
    expect(redirected).toBeInstanceOf(PrivateAddressError);
    expect(redirected).toMatchObject({ address: '127.0.0.2' });
  });

  it('connects only to the usual web ports unless told otherwise', async () => {
    const allowedHere = (allowedPorts: readonly number[] | undefined) =>
      createGuardedFetch({
        lookup: fakeDns,
        isAllowed: (address) => address === '127.0.0.1',
        ...(allowedPorts ? { allowedPorts } : {}),
      });
    const refused = await allowedHere(undefined)(`http://dav.test:${port}/calendar`).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(DisallowedPortError);
    expect(refused).toMatchObject({ port });
    expect(DEFAULT_CALDAV_PORTS).toEqual([80, 443, 8008, 8080, 8443]);
    const configured = await allowedHere([port])(`http://dav.test:${port}/calendar`);
    expect(await configured.text()).toBe('calendar');
  });
});

describe('the guarded post', () => {
  let server: Server;
  let port: number;
  const bodies: string[] = [];
  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString());
        response.writeHead(request.url === '/gone' ? 410 : 201);
        response.end('a body nobody reads');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (path: string) => ({
    url: `http://127.0.0.1:${port}${path}`,
    headers: { 'content-type': 'application/octet-stream' },
    body: Buffer.from('payload'),
    timeoutMs: 5000,
  });

  it('refuses this machine unless allowed, before sending anything', async () => {
    const refused = await createGuardedPost({ allowedPorts: 'any' })(post('/push')).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(PrivateAddressError);
    expect(bodies).toEqual([]);
  });

  it('answers the status of an allowed address, the body sent and the answer discarded', async () => {
    const allowed = createGuardedPost({
      isAllowed: (address) => address === '127.0.0.1',
      allowedPorts: 'any',
    });
    expect(await allowed(post('/push'))).toBe(201);
    expect(await allowed(post('/gone'))).toBe(410);
    expect(bodies).toEqual(['payload', 'payload']);
  });
});
