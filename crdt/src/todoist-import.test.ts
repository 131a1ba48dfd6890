import { describe, expect, it } from 'vitest';
import { createManualContext } from './context.js';
import { importForeignTasks } from './data-export.js';
import { listTasks } from './tasks.js';
import { parseCsv, readTodoistCsv } from './todoist-import.js';
import { UserDocs } from './user-docs.js';

/** A project exported from Todoist (its CSV export's columns and quoting). */
const TODOIST_EXPORT = [
  'TYPE,CONTENT,DESCRIPTION,PRIORITY,INDENT,AUTHOR,RESPONSIBLE,DATE,DATE_LANG,TIMEZONE,DURATION,DURATION_UNIT',
  'section,Errands,,,,,,,,,,',
  'task,Buy milk @shopping @home,"Oat, not soy",2,1,Ana (12345),,2026-03-14,en,Europe/Berlin,,',
  'note,"Ask about the ""barista"" one",,,,Ana (12345),,,,,,',
  'task,Pick up parcel,,4,2,Ana (12345),,2026-03-14 17:30,en,Europe/Berlin,,',
  'task,Water plants,,3,1,Ana (12345),,every monday,en,Europe/Berlin,,',
  'task,Call the bank,"Two lines\nof description",1,1,Ana (12345),,next full moon,en,,,',
  '',
  'meta,view_style,list,,,,,,,,,',
].join('\r\n');

const NOW = new Date('2026-03-10T09:00:00Z');

describe('importing a Todoist CSV', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks', () => {
    expect(parseCsv('a,"b, c","say ""hi""","two\nlines"\r\nd,,e')).toEqual([
      ['a', 'b, c', 'say "hi"', 'two\nlines'],
      ['d', '', 'e'],
    ]);
  });

  it('imports tasks with labels, priorities, subtasks, dates and comments, and reports the rest', () => {
    const docs = new UserDocs('user-1');
    const list = readTodoistCsv(TODOIST_EXPORT, { source: 'Home', timezone: 'UTC' });
    const report = importForeignTasks(docs, list, createManualContext(NOW));
    expect(report.imported.task).toBe(4);
    expect(report.skipped).toEqual([
      {
        kind: 'task',
        ref: 'line 2 (Errands)',
        reason: 'a Todoist section: its tasks are imported without it',
      },
    ]);
    expect(report.warnings).toEqual([
      {
        kind: 'task',
        ref: 'line 7 (Call the bank)',
        reason: 'date "next full moon" not understood: imported without a date',
      },
    ]);
    const byTitle = new Map(listTasks(docs).map((task) => [task.title, task]));
    const milk = byTitle.get('Buy milk');
    expect(milk).toMatchObject({
      priority: 'HIGH',
      tags: ['home', 'shopping'],
      dueDate: '2026-03-14',
      description: 'Oat, not soy\n\nAsk about the "barista" one',
    });
    // 17:30 in Berlin (the row's TIMEZONE) is 16:30 UTC in March.
    expect(byTitle.get('Pick up parcel')).toMatchObject({
      parentId: milk?.id,
      dueDate: '2026-03-14T16:30:00Z',
      priority: 'MEDIUM',
    });
    expect(byTitle.get('Water plants')?.recurrenceRule).toBe('FREQ=WEEKLY;BYDAY=MO');
    expect(byTitle.get('Call the bank')).toMatchObject({
      priority: 'URGENT',
      dueDate: null,
      description: 'Two lines\nof description',
    });
  });

  it('creates nothing twice when the same file is imported again', () => {
    const docs = new UserDocs('user-1');
    const read = () => readTodoistCsv(TODOIST_EXPORT, { source: 'Home', timezone: 'UTC' });
    importForeignTasks(docs, read(), createManualContext(NOW));
    const again = importForeignTasks(docs, read(), createManualContext(NOW));
    expect(again.imported.task).toBe(0);
    expect(again.skipped.filter((skip) => skip.reason === 'already exists')).toHaveLength(4);
    expect(listTasks(docs)).toHaveLength(4);
  });

  it('refuses a file that is not a Todoist CSV', () => {
    expect(() =>
      readTodoistCsv('Subject,Start Date\nLunch,2026-01-01', { source: 'x', timezone: 'UTC' }),
    ).toThrow(/not a Todoist CSV/);
  });
});
