import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { createLogger } from '../logger.js';
import { encodeUpdate } from '../relay/protocol.js';
import { startTestServer, type TestServer } from '../test-server.js';

describe('websocket connections in the log', () => {
  let ts: TestServer;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    ts = await startTestServer('pglite', {
      config: { DOC_QUOTA_BYTES: '6000' },
      log: createLogger('debug', {
        destination: { write: (line) => lines.push(JSON.parse(line)) },
      }),
    });
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
  });

  async function connect(userId: string, token: string): Promise<WebSocket> {
    const ws = new WebSocket(`${ts.wsUrl}/${userId}?token=${token}`);
    await new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve()); // the server's sync step 1: the relay has it
      ws.once('error', reject);
    });
    return ws;
  }

  it("names each socket, and the relay's lines about it carry that name", async () => {
    const user = await ts.register('socketed');
    const quiet = await connect(user.userId, user.token);
    const loud = await connect(user.userId, user.token);
    const connected = lines.filter((line) => line.msg === 'websocket connected');
    expect(connected).toHaveLength(2);
    const [quietId, loudId] = connected.map((line) => line.socketId);
    expect(quietId).toMatch(/^[0-9a-f-]{36}$/);
    expect(loudId).not.toBe(quietId);
    const doc = new Y.Doc();
    doc.getText('notes').insert(0, 'x'.repeat(10_000));
    const closed = new Promise<number>((resolve) => loud.once('close', (code) => resolve(code)));
    loud.send(encodeUpdate(Y.encodeStateAsUpdate(doc)));
    expect(await closed).toBeGreaterThanOrEqual(4000);
    const closing = lines.filter((line) => line.msg === 'closing connection');
    expect(closing).toEqual([
      expect.objectContaining({ socketId: loudId, reason: 'document quota exceeded' }),
    ]);
    expect(JSON.stringify(lines)).not.toContain(user.token);
    quiet.close();
  });
});
