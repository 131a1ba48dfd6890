import { describe, expect, it } from 'vitest';
import { monthsOfLocalDatabases, progressLabel } from './local-months.js';

describe('the months an offline export opens', () => {
  it('are the user’s month databases on this device, sorted, and nothing else', () => {
    expect(
      monthsOfLocalDatabases(
        [
          'tasks:u1/time/2026-02',
          'tasks:u1',
          'tasks:u1/time/2025-11',
          'tasks:u2/time/2026-01',
          'tasks:u1/time/not-a-month',
          'other',
        ],
        'u1',
      ),
    ).toEqual(['2025-11', '2026-02']);
  });
});

describe('import progress', () => {
  it('says the phase, the sizes and the percentage', () => {
    expect(progressLabel('reading', 512 * 1024, 4 * 1024 * 1024)).toBe(
      'Reading 512 KB of 4.0 MB (12%)',
    );
    expect(progressLabel('sending', 10, 0)).toBe('Sending 1 KB of 0 KB (0%)');
  });
});

describe('import file types', () => {
  it('follow the file name: our JSON, Todoist CSV, iCalendar; anything else is refused', async () => {
    const { importTypeOf } = await import('./data-api.js');
    expect(importTypeOf('tasks-export-2026-01-01.JSON')).toBe('application/json');
    expect(importTypeOf('Home.csv')).toBe('text/csv');
    expect(importTypeOf('basic.ics')).toBe('text/calendar');
    expect(importTypeOf('notes.txt')).toBeNull();
  });
});
