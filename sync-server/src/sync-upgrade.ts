import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import type { TokenService } from './auth/token-service.js';
import type { Logger } from './logger.js';
import { ACCESS_TOKEN_COOKIE } from './middleware/require-auth/index.js';
import type { Relay } from './relay/relay.js';
import { parseRoomPath } from './relay/room-name.js';

export interface SyncUpgradeDeps {
  wss: WebSocketServer;
  relay: Relay;
  tokens: Pick<TokenService, 'verifyAccessToken'>;
  corsOrigins: readonly string[];
  log: Logger;
}

function reject(socket: Duplex, status: number, text: string): void {
  const body = JSON.stringify({
    error: { code: text.toLowerCase().replaceAll(' ', '_'), message: text, fields: [] },
  });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function cookieToken(header: string | undefined): string | null {
  for (const part of header?.split(';') ?? []) {
    const [name, ...value] = part.trim().split('=');
    if (name === ACCESS_TOKEN_COOKIE) return decodeURIComponent(value.join('='));
  }
  return null;
}

/**
 * Authorizes a websocket upgrade on `/sync/{room}` before anything is accepted: 401 without a
 * valid token, 403 for another user's document. The token comes from `?token=` (the stock
 * y-websocket client's `params`) or the access-token cookie; a cookie-authenticated upgrade must
 * come from an allowed Origin (cross-site websocket hijacking). URLs with tokens are never logged.
 */
export function createSyncUpgradeHandler(deps: SyncUpgradeDeps) {
  return function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = new URL(request.url ?? '/', 'http://relay.invalid');
    const room = parseRoomPath(url.pathname);
    if (!room) {
      reject(socket, 404, 'Not Found');
      return;
    }
    const queryToken = url.searchParams.get('token');
    const token = queryToken ?? cookieToken(request.headers.cookie);
    if (!token) {
      reject(socket, 401, 'Unauthorized');
      return;
    }
    if (!queryToken) {
      const origin = request.headers.origin;
      if (!origin || !deps.corsOrigins.includes(origin)) {
        reject(socket, 403, 'Forbidden');
        return;
      }
    }
    deps.tokens.verifyAccessToken(token).then(
      (claims) => {
        if (claims.userId !== room.ownerId) {
          reject(socket, 403, 'Forbidden');
          return;
        }
        deps.wss.handleUpgrade(request, socket, head, (ws) => {
          deps.relay.handleConnection(ws, {
            userId: claims.userId,
            room: room.room,
            wantsAck: url.searchParams.get('ack') === '1',
          });
        });
      },
      () => reject(socket, 401, 'Unauthorized'),
    );
  };
}
