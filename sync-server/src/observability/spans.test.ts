import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inSpan, setTracingActive } from './spans.js';
import { statementSummary } from './traced-database.js';
import { traceProviderCalls } from './traced-provider.js';

describe('statementSummary', () => {
  it.each([
    ['select id, email from users where id = $1', 'select', 'users', 'select users'],
    ['\n  INSERT INTO sync_jobs (id) values ($1)', 'insert', 'sync_jobs', 'insert sync_jobs'],
    ["update reminder_jobs set state = 'sent'", 'update', 'reminder_jobs', 'update reminder_jobs'],
    [
      'create table if not exists schema_migrations (id)',
      'create',
      'schema_migrations',
      'create schema_migrations',
    ],
    ['select extract(epoch from c.valid_after) from users c', 'select', 'users', 'select users'],
    ['select pg_advisory_xact_lock($1)', 'select', null, 'select pg_advisory_xact_lock'],
    ['select 1', 'select', null, 'select'],
    ['', 'sql', null, 'sql'],
  ])(
    'names %j by its first word and first table, never its values',
    (sql, operation, table, name) => {
      expect(statementSummary(sql)).toEqual({ operation, table, name });
    },
  );
});

describe('spans with an SDK registered', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  beforeAll(() => {
    provider.register();
    setTracingActive(true);
  });
  beforeEach(() => exporter.reset());
  afterAll(async () => {
    setTracingActive(false);
    await provider.shutdown();
  });

  it('records a failing span as an error and rethrows', async () => {
    await expect(
      inSpan('doomed', {}, async () => {
        throw new Error('no luck');
      }),
    ).rejects.toThrow('no luck');
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('doomed');
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.events.map((event) => event.name)).toEqual(['exception']);
  });

  it('wraps each call of a calendar provider in a span named after provider and method', async () => {
    const calls: unknown[][] = [];
    const adapter = {
      name: 'GOOGLE' as const,
      calendarId: 'primary',
      async pullChanges(this: { calendarId: string }, cursor: string | null) {
        calls.push([this.calendarId, cursor]);
        return { cursor: 'next' };
      },
      async deleteEvent(_id: string) {
        throw new Error('gone wrong');
      },
    };
    const traced = traceProviderCalls(adapter, 'GOOGLE');
    expect(traced.name).toBe('GOOGLE');
    expect(await traced.pullChanges('secret-cursor')).toEqual({ cursor: 'next' });
    await expect(traced.deleteEvent('e1')).rejects.toThrow('gone wrong');
    expect(calls).toEqual([['primary', 'secret-cursor']]);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => [span.name, span.status.code])).toEqual([
      ['calendar GOOGLE pullChanges', SpanStatusCode.UNSET],
      ['calendar GOOGLE deleteEvent', SpanStatusCode.ERROR],
    ]);
    expect(JSON.stringify(spans.map((span) => span.attributes))).not.toContain('secret-cursor');
  });
});

describe('spans while tracing is off', () => {
  it('runs the work without a recording span', async () => {
    const seen = await inSpan('quiet', {}, async (span) => span.isRecording());
    expect(seen).toBe(false);
  });
});
