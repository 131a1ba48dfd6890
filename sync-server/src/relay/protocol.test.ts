import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { startTestServer, type TestServer, type TestUser } from '../test-server.js';
import { encodeAwarenessUpdate } from './awareness-states.js';
import {
  CLOSE,
  encodeAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
  MESSAGE_AUTH,
  MESSAGE_AWARENESS,
  MESSAGE_DURABLE_ACK,
  MESSAGE_QUERY_AWARENESS,
  MESSAGE_SYNC,
  SYNC_STEP_1,
  SYNC_STEP_2,
  SYNC_UPDATE,
} from './protocol.js';

/**
 * The wire protocol, one case per message type, spoken by a raw socket (no Yjs provider between
 * the test and the server), malformed input included.
 */

type Received =
  | { kind: 'sync'; step: number; payload: Uint8Array }
  | { kind: 'awareness'; update: Uint8Array }
  | { kind: 'ack'; count: number }
  | { kind: 'other'; type: number };

function parse(data: Uint8Array): Received {
  const decoder = decoding.createDecoder(data);
  const type = decoding.readVarUint(decoder);
  if (type === MESSAGE_SYNC) {
    const step = decoding.readVarUint(decoder);
    return { kind: 'sync', step, payload: decoding.readVarUint8Array(decoder) };
  }
  if (type === MESSAGE_AWARENESS) {
    return { kind: 'awareness', update: decoding.readVarUint8Array(decoder) };
  }
  if (type === MESSAGE_DURABLE_ACK) return { kind: 'ack', count: decoding.readVarUint(decoder) };
  return { kind: 'other', type };
}

interface RawClient {
  ws: WebSocket;
  received: Received[];
  closed: Promise<{ code: number; reason: string }>;
  next(match: (message: Received) => boolean, what: string): Promise<Received>;
  send(bytes: Uint8Array): void;
}

async function openRaw(ts: TestServer, user: TestUser, query = ''): Promise<RawClient> {
  const ws = new WebSocket(`${ts.wsUrl}/${user.userId}?token=${user.token}${query}`);
  const received: Received[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data: Buffer) => {
    received.push(parse(new Uint8Array(data)));
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let seen = 0;
  return {
    ws,
    received,
    closed,
    async next(match, what) {
      const deadline = Date.now() + 5_000;
      for (;;) {
        while (seen < received.length) {
          const message = received[seen] as Received;
          seen += 1;
          if (match(message)) return message;
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
    send: (bytes) => ws.send(bytes),
  };
}

const isSync = (step: number) => (message: Received) =>
  message.kind === 'sync' && message.step === step;

function updateSetting(key: string, value: unknown, doc = new Y.Doc()): Uint8Array {
  const before = Y.encodeStateVector(doc);
  doc.getMap('m').set(key, value);
  return Y.encodeStateAsUpdate(doc, before);
}

describe('relay protocol', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer('pglite', {
      config: { MAX_FRAME_BYTES: String(64 * 1024) },
      relay: { maxAwarenessStates: 2, maxAwarenessStateBytes: 1024 },
    });
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
  });

  const storedRows = async (user: TestUser) => {
    const [row] = await ts.db.query<{ n: string | number }>(
      'select count(*) as n from document_updates where name = $1',
      [user.userId],
    );
    return Number(row?.n);
  };

  it('opens with the server’s sync step 1: the state vector of what is stored', async () => {
    const user = await ts.register('step1');
    const writer = await openRaw(ts, user, '&ack=1');
    const doc = new Y.Doc();
    writer.send(encodeUpdate(updateSetting('a', 1, doc)));
    await writer.next((m) => m.kind === 'ack', 'ack');
    const reader = await openRaw(ts, user);
    const first = await reader.next(() => true, 'first message');
    expect(first.kind).toBe('sync');
    const { step, payload } = first as { step: number; payload: Uint8Array };
    expect(step).toBe(SYNC_STEP_1);
    expect(Y.decodeStateVector(payload).get(doc.clientID)).toBe(1);
    writer.ws.close();
    reader.ws.close();
  });

  it('answers a sync step 1 with what the client lacks, as a sync step 2', async () => {
    const user = await ts.register('step2');
    const writer = await openRaw(ts, user, '&ack=1');
    const doc = new Y.Doc();
    writer.send(encodeUpdate(updateSetting('a', 1, doc)));
    writer.send(encodeUpdate(updateSetting('b', 2, doc)));
    await writer.next((m) => m.kind === 'ack' && m.count === 2, 'both acked');
    const reader = await openRaw(ts, user);
    reader.send(encodeSyncStep1(Y.encodeStateVector(new Y.Doc())));
    const answer = (await reader.next(isSync(SYNC_STEP_2), 'step 2')) as { payload: Uint8Array };
    const fresh = new Y.Doc();
    Y.applyUpdate(fresh, answer.payload);
    expect(fresh.getMap('m').toJSON()).toMatchObject({ a: 1, b: 2 });
    writer.ws.close();
    reader.ws.close();
  });

  it('relays an update only once it is committed, and acknowledges it to the sender', async () => {
    const user = await ts.register('commit');
    const sender = await openRaw(ts, user, '&ack=1');
    const peer = await openRaw(ts, user);
    await peer.next(isSync(SYNC_STEP_1), 'peer step 1');
    const before = await storedRows(user);
    sender.send(encodeSyncStep2(updateSetting('x', 'y')));
    await peer.next(isSync(SYNC_UPDATE), 'relayed update');
    // Durable before visible: when the peer sees it, it is already in the log.
    expect(await storedRows(user)).toBe(before + 1);
    expect(await sender.next((m) => m.kind === 'ack', 'ack')).toEqual({ kind: 'ack', count: 1 });
    sender.ws.close();
    peer.ws.close();
  });

  it('acknowledges an empty sync step 2 in order, after what came before it', async () => {
    const user = await ts.register('empty');
    const sender = await openRaw(ts, user, '&ack=1');
    sender.send(encodeUpdate(updateSetting('k', 1)));
    sender.send(encodeSyncStep2(new Uint8Array([0, 0])));
    await sender.next((m) => m.kind === 'ack' && m.count === 2, 'second ack');
    const acks = sender.received.filter((m) => m.kind === 'ack').map((m) => m.count);
    expect(acks).toEqual([...acks].sort((a, b) => a - b));
    sender.ws.close();
  });

  it('relays presence, answers a query for it, and removes it when the socket closes', async () => {
    const user = await ts.register('presence');
    const a = await openRaw(ts, user);
    const b = await openRaw(ts, user);
    await b.next(isSync(SYNC_STEP_1), 'b step 1');
    const state = encodeAwarenessUpdate([{ clientId: 7, clock: 1, state: '{"name":"A"}' }]);
    a.send(encodeAwareness(state));
    const relayed = (await b.next((m) => m.kind === 'awareness', 'presence')) as {
      update: Uint8Array;
    };
    expect(relayed.update).toEqual(state);
    const c = await openRaw(ts, user);
    await c.next(isSync(SYNC_STEP_1), 'c step 1');
    const query = encoding.createEncoder();
    encoding.writeVarUint(query, MESSAGE_QUERY_AWARENESS);
    c.send(encoding.toUint8Array(query));
    const answer = (await c.next((m) => m.kind === 'awareness', 'known states')) as {
      update: Uint8Array;
    };
    expect(new TextDecoder().decode(answer.update)).toContain('"name":"A"');
    a.ws.close();
    const removal = (await b.next(
      (m) => m.kind === 'awareness' && new TextDecoder().decode(m.update).includes('null'),
      'removal',
    )) as { update: Uint8Array };
    expect(removal.update.length).toBeGreaterThan(0);
    b.ws.close();
    c.ws.close();
  });

  it('ignores a client’s auth message and carries on', async () => {
    const user = await ts.register('auth');
    const client = await openRaw(ts, user, '&ack=1');
    const auth = encoding.createEncoder();
    encoding.writeVarUint(auth, MESSAGE_AUTH);
    encoding.writeVarUint(auth, 0);
    encoding.writeVarString(auth, 'whatever');
    client.send(encoding.toUint8Array(auth));
    client.send(encodeUpdate(updateSetting('after', 'auth')));
    expect(await client.next((m) => m.kind === 'ack', 'ack')).toEqual({ kind: 'ack', count: 1 });
    client.ws.close();
  });

  const refusals: Array<[string, () => Uint8Array | string, number]> = [
    ['a text frame', () => 'hello', CLOSE.malformed],
    ['an unknown message type', () => new Uint8Array([42, 0]), CLOSE.malformed],
    ['an unknown sync step', () => new Uint8Array([MESSAGE_SYNC, 9, 0]), CLOSE.malformed],
    [
      'a truncated message',
      () => new Uint8Array([MESSAGE_SYNC, 1, 250, 250, 250]),
      CLOSE.malformed,
    ],
    [
      'trailing bytes',
      () => new Uint8Array([...encodeUpdate(updateSetting('t', 1)), 1]),
      CLOSE.malformed,
    ],
    [
      'an update that does not decode',
      () => encodeUpdate(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])),
      CLOSE.malformed,
    ],
    [
      'presence that does not decode',
      () => encodeAwareness(new Uint8Array([5, 1])),
      CLOSE.malformed,
    ],
    [
      'more presence states than allowed',
      () =>
        encodeAwareness(
          encodeAwarenessUpdate([1, 2, 3].map((clientId) => ({ clientId, clock: 1, state: '{}' }))),
        ),
      CLOSE.malformed,
    ],
    [
      'a presence state over the size limit',
      () =>
        encodeAwareness(
          encodeAwarenessUpdate([
            { clientId: 1, clock: 1, state: JSON.stringify('x'.repeat(2000)) },
          ]),
        ),
      CLOSE.malformed,
    ],
    [
      'a presence message over MAX_FRAME_BYTES',
      () => {
        const big = new Uint8Array(65 * 1024);
        big[0] = MESSAGE_AWARENESS;
        return big;
      },
      CLOSE.messageTooBig,
    ],
  ];

  it.each(refusals)(
    'closes a connection that sends %s, and stores nothing of it',
    async (_, make, code) => {
      const user = await ts.register('refused');
      const before = await storedRows(user);
      const client = await openRaw(ts, user);
      client.send(make() as Uint8Array);
      expect((await client.closed).code).toBe(code);
      expect(await storedRows(user)).toBe(before);
    },
  );

  it('refuses a socket beyond the per-user limit, and keeps the others', async () => {
    const limited = await startTestServer('pglite', { config: { MAX_SOCKETS_PER_USER: '2' } });
    try {
      const user = await limited.register('sockets');
      const one = await openRaw(limited, user);
      const two = await openRaw(limited, user);
      const three = await openRaw(limited, user);
      expect((await three.closed).code).toBe(CLOSE.tooManyConnections);
      expect(one.ws.readyState).toBe(WebSocket.OPEN);
      two.ws.close();
      await two.closed;
      const again = await openRaw(limited, user);
      await again.next(isSync(SYNC_STEP_1), 'a socket once another closed');
      one.ws.close();
      again.ws.close();
    } finally {
      await limited.dispose();
    }
  });
});
