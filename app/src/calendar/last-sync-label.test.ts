import { describe, expect, it } from 'vitest';
import { lastSyncLabel } from './last-sync-label.js';

const now = new Date('2026-11-24T12:00:00Z');

describe('the last sync of a calendar connection', () => {
  it('says never for a connection that has not synced yet', () => {
    expect(lastSyncLabel(null, now, 'UTC')).toBe('never');
  });

  it('is relative while recent, a server clock slightly ahead included', () => {
    expect(lastSyncLabel('2026-11-24T12:00:30Z', now, 'UTC')).toBe('just now');
    expect(lastSyncLabel('2026-11-24T11:59:40Z', now, 'UTC')).toBe('just now');
    expect(lastSyncLabel('2026-11-24T11:55:00Z', now, 'UTC')).toBe('5 min ago');
    expect(lastSyncLabel('2026-11-24T09:10:00Z', now, 'UTC')).toBe('2 h ago');
  });

  it('gives the day and time in the user’s zone for older syncs', () => {
    expect(lastSyncLabel('2026-11-20T23:30:00Z', now, 'Europe/Berlin')).toBe(
      'on Sat 21 Nov 2026, 00:30',
    );
    expect(lastSyncLabel('2026-11-20T23:30:00Z', now, 'America/New_York')).toBe(
      'on Fri 20 Nov 2026, 18:30',
    );
  });

  it('does not show a garbled date the server might send', () => {
    expect(lastSyncLabel('yesterday', now, 'UTC')).toBe('unknown');
  });
});
