import { describe, expect, it } from 'vitest';
import { monthsWithPendingChanges, pendingStorageKey } from './sync-counter.js';

const USER = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

describe('months with changes waiting for the server', () => {
  it('finds the months of this user whose stored count is above zero', () => {
    const stored: [string, string][] = [
      [pendingStorageKey(USER), '4'],
      [pendingStorageKey(`${USER}/time/2024-03`), '2'],
      [pendingStorageKey(`${USER}/time/2023-11`), '1'],
      [pendingStorageKey(`${USER}/time/2024-04`), '0'],
      ['tasks.session', '{"userId":"x"}'],
    ];
    expect(monthsWithPendingChanges(stored, USER)).toEqual(['2023-11', '2024-03']);
  });

  it('ignores other users and keys that name no month', () => {
    const stored: [string, string][] = [
      [pendingStorageKey('another-user/time/2024-03'), '3'],
      [pendingStorageKey(`${USER}/time/2024-13`), '3'],
      [pendingStorageKey(`${USER}/time/../x`), '3'],
      [pendingStorageKey(`${USER}/time/2024-05`), 'not a number'],
    ];
    expect(monthsWithPendingChanges(stored, USER)).toEqual([]);
  });
});
