import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { computeDashboard } from './analytics/dashboard.js';
import { computeTimeDistribution } from './analytics/time-distribution.js';
import { dashboardMonths, timeDistributionMonths } from './analytics-months.js';
import { createManualContext } from './context.js';
import { ValidationError } from './errors.js';
import { updateSettings } from './settings.js';
import { addManualEntry, startTimer } from './time-entries.js';
import { migrateDocument, UserDocs } from './user-docs.js';

const USER = 'user-1';
const NOW = new Date('2025-03-01T02:00:00Z');

/** A user in Auckland (UTC+13 in March) with entries in every month from October to March. */
function userDocs(): UserDocs {
  const docs = new UserDocs(USER);
  migrateDocument(docs.main, USER);
  const ctx = createManualContext(NOW);
  updateSettings(docs, { timezone: 'Pacific/Auckland' });
  for (const [start, end] of [
    ['2024-10-31T23:00:00Z', '2024-11-01T01:00:00Z'],
    ['2024-11-30T23:00:00Z', '2024-12-01T01:00:00Z'],
    ['2024-12-31T23:00:00Z', '2025-01-01T01:00:00Z'],
    ['2025-01-31T20:00:00Z', '2025-01-31T21:00:00Z'],
    ['2025-02-28T11:30:00Z', '2025-02-28T12:30:00Z'],
  ] as const) {
    addManualEntry(docs, { start, end }, ctx);
  }
  startTimer(docs, { description: 'running' }, ctx);
  return docs;
}

/** The server's view: only the given month documents loaded, any other refused. */
function loadedOnly(source: UserDocs, months: readonly string[]): UserDocs {
  const main = new Y.Doc();
  Y.applyUpdate(main, Y.encodeStateAsUpdate(source.main));
  const loaded = new Map<string, Y.Doc>();
  for (const key of months) {
    const doc = new Y.Doc();
    if (source.hasMonth(key)) Y.applyUpdate(doc, Y.encodeStateAsUpdate(source.month(key)));
    loaded.set(key, doc);
  }
  return new UserDocs(USER, { main, months: loaded, strictMonths: true });
}

describe('dashboardMonths', () => {
  it('names exactly what computeDashboard reads, in the user’s time zone', () => {
    const docs = userDocs();
    // 7 local days back from 1 March 15:00 in Auckland start on 23 February: February and the
    // month before it.
    expect(dashboardMonths(docs, { period: '7d', now: NOW })).toEqual([
      '2025-01',
      '2025-02',
      '2025-03',
    ]);
    for (const period of ['7d', '30d', '90d'] as const) {
      const months = dashboardMonths(docs, { period, now: NOW });
      const expected = computeDashboard(docs, { period, now: NOW });
      expect(expected.total_time_tracked).toBeGreaterThan(0);
      expect(computeDashboard(loadedOnly(docs, months), { period, now: NOW })).toEqual(expected);
    }
  });

  it('names none for options computeDashboard refuses before reading', () => {
    const docs = userDocs();
    const refused = { period: '1y' as '7d', now: NOW };
    expect(dashboardMonths(docs, refused)).toEqual([]);
    expect(() => computeDashboard(loadedOnly(docs, []), refused)).toThrow(ValidationError);
    expect(dashboardMonths(docs, { period: '7d', timezone: 'Mars/Base', now: NOW })).toEqual([]);
  });
});

describe('timeDistributionMonths', () => {
  it('names exactly what computeTimeDistribution reads, widened by the local days', () => {
    const docs = userDocs();
    const options = { startDate: '2024-12-01', endDate: '2025-03-01', now: NOW };
    // Local midnight of 1 December in Auckland is 30 November in UTC.
    expect(timeDistributionMonths(docs, options)).toEqual([
      '2024-10',
      '2024-11',
      '2024-12',
      '2025-01',
      '2025-02',
      '2025-03',
    ]);
    const expected = computeTimeDistribution(docs, options);
    // Every entry but October’s (1 November, local), which falls before the range.
    expect(expected.total_time).toBe(6 * 3600);
    const view = loadedOnly(docs, timeDistributionMonths(docs, options));
    expect(computeTimeDistribution(view, options)).toEqual(expected);
  });

  it('names none for a range computeTimeDistribution refuses', () => {
    const docs = userDocs();
    for (const [startDate, endDate] of [
      ['2025-03-02', '2025-03-01'],
      ['2015-01-01', '2025-01-01'],
      ['2025-02-30', '2025-03-01'],
    ] as const) {
      const options = { startDate, endDate, now: NOW };
      expect(timeDistributionMonths(docs, options)).toEqual([]);
      expect(() => computeTimeDistribution(loadedOnly(docs, []), options)).toThrow(ValidationError);
    }
  });
});
