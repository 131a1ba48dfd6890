import { createServer, type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { InvalidTokenError } from './auth/token-service.js';
import { createLogger } from './logger.js';
import type { Relay } from './relay/relay.js';
import {
  createSyncUpgradeHandler,
  parseRequestTarget,
  type SyncUpgradeDeps,
} from './sync-upgrade.js';
import { startTestServer, type TestServer, type TestUser } from './test-server.js';

const APP_ORIGIN = 'http://app.example';
const SOMEONE = '00000000-0000-4000-8000-000000000000';
const UPGRADE = 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n';
const KEY = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

interface Answer {
  /** The status of the first status line, or null when the server sent none. */
  status: number | null;
  /** The server ended or closed the connection (rather than the wait running out). */
  closed: boolean;
}

/**
 * Writes raw bytes (a string's characters are written as single bytes, latin1, so `\xff` is one
 * non-UTF-8 byte) on a fresh TCP connection and waits for the server to close it.
 */
function rawRequest(port: number, request: string, timeoutMs = 5000): Promise<Answer> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const head = /^HTTP\/1\.[01] (\d{3})/.exec(Buffer.concat(chunks).toString('latin1'));
      resolve({ status: head?.[1] ? Number(head[1]) : null, closed });
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => done(true));
    socket.on('error', () => undefined); // a reset after the answer is still a close
    socket.write(Buffer.from(request, 'latin1'));
  });
}

function upgradeRequest(target: string, headers = ''): string {
  return `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${UPGRADE}${KEY}${headers}\r\n`;
}

function plainRequest(target: string, headers = ''): string {
  return `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${headers}\r\n`;
}

async function waitFor(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function connect(ts: TestServer, user: TestUser, doc: Y.Doc) {
  return new WebsocketProvider(ts.wsUrl, user.userId, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    params: { token: user.token },
    disableBc: true,
  });
}

/** Malformed request targets: percent-escapes, brackets, backslashes, over-long, raw bytes. */
function malformedTargets(room: string): string[] {
  const sync = `/sync/${room}`;
  const table = [
    '//[',
    '//',
    '///',
    `//evil.example/sync/${room}`,
    '/[',
    '/]',
    '/sync/[::1]',
    `/sync/[${room}]`,
    '/sync/%',
    '/sync/%zz',
    '/sync/%E0%A4%A',
    '/sync/%C0%AF',
    '/sync/%ED%A0%80',
    `/sync/%${room}`,
    `${sync}%`,
    `${sync}%2F`,
    `${sync}%2Ftime%2F2025-13`,
    `${sync}/time/%`,
    `${sync}/../${room}`,
    `/sync/%2e%2e/${room}`,
    '%',
    '/%',
    `/${'%'.repeat(4000)}`,
    `/sync\\${room}`,
    `/\\evil.example/sync/${room}`,
    `\\\\evil.example${sync}`,
    `${sync}\\`,
    '*',
    `http://[${sync}`,
    `http://evil.example${sync}`,
    `ws://127.0.0.1${sync}`,
    `${sync}?token=%`,
    `${sync}?token=%ZZ&ack=%`,
    `${sync}?token=%%%&%%%=%%%`,
    `${sync}?token=[]&token=\\`,
    `${sync}#fragment`,
    `${sync}?token=a#b`,
    `/sync/${'a'.repeat(8000)}`,
    `${sync}?token=${'x'.repeat(8000)}`,
    `/${'/'.repeat(8000)}`,
    `/${'a'.repeat(20_000)}`,
    '/sync/\xff\xfe',
    `/sync/${room}\x80`,
    '/sync/\xc3\x28',
    '/\xed\xa0\x80',
    '/a b',
    '/\x7f',
    '/\x01',
    '/\t',
    '',
  ];
  // Generated: a path that holds at least one piece no route or room matches (a broken
  // percent-escape, a bracket, a backslash, a raw non-UTF-8 byte...), then anything. A fixed
  // seed gives the same targets on every run, so a failure replays.
  const piece = (...extra: string[]) =>
    fc.constantFrom(
      '/',
      '//',
      '.',
      '..',
      ':',
      '@',
      '=',
      '&',
      ';',
      '~',
      'sync',
      room,
      'time',
      ...extra,
    );
  const bad = fc.constantFrom(
    '%',
    '%2',
    '%zz',
    '%C3',
    '%ff',
    '%C0%AF',
    '[',
    ']',
    '\\',
    '"',
    '{',
    '|',
    '\xff',
    '\x80',
    '\xc3',
  );
  const generated = fc.sample(
    fc
      .tuple(
        fc.constantFrom('/', sync, `${sync}/`, ''),
        fc.array(piece(), { maxLength: 4 }),
        bad,
        fc.array(fc.oneof(piece('?', '#', '%', '%zz', '\\', '[', '\xff'), bad), { maxLength: 8 }),
      )
      .map(
        ([start, before, broken, after]) => `${start}${before.join('')}${broken}${after.join('')}`,
      ),
    { seed: 20_240_612, numRuns: 80 },
  );
  return [...table, ...generated];
}

/** Malformed cookie headers, sent to a real room path so the token check is reached. */
function malformedCookies(user: TestUser): string[] {
  return [
    'access_token=%',
    'access_token=%ZZ',
    'access_token=%E0%A4%A',
    'access_token="%"',
    'access_token="',
    'access_token=%C3%A9',
    'access_token=\xff\xfe',
    'access_token=é',
    'access_token=a.b.c',
    'access_token=...',
    'access_token=eyJ.eyJ.',
    `access_token=${encodeURIComponent(`${user.token}%`)}`,
    `access_token=${user.token.slice(0, -1)}%`,
    `access_token=${'a'.repeat(8000)}`,
    'access_token=a=b=c',
    'access_token',
    'access_token=',
    '=;;;=',
    ';',
    'access_token=%; access_token=%',
    `access_token=%; access_token=${user.token}`,
    'access_token=[]\\',
  ];
}

/** Malformed or hostile headers around an upgrade; some carry a valid token to reach `ws`. */
function malformedUpgrades(user: TestUser): string[] {
  const room = `/sync/${user.userId}`;
  const valid = `${room}?token=${user.token}`;
  const host = 'Host: 127.0.0.1\r\n';
  return [
    // ws's own handshake checks, past our authorization.
    `GET ${valid} HTTP/1.1\r\n${host}${UPGRADE}\r\n`,
    `GET ${valid} HTTP/1.1\r\n${host}${UPGRADE}Sec-WebSocket-Key: %%%\r\n\r\n`,
    `GET ${valid} HTTP/1.1\r\n${host}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 99\r\n${KEY}\r\n`,
    `GET ${valid} HTTP/1.1\r\n${host}Connection: Upgrade\r\nUpgrade: h2c\r\n${KEY}\r\n`,
    `GET ${valid} HTTP/1.1\r\n${host}${UPGRADE}${KEY}Sec-WebSocket-Protocol: a,,b, ,[\r\n\r\n`,
    `POST ${valid} HTTP/1.1\r\n${host}${UPGRADE}${KEY}\r\n`,
    // Origins for a cookie upgrade.
    upgradeRequest(room, `Cookie: access_token=${user.token}\r\nOrigin: \xff\r\n`),
    upgradeRequest(room, `Cookie: access_token=${user.token}\r\nOrigin: null\r\n`),
    upgradeRequest(room, `Cookie: access_token=${user.token}\r\nOrigin: ${'o'.repeat(8000)}\r\n`),
    upgradeRequest(room, `Cookie: access_token=%\r\nOrigin: ${APP_ORIGIN}\r\nOrigin: x\r\n`),
    // Hosts and header syntax, some of which Node's parser refuses itself.
    `GET ${room} HTTP/1.1\r\nHost: [\r\n${UPGRADE}${KEY}\r\n`,
    `GET ${room} HTTP/1.1\r\nHost: \\\\evil\r\n${UPGRADE}${KEY}\r\n`,
    `GET ${room} HTTP/1.1\r\n${UPGRADE}${KEY}\r\n`,
    `GET ${room} HTTP/1.1\r\n${host}${UPGRADE}${KEY}X-Raw: \xff\xfe\x80\r\n\r\n`,
    `GET ${room} HTTP/1.1\r\n${host}${UPGRADE}${KEY}Bad Name: x\r\n\r\n`,
    `GET ${room} HTTP/1.1\r\n${host}${UPGRADE}${KEY}no-colon\r\n\r\n`,
    `GET ${room} HTTP/1.1\r\n${host}${UPGRADE}${KEY}X-Folded: a\r\n b\r\n\r\n`,
    `GET ${room} HTTP/1.1\r\n${host}${UPGRADE}${KEY}Content-Length: abc\r\n\r\n`,
    `GET ${room} HTTP/1.1\r\n${host}${UPGRADE}${KEY}Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n`,
    `GET ${room} HTTP/1.1\r\n${host}${UPGRADE}${KEY}X-Big: ${'b'.repeat(20_000)}\r\n\r\n`,
    `GET ${room} HTTP/1.1\r\n${host}${UPGRADE}${KEY}Cookie: ${'c=1; '.repeat(3000)}\r\n\r\n`,
    `GET ${room} HTTP/9.9\r\n${host}${UPGRADE}${KEY}\r\n`,
    `G\xffT ${room} HTTP/1.1\r\n${host}${UPGRADE}${KEY}\r\n`,
    `CONNECT 127.0.0.1:443 HTTP/1.1\r\n${host}${UPGRADE}${KEY}\r\n`,
    `GET ${room}\r\n\r\n`,
    '\r\n\r\nGARBAGE\r\n\r\n',
    '\xff\xfe\xfd\r\n\r\n',
  ];
}

describe('parseRequestTarget', () => {
  it('takes the path and query of an origin-form target as sent', () => {
    const target = parseRequestTarget(`/sync/${SOMEONE}%2Ftime?token=a%ZZ&ack=1`);
    expect(target?.pathname).toBe(`/sync/${SOMEONE}%2Ftime`);
    expect(target?.query.get('token')).toBe('a%ZZ');
    expect(target?.query.get('ack')).toBe('1');
  });

  it('refuses targets that are not origin-form, or a backslash or fragment in them', () => {
    for (const target of [
      undefined,
      '',
      '*',
      '//[',
      '//host/sync',
      'http://host/sync',
      '/sync\\x',
      '/a#b',
      '/a?b#c',
    ]) {
      expect(parseRequestTarget(target), JSON.stringify(target)).toBeNull();
    }
  });
});

// HTTP parsing does not depend on the database: PGlite is enough.
describe('malformed requests to the server', () => {
  let ts: TestServer;
  let user: TestUser;
  beforeAll(async () => {
    ts = await startTestServer('pglite', { config: { CORS_ORIGINS: APP_ORIGIN } });
    user = await ts.register('barrage');
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
  });

  it('answers an upgrade with a request target the URL parser rejects (//[) with 400', async () => {
    expect(await rawRequest(ts.server.port, upgradeRequest('//['))).toEqual({
      status: 400,
      closed: true,
    });
    expect((await fetch(`${ts.url}/healthz`)).status).toBe(200);
  });

  it('answers an upgrade with a malformed access-token cookie with 401 or 403, never a crash', async () => {
    const room = `/sync/${SOMEONE}`;
    // Without an allowed Origin, a cookie never authorizes an upgrade.
    expect(
      await rawRequest(ts.server.port, upgradeRequest(room, 'Cookie: access_token=%\r\n')),
    ).toEqual({ status: 403, closed: true });
    expect(
      await rawRequest(
        ts.server.port,
        upgradeRequest(room, `Cookie: access_token=%\r\nOrigin: ${APP_ORIGIN}\r\n`),
      ),
    ).toEqual({ status: 401, closed: true });
    expect((await fetch(`${ts.url}/healthz`)).status).toBe(200);
  });

  it('leaves what Node’s parser rejects to Node: 400, or 431 for oversized headers, and a close', async () => {
    const port = ts.server.port;
    const room = `/sync/${user.userId}`;
    expect(await rawRequest(port, upgradeRequest('/sync/\xff\xfe'))).toEqual({
      status: 400,
      closed: true,
    });
    expect(await rawRequest(port, upgradeRequest(room, 'Bad Name: x\r\n'))).toEqual({
      status: 400,
      closed: true,
    });
    expect(await rawRequest(port, plainRequest(`/${'a'.repeat(20_000)}`))).toEqual({
      status: 431,
      closed: true,
    });
  });

  it('still upgrades a valid cookie from an allowed Origin', async () => {
    const answer = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${ts.wsUrl}/${user.userId}`, {
        headers: { Cookie: `access_token=${user.token}`, Origin: APP_ORIGIN },
      });
      ws.on('open', () => {
        ws.close();
        resolve(101);
      });
      ws.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      ws.on('error', () => resolve(0));
    });
    expect(answer).toBe(101);
  });

  it('answers every malformed target, cookie and header with a 4xx or a close, and keeps serving a connected device', async () => {
    const laptopDoc = new Y.Doc();
    const phoneDoc = new Y.Doc();
    const laptop = connect(ts, user, laptopDoc);
    const phone = connect(ts, user, phoneDoc);
    const drops: string[] = [];
    for (const [name, provider] of [
      ['laptop', laptop],
      ['phone', phone],
    ] as const) {
      provider.on('connection-close', () => drops.push(`${name} closed`));
      provider.on('connection-error', () => drops.push(`${name} error`));
    }
    try {
      await waitFor(() => laptop.synced && phone.synced, 5000, 'both devices synced');
      const room = `/sync/${user.userId}`;
      const requests = [
        ...malformedTargets(user.userId).flatMap((target) => [
          upgradeRequest(target),
          upgradeRequest(target, `Cookie: access_token=${user.token}\r\nOrigin: ${APP_ORIGIN}\r\n`),
          plainRequest(target),
          plainRequest(target, `Authorization: Bearer ${user.token}\r\n`),
        ]),
        ...malformedCookies(user).flatMap((cookie) => [
          upgradeRequest(room, `Cookie: ${cookie}\r\n`),
          upgradeRequest(room, `Cookie: ${cookie}\r\nOrigin: ${APP_ORIGIN}\r\n`),
          upgradeRequest(`/sync/${SOMEONE}`, `Cookie: ${cookie}\r\nOrigin: ${APP_ORIGIN}\r\n`),
          plainRequest('/api/v1/tasks', `Cookie: ${cookie}\r\n`),
        ]),
        ...malformedUpgrades(user),
      ];
      const wrong: string[] = [];
      for (const [index, request] of requests.entries()) {
        const answer = await rawRequest(ts.server.port, request);
        const ok =
          (answer.status !== null && answer.status >= 400 && answer.status < 500) ||
          (answer.status === null && answer.closed);
        if (!ok) wrong.push(`${JSON.stringify(request.slice(0, 160))} → ${JSON.stringify(answer)}`);
        // The connected device keeps editing through the barrage.
        if (index % 50 === 0) laptopDoc.getMap('barrage').set(`k${index}`, index);
      }
      expect(wrong).toEqual([]);
      expect(requests.length).toBeGreaterThan(500);

      laptopDoc.getMap('tasks').set('after', 'edited after the barrage');
      await waitFor(
        () => phoneDoc.getMap('tasks').get('after') === 'edited after the barrage',
        5000,
        'the edit on the other device',
      );
      expect(phoneDoc.getMap('barrage').size).toBe(Math.ceil(requests.length / 50));
      expect(drops).toEqual([]);
      expect(laptop.wsconnected && phone.wsconnected).toBe(true);

      // And a device connecting now gets the whole document.
      const tabletDoc = new Y.Doc();
      const tablet = connect(ts, user, tabletDoc);
      try {
        await waitFor(
          () => tabletDoc.getMap('tasks').get('after') === 'edited after the barrage',
          5000,
          'a new device synced',
        );
      } finally {
        tablet.destroy();
      }
    } finally {
      laptop.destroy();
      phone.destroy();
    }
  });
});

describe('an unexpected failure inside the upgrade handler', () => {
  const lines: string[] = [];
  const servers: Server[] = [];
  afterEach(async () => {
    lines.length = 0;
    for (const running of servers.splice(0)) {
      running.closeAllConnections();
      await new Promise((resolve) => running.close(resolve));
    }
  });

  /** A bare HTTP server with only the upgrade handler, over fakes that fail on purpose. */
  async function serveUpgrades(overrides: Partial<SyncUpgradeDeps>): Promise<number> {
    const handler = createSyncUpgradeHandler({
      wss: new WebSocketServer({ noServer: true }),
      relay: { handleConnection: () => undefined } as unknown as Relay,
      tokens: {
        verifyAccessToken: async () => ({
          userId: SOMEONE,
          role: 'user',
          sessionId: 'a-session',
          expiresAt: new Date(Date.now() + 3600_000),
        }),
      },
      corsOrigins: [],
      log: createLogger('debug', { destination: { write: (line) => lines.push(line) } }),
      ...overrides,
    });
    const started = createServer();
    started.on('upgrade', handler);
    await new Promise<void>((resolve) => started.listen(0, '127.0.0.1', resolve));
    servers.push(started);
    return (started.address() as AddressInfo).port;
  }

  const secretQuery = `/sync/${SOMEONE}?token=secret-token-value`;

  function expectLoggedWithoutSecrets(): void {
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] ?? '{}') as Record<string, string>;
    expect(entry).toMatchObject({ level: 'error', msg: 'websocket upgrade failed' });
    expect(entry.method).toBe('GET');
    expect(entry.path).toBe(`/sync/${SOMEONE}`);
    expect(entry.error).toContain('Error');
    expect(lines[0]).not.toContain('secret-token-value');
  }

  it('answers 500 when the token check fails for a reason other than the token, and logs it', async () => {
    const port = await serveUpgrades({
      tokens: {
        verifyAccessToken: async () => {
          throw new Error('key store unavailable');
        },
      },
    });
    expect(await rawRequest(port, upgradeRequest(secretQuery))).toEqual({
      status: 500,
      closed: true,
    });
    expectLoggedWithoutSecrets();
    expect(lines[0]).toContain('key store unavailable');
    // A bad token is still the client's doing: 401, nothing logged.
    lines.length = 0;
    const refusing = await serveUpgrades({
      tokens: {
        verifyAccessToken: async () => {
          throw new InvalidTokenError('invalid');
        },
      },
    });
    expect(await rawRequest(refusing, upgradeRequest(secretQuery))).toEqual({
      status: 401,
      closed: true,
    });
    expect(lines).toEqual([]);
  });

  it('closes the socket when the websocket handshake throws, and logs it', async () => {
    const wss = new WebSocketServer({ noServer: true });
    wss.handleUpgrade = () => {
      throw new Error('handshake exploded');
    };
    const port = await serveUpgrades({ wss });
    expect(await rawRequest(port, upgradeRequest(secretQuery))).toEqual({
      status: null,
      closed: true,
    });
    expectLoggedWithoutSecrets();
  });

  it('closes the socket when the relay throws on a new connection, and keeps answering', async () => {
    const port = await serveUpgrades({
      relay: {
        handleConnection: () => {
          throw new Error('relay exploded');
        },
      } as unknown as Relay,
    });
    // ws has sent its 101 by the time the relay runs: the socket is closed under it.
    expect(await rawRequest(port, upgradeRequest(secretQuery))).toEqual({
      status: 101,
      closed: true,
    });
    expectLoggedWithoutSecrets();
    expect(await rawRequest(port, upgradeRequest('//['))).toEqual({ status: 400, closed: true });
  });
});
