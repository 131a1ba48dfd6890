import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { parse as parseCookies } from 'hono/utils/cookie';
import type { WebSocketServer } from 'ws';
import { InvalidTokenError, type TokenService, type VerifiedClaims } from './auth/token-service.js';
import type { Logger } from './logger.js';
import { ACCESS_TOKEN_COOKIE } from './middleware/require-auth/index.js';
import { nameSocket } from './observability/socket-ids.js';
import {
  isStorageOutage,
  STORAGE_RETRY_AFTER_SECONDS,
  StorageUnavailableError,
} from './persistence/storage-unavailable.js';
import type { Relay } from './relay/relay.js';
import { parseRoomPath } from './relay/room-name.js';
import type { SessionSockets } from './session-sockets.js';

export interface SyncUpgradeDeps {
  wss: WebSocketServer;
  relay: Pick<Relay, 'handleConnection'>;
  tokens: Pick<TokenService, 'verifyAccessToken'>;
  corsOrigins: readonly string[];
  log: Logger;
  /** Closes each socket when its session is revoked or its token expires. */
  sessions?: Pick<SessionSockets, 'track'>;
  /** Told of each upgrade refused for want of a valid token (the metrics' auth failures). */
  onUnauthorized?: () => void;
}

type Status = 400 | 401 | 403 | 404 | 500 | 503;

const STATUS_TEXT: Record<Status, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function reject(socket: Duplex, status: Status): void {
  if (socket.destroyed) return;
  const text = STATUS_TEXT[status];
  const body = JSON.stringify({
    error: {
      code: status === 503 ? 'storage_unavailable' : text.toLowerCase().replaceAll(' ', '_'),
      message: status === 503 ? new StorageUnavailableError().message : text,
      fields: [],
    },
  });
  const retry = status === 503 ? `Retry-After: ${STORAGE_RETRY_AFTER_SECONDS}\r\n` : '';
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${retry}Connection: close\r\n\r\n${body}`,
  );
}

function unauthorized(deps: SyncUpgradeDeps, socket: Duplex): void {
  deps.onUnauthorized?.();
  reject(socket, 401);
}

export interface RequestTarget {
  /** The path as sent, percent-escapes and all (`parseRoomPath` decodes the room). */
  pathname: string;
  query: URLSearchParams;
}

/**
 * The path and query of an origin-form request target (`/path?query`, what every websocket
 * client sends), or null for anything else: absolute-form, `*`, a scheme-relative `//host`, a
 * backslash or a fragment in the path. Never throws (a malformed query escape stays as sent).
 */
export function parseRequestTarget(target: string | undefined): RequestTarget | null {
  if (!target?.startsWith('/') || target.startsWith('//')) return null;
  const queryAt = target.indexOf('?');
  const pathname = queryAt === -1 ? target : target.slice(0, queryAt);
  if (pathname.includes('\\') || target.includes('#')) return null;
  return {
    pathname,
    query: new URLSearchParams(queryAt === -1 ? '' : target.slice(queryAt + 1)),
  };
}

/** The access-token cookie, by the same rules as the REST side's `getCookie` (never throws). */
function cookieToken(header: string | undefined): string | null {
  if (!header) return null;
  return parseCookies(header, ACCESS_TOKEN_COOKIE)[ACCESS_TOKEN_COOKIE] ?? null;
}

/** What the log may say about a request: method and path, never the query (tokens) or cookies. */
function requestContext(request: IncomingMessage): Record<string, string> {
  const target = request.url ?? '';
  const queryAt = target.indexOf('?');
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  return {
    method: request.method ?? '',
    path: path.length > 200 ? `${path.slice(0, 200)}…` : path,
  };
}

/**
 * Authorizes a websocket upgrade on `/sync/{room}` before anything is accepted: 400 for a request
 * target that is not origin-form, 404 off `/sync/{room}`, 401 without a valid token, 403 for
 * another user's document. The token comes from `?token=` (the stock y-websocket client's
 * `params`) or the access-token cookie; a cookie-authenticated upgrade must come from an allowed
 * Origin (cross-site websocket hijacking). URLs with tokens are never logged.
 *
 * Total on its input: whatever request Node's parser hands over gets a 4xx (or the websocket),
 * and an unexpected throw anywhere in here, now or after the token check, closes this one socket
 * (500 if nothing was sent on it yet) and is logged with the method and path. Nothing escapes to
 * the process, whose policy for escaped errors is exit (see `process-failure.ts`).
 */
export function createSyncUpgradeHandler(deps: SyncUpgradeDeps) {
  return function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const progress = { handedOver: false };
    upgrade(deps, request, socket, head, progress).catch((error: unknown) => {
      try {
        deps.log.error('websocket upgrade failed', {
          ...requestContext(request),
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
      } catch {
        // Even a failing logger must not turn this rejection into an unhandled one.
      }
      // Once ws took the socket over, a status line would land in the middle of its frames.
      if (progress.handedOver) socket.destroy();
      else reject(socket, isStorageOutage(error) ? 503 : 500);
    });
  };
}

async function upgrade(
  deps: SyncUpgradeDeps,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  progress: { handedOver: boolean },
): Promise<void> {
  const target = parseRequestTarget(request.url);
  if (!target) return reject(socket, 400);
  const room = parseRoomPath(target.pathname);
  if (!room) return reject(socket, 404);
  const queryToken = target.query.get('token');
  const token = queryToken ?? cookieToken(request.headers.cookie);
  if (!token) return unauthorized(deps, socket);
  if (!queryToken) {
    const origin = request.headers.origin;
    if (!origin || !deps.corsOrigins.includes(origin)) return reject(socket, 403);
  }
  let claims: VerifiedClaims;
  try {
    claims = await deps.tokens.verifyAccessToken(token);
  } catch (error) {
    if (error instanceof InvalidTokenError) return unauthorized(deps, socket);
    throw error; // not the client's doing: logged, 503 while storage is down, else 500
  }
  const { userId } = claims;
  if (userId !== room.ownerId) return reject(socket, 403);
  if (socket.destroyed) return; // the client gave up while its token was checked
  progress.handedOver = true;
  deps.wss.handleUpgrade(request, socket, head, (ws) => {
    deps.sessions?.track(ws, claims);
    const info = { userId, room: room.room, wantsAck: target.query.get('ack') === '1' };
    const socketId = nameSocket(info);
    deps.relay.handleConnection(ws, info);
    deps.log.debug('websocket connected', { socketId, userId, room: info.room });
  });
}
