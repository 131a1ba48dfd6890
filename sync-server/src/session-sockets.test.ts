import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { createInProcessRevocations } from './auth/session-revocation.js';
import { CLOSE_SESSION_ENDED, createSessionSockets } from './session-sockets.js';

/** A real socket pair on 127.0.0.1: the server's end is what the sessions track. */
async function socketPair(): Promise<{ server: WebSocket; client: WebSocket; stop: () => void }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const address = wss.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const accepted = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  await new Promise((resolve) => client.once('open', resolve));
  return { server: await accepted, client, stop: () => wss.close() };
}

const closeCode = (ws: WebSocket) =>
  new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

describe('session sockets', () => {
  const stops: (() => void)[] = [];
  afterEach(() => {
    for (const stop of stops.splice(0)) stop();
  });

  it('closes a socket when its access token expires', async () => {
    const revocations = createInProcessRevocations({ clock: () => new Date() });
    const sessions = createSessionSockets({ revocations, clock: () => new Date() });
    const pair = await socketPair();
    stops.push(pair.stop, () => sessions.close());
    const closed = closeCode(pair.client);
    const serverClosed = closeCode(pair.server);
    const started = performance.now();
    sessions.track(pair.server, { sessionId: 's1', expiresAt: new Date(Date.now() + 300) });
    expect(await closed).toBe(CLOSE_SESSION_ENDED);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    await serverClosed;
    expect(sessions.count()).toBe(0);
  });

  it('closes only the sockets of the revoked session', async () => {
    const clock = () => new Date();
    const revocations = createInProcessRevocations({ clock });
    const sessions = createSessionSockets({ revocations, clock });
    const revoked = await socketPair();
    const kept = await socketPair();
    stops.push(revoked.stop, kept.stop, () => sessions.close());
    const hour = new Date(Date.now() + 3600_000);
    sessions.track(revoked.server, { sessionId: 'gone', expiresAt: hour });
    sessions.track(kept.server, { sessionId: 'kept', expiresAt: hour });
    const closed = closeCode(revoked.client);
    const serverClosed = closeCode(revoked.server);
    await revocations.revoke(['gone'], hour);
    expect(await closed).toBe(CLOSE_SESSION_ENDED);
    await serverClosed;
    expect(kept.client.readyState).toBe(WebSocket.OPEN);
    expect(sessions.count()).toBe(1);
    kept.client.close();
  });
});
