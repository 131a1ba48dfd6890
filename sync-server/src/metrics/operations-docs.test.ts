import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-server.js';
import { parseScrape, type Scrape } from './prometheus-text.js';

/**
 * The operations documents against a running server: every metric the alert rules and the
 * Grafana dashboard use exists in a scrape, and every metric the server defines is described
 * in docs/operations.md.
 */
const DOCS = new URL('../../../docs/', import.meta.url);
const METRIC_NAME = /\btasks_[a-z0-9_]+/g;
const TOKEN = 'metrics-token-metrics-token-0123456789';

const readDoc = (name: string) => readFile(fileURLToPath(new URL(name, DOCS)), 'utf8');

/** Every string under a JSON value (the dashboard's expressions, queries, legends). */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsIn);
  return [];
}

const namesIn = (texts: string[]) => [
  ...new Set(texts.flatMap((text) => text.match(METRIC_NAME) ?? [])),
];

describe('docs/operations.md, docs/alerts.yml and docs/grafana-dashboard.json', () => {
  let ts: TestServer;
  let scrape: Scrape;

  beforeAll(async () => {
    ts = await startTestServer('pglite', { config: { METRICS_TOKEN: TOKEN } });
    const response = await fetch(`${ts.url}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    scrape = parseScrape(await response.text());
  }, 60_000);

  afterAll(async () => {
    await ts?.dispose();
  });

  it('alert rules use only metrics the server exposes', async () => {
    const rules = await readDoc('alerts.yml');
    const expressions = rules.split('\n').filter((line) => /^\s+expr:/.test(line));
    expect(expressions.length).toBeGreaterThanOrEqual(10);
    const names = namesIn(expressions);
    for (const needed of [
      'tasks_commit_duration_seconds_bucket',
      'tasks_uncommitted_bytes',
      'tasks_calendar_connections_failing',
      'tasks_job_queue_oldest_age_seconds',
      'tasks_process_resident_memory_bytes',
      'tasks_nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(names).toContain(needed);
    }
    expect(names.filter((name) => !scrape.has(name))).toEqual([]);
  });

  it('the dashboard uses only metrics the server exposes', async () => {
    const dashboard = JSON.parse(await readDoc('grafana-dashboard.json')) as { panels: unknown[] };
    const expressions = stringsIn(dashboard.panels).filter((text) => text.includes('tasks_'));
    expect(expressions.length).toBeGreaterThanOrEqual(20);
    const names = namesIn(stringsIn(dashboard));
    expect(names.filter((name) => !scrape.has(name))).toEqual([]);
  });

  it('operations.md describes every metric the server defines', async () => {
    const text = await readDoc('operations.md');
    const ours = [...scrape.families.keys()].filter(
      (name) => !name.startsWith('tasks_process_') && !name.startsWith('tasks_nodejs_'),
    );
    expect(ours.length).toBeGreaterThanOrEqual(20);
    expect(ours.filter((name) => !text.includes(`\`${name}\``))).toEqual([]);
    expect(namesIn([text]).filter((name) => !scrape.has(name))).toEqual([]);
  });
});
