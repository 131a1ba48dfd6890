import { describe, expect, it } from 'vitest';
import { ValidationError } from './errors.js';
import { type EntryRangeQuery, resolveEntryRange } from './time-entry-range.js';

const NOW = new Date('2025-10-15T10:30:00Z');

function iso(query: EntryRangeQuery, zone = 'UTC', now = NOW) {
  const { from, to } = resolveEntryRange(query, zone, now);
  return [from.toISOString(), to.toISOString()];
}

function invalid(query: EntryRangeQuery): { field: string; message: string }[] {
  try {
    resolveEntryRange(query, 'UTC', NOW);
  } catch (error) {
    if (error instanceof ValidationError) return error.fields;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('resolveEntryRange', () => {
  it('reads dates as whole local days, the end date included', () => {
    expect(iso({ startDate: '2025-10-01', endDate: '2025-10-31' })).toEqual([
      '2025-10-01T00:00:00.000Z',
      '2025-11-01T00:00:00.000Z',
    ]);
    expect(iso({ startDate: '2025-10-01', endDate: '2025-10-01' }, 'Europe/Paris')).toEqual([
      '2025-09-30T22:00:00.000Z',
      '2025-10-01T22:00:00.000Z',
    ]);
  });

  it('follows daylight saving time: the local day of the change lasts 25 hours', () => {
    expect(iso({ startDate: '2025-10-26', endDate: '2025-10-26' }, 'Europe/Paris')).toEqual([
      '2025-10-25T22:00:00.000Z',
      '2025-10-26T23:00:00.000Z',
    ]);
  });

  it('takes datetimes as exact instants, the end excluded', () => {
    expect(
      iso({ startDate: '2025-10-01T09:00:00+02:00', endDate: '2025-10-02T18:00:00Z' }),
    ).toEqual(['2025-10-01T07:00:00.000Z', '2025-10-02T18:00:00.000Z']);
  });

  it('covers the last 30 local days through today by default', () => {
    expect(iso({})).toEqual(['2025-09-16T00:00:00.000Z', '2025-10-16T00:00:00.000Z']);
    // 12:00 UTC is already 16 October in Auckland; 17 September is before its DST (UTC+12).
    expect(iso({}, 'Pacific/Auckland', new Date('2025-10-15T12:00:00Z'))).toEqual([
      '2025-09-16T12:00:00.000Z',
      '2025-10-16T11:00:00.000Z',
    ]);
  });

  it('fills a missing bound: through today, or the 30 days ending at the end', () => {
    expect(iso({ startDate: '2025-10-10' })).toEqual([
      '2025-10-10T00:00:00.000Z',
      '2025-10-16T00:00:00.000Z',
    ]);
    expect(iso({ endDate: '2025-03-31' })).toEqual([
      '2025-03-02T00:00:00.000Z',
      '2025-04-01T00:00:00.000Z',
    ]);
    expect(iso({ endDate: '2025-04-01T00:00:00Z' })).toEqual([
      '2025-03-02T00:00:00.000Z',
      '2025-04-01T00:00:00.000Z',
    ]);
  });

  it('names each bound that is neither a date nor a datetime with offset', () => {
    expect(invalid({ startDate: '2025-02-30', endDate: '2025-10-01T09:00:00' })).toEqual([
      { field: 'startDate', message: expect.stringContaining('must be a date') },
      { field: 'endDate', message: expect.stringContaining('must be a date') },
    ]);
    expect(invalid({ startDate: 'yesterday' }).map((f) => f.field)).toEqual(['startDate']);
  });

  it('refuses an end before the start and a range longer than 366 days', () => {
    expect(invalid({ startDate: '2025-10-02', endDate: '2025-10-01' })).toEqual([
      { field: 'endDate', message: 'must be after the start date' },
    ]);
    expect(invalid({ startDate: '2025-10-01T10:00:00Z', endDate: '2025-10-01T10:00:00Z' })).toEqual(
      [{ field: 'endDate', message: 'must be after the start date' }],
    );
    expect(iso({ startDate: '2024-01-01', endDate: '2024-12-31' })[1]).toBe(
      '2025-01-01T00:00:00.000Z',
    );
    expect(invalid({ startDate: '2024-01-01', endDate: '2025-01-01' })).toEqual([
      { field: 'endDate', message: 'the range may cover at most 366 days' },
    ]);
  });
});
