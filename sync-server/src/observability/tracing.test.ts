import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { encodeSyncStep1 } from '../relay/protocol.js';
import { startTestServer, type TestServer, type TestUser } from '../test-server.js';
import { inSpan } from './spans.js';
import { startTracing, type Tracing } from './start-tracing.js';

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: OtlpValue }[];
}
interface OtlpExport {
  resourceSpans: {
    resource: { attributes: { key: string; value: OtlpValue }[] };
    scopeSpans: { spans: OtlpSpan[] }[];
  }[];
}

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((entry) => entry.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue));
};

/** A stand-in OTLP/HTTP collector: keeps every JSON export posted to /v1/traces. */
async function startCollector() {
  const bodies: string[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/v1/traces') {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else response.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    exports: () => bodies.map((body) => JSON.parse(body) as OtlpExport),
    spans: () =>
      bodies.flatMap((body) =>
        (JSON.parse(body) as OtlpExport).resourceSpans.flatMap((resource) =>
          resource.scopeSpans.flatMap((scope) => scope.spans),
        ),
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('traces over OTLP/HTTP', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let tracing: Tracing;
  let ts: TestServer;
  let user: TestUser;

  beforeAll(async () => {
    collector = await startCollector();
    const started = startTracing({ endpoint: `${collector.url}/`, serviceName: 'tasks-test' });
    if (!started) throw new Error('tracing did not start with an endpoint');
    tracing = started;
    ts = await startTestServer('pglite');
    user = await ts.register('traced');
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
    await tracing?.shutdown();
    await collector?.close();
  });

  it('exports a request span named by its route, with its SQL statements as children', async () => {
    const response = await fetch(`${ts.url}/api/v1/tasks?status=todo`, {
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(response.status).toBe(200);
    await tracing.flush();
    const spans = collector.spans();
    const requests = spans.filter((span) => span.name === 'GET /api/v1/tasks');
    expect(requests).toHaveLength(1);
    const [request] = requests;
    if (!request) throw new Error('no request span');
    expect(request.kind).toBe(SPAN_KIND_SERVER);
    expect(attribute(request, 'http.route')).toBe('/api/v1/tasks');
    expect(attribute(request, 'http.request.method')).toBe('GET');
    expect(attribute(request, 'http.response.status_code')).toBe(200);
    const statements = spans.filter((span) => span.parentSpanId === request.spanId);
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      expect(statement.traceId).toBe(request.traceId);
      expect(statement.kind).toBe(SPAN_KIND_CLIENT);
      expect(attribute(statement, 'db.system.name')).toBe('postgresql');
      expect(statement.name).toMatch(/^(select|insert|update|delete|with)( [a-z_.]+)?$/);
    }
    const resource = collector.exports()[0]?.resourceSpans[0]?.resource.attributes ?? [];
    expect(resource).toContainEqual({ key: 'service.name', value: { stringValue: 'tasks-test' } });
    // Neither the token, the query string nor a statement's parameters (the user's id) go out.
    const exported = collector.bodies.join('\n');
    expect(exported).not.toContain(user.token);
    expect(exported).not.toContain('status=todo');
    expect(exported).not.toContain(user.userId);
  });

  it('exports one span per websocket message, named by its type', async () => {
    const ws = new WebSocket(`${ts.wsUrl}/${user.userId}?token=${user.token}`);
    const answered = new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve());
      ws.once('error', reject);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await answered; // the server's own sync step 1
    const reply = new Promise<void>((resolve) => ws.once('message', () => resolve()));
    ws.send(encodeSyncStep1(Y.encodeStateVector(new Y.Doc())));
    await reply; // its sync step 2: the message was handled
    ws.close();
    await tracing.flush();
    const messages = collector.spans().filter((span) => span.name.startsWith('ws '));
    expect(
      messages.map((span) => [span.name, attribute(span, 'messaging.operation.name')]),
    ).toEqual([['ws sync-step-1', 'sync-step-1']]);
  });
});

describe('without an endpoint', () => {
  it('starts nothing, and spans are not recorded', async () => {
    expect(startTracing({ endpoint: null, serviceName: 'tasks-test' })).toBeNull();
    const recording = await inSpan('work', {}, async (span) => span.isRecording());
    expect(recording).toBe(false);
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});
