/// <reference path="./http-ece.d.ts" />
import { createECDH, type ECDH, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import ece from 'http_ece';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';

/**
 * A local stand-in for a browser vendor's push service (RFC 8030), for tests and the benchmark:
 * it holds browser-side keys for the subscriptions it hands out, receives the server's pushes,
 * checks the VAPID `Authorization` header (RFC 8292: an ES256 JWT for this origin, signed by
 * the key it names) and decrypts the payload with the subscription's keys (RFC 8291,
 * aes128gcm), as a browser would. An endpoint can be made to answer 410 (an expired
 * subscription).
 */
export interface ReceivedPush {
  endpoint: string;
  /** The decrypted payload, parsed. */
  payload: unknown;
  ttl: string | undefined;
  urgency: string | undefined;
  /** The VAPID JWT's claims, after its signature was verified. */
  vapid: { sub: string; aud: string; exp: number; publicKey: string };
}

export interface StandInSubscription {
  endpoint: string;
  expirationTime: null;
  keys: { p256dh: string; auth: string };
}

export interface PushServiceStandIn {
  url: string;
  received: ReceivedPush[];
  /** Requests it refused (bad VAPID, undecryptable payload), with why. */
  refused: string[];
  /** A new browser subscription: keys held here, endpoint on this server. */
  subscribe(options?: { gone?: boolean }): StandInSubscription;
  close(): Promise<void>;
}

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Application servers' keys as imported, by their `k` (few: one per server under test). A push
 * service keeps them too; importing one per request was a third of the stand-in's CPU in the
 * benchmark, which runs it in the measured process. Every JWT is still verified.
 */
const vapidKeys = new Map<string, ReturnType<typeof importJWK>>();
const MAX_VAPID_KEYS = 16;

function vapidKeyOf(publicKey: string, point: Buffer) {
  let key = vapidKeys.get(publicKey);
  if (!key) {
    key = importJWK(
      {
        kty: 'EC',
        crv: 'P-256',
        x: point.subarray(1, 33).toString('base64url'),
        y: point.subarray(33).toString('base64url'),
      },
      'ES256',
    );
    if (vapidKeys.size >= MAX_VAPID_KEYS) vapidKeys.clear();
    vapidKeys.set(publicKey, key);
  }
  return key;
}

/** A VAPID `Authorization` header checked as a push service does, for its `origin`; its claims. */
export async function verifyVapid(header: string | undefined, origin: string) {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? '');
  if (!match?.[1] || !match[2]) throw new Error(`no VAPID authorization: ${header}`);
  const [token, publicKey] = [match[1], match[2]];
  const point = Buffer.from(publicKey, 'base64url');
  if (point.length !== 65 || point[0] !== 4) throw new Error('k is not an uncompressed P-256 key');
  if (decodeProtectedHeader(token).alg !== 'ES256') throw new Error('the JWT is not ES256');
  const key = await vapidKeyOf(publicKey, point);
  const { payload } = await jwtVerify(token, key, { audience: origin });
  if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number') {
    throw new Error('the JWT lacks sub or exp');
  }
  return { sub: payload.sub, aud: origin, exp: payload.exp, publicKey };
}

export async function startPushServiceStandIn(): Promise<PushServiceStandIn> {
  const browsers = new Map<string, { ecdh: ECDH; auth: Buffer; gone: boolean }>();
  const received: ReceivedPush[] = [];
  const refused: string[] = [];
  let origin = '';
  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = await bodyOf(request);
      const endpoint = `${origin}${request.url ?? ''}`;
      const browser = browsers.get(request.url ?? '');
      if (request.method !== 'POST' || !browser) {
        response.writeHead(404).end();
        return;
      }
      if (browser.gone) {
        response.writeHead(410).end();
        return;
      }
      try {
        const vapid = await verifyVapid(request.headers.authorization, origin);
        if (request.headers['content-encoding'] !== 'aes128gcm') {
          throw new Error(`content-encoding ${request.headers['content-encoding']}`);
        }
        const plain = ece.decrypt(body, {
          version: 'aes128gcm',
          privateKey: browser.ecdh,
          authSecret: browser.auth.toString('base64url'),
        });
        received.push({
          endpoint,
          payload: JSON.parse(plain.toString('utf8')),
          ttl: request.headers.ttl as string | undefined,
          urgency: request.headers.urgency as string | undefined,
          vapid,
        });
        response.writeHead(201).end();
      } catch (error) {
        refused.push(error instanceof Error ? error.message : String(error));
        response.writeHead(400).end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    received,
    refused,
    subscribe(options = {}) {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16);
      const path = `/push/${randomBytes(12).toString('hex')}`;
      browsers.set(path, { ecdh, auth, gone: options.gone ?? false });
      return {
        endpoint: `${origin}${path}`,
        expirationTime: null,
        keys: {
          p256dh: ecdh.getPublicKey().toString('base64url'),
          auth: auth.toString('base64url'),
        },
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
