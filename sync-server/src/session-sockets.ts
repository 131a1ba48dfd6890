import type { WebSocket } from 'ws';
import type { SessionRevocations } from './auth/session-revocation.js';

/**
 * Close code of a socket whose access token no longer holds: its session was revoked (sign-out,
 * reuse of a refresh token, account disabled) or the token expired. A client with a session
 * reconnects with a fresh token; one without signs in again.
 */
export const CLOSE_SESSION_ENDED = 4401;

/** Node's timers hold at most 2^31-1 ms; a later expiry is re-armed on the way. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The open sockets of each session. A socket closes as soon as its session is revoked (this
 * process hears of it through `revocations.onRevoked`) and when the token it opened with
 * expires, so a socket never outlives the authority it was opened with.
 */
export interface SessionSockets {
  track(ws: WebSocket, session: { sessionId: string; expiresAt: Date }): void;
  /** Sockets tracked now (for tests and stats). */
  count(): number;
  /** Stops listening and forgets the sockets (they are closed by the relay's own shutdown). */
  close(): void;
}

export function createSessionSockets(deps: {
  revocations: Pick<SessionRevocations, 'onRevoked'>;
  clock: () => Date;
}): SessionSockets {
  const bySession = new Map<string, Set<WebSocket>>();
  const timers = new Map<WebSocket, NodeJS.Timeout>();

  const end = (ws: WebSocket, reason: string) => {
    if (ws.readyState === ws.CLOSING || ws.readyState === ws.CLOSED) return;
    ws.close(CLOSE_SESSION_ENDED, reason);
  };
  const unsubscribe = deps.revocations.onRevoked((sessionId) => {
    for (const ws of bySession.get(sessionId) ?? []) end(ws, 'session revoked');
  });
  const armExpiry = (ws: WebSocket, expiresAt: number) => {
    const wait = expiresAt - deps.clock().getTime();
    if (wait <= 0) return end(ws, 'access token expired');
    const timer = setTimeout(() => armExpiry(ws, expiresAt), Math.min(wait, MAX_TIMER_MS));
    timer.unref();
    timers.set(ws, timer);
  };

  return {
    track(ws, { sessionId, expiresAt }) {
      let sockets = bySession.get(sessionId);
      if (!sockets) {
        sockets = new Set();
        bySession.set(sessionId, sockets);
      }
      sockets.add(ws);
      ws.once('close', () => {
        clearTimeout(timers.get(ws));
        timers.delete(ws);
        const left = bySession.get(sessionId);
        left?.delete(ws);
        if (left?.size === 0) bySession.delete(sessionId);
      });
      armExpiry(ws, expiresAt.getTime());
    },
    count: () => [...bySession.values()].reduce((sum, sockets) => sum + sockets.size, 0),
    close() {
      unsubscribe();
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      bySession.clear();
    },
  };
}
