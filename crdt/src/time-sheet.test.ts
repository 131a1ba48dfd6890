import { describe, expect, it } from 'vitest';
import { taskFixture } from './test-support.js';
import { csvCell, timeSheetCsv } from './time-sheet.js';

describe('time sheet CSV', () => {
  it('writes one line per entry in the user’s zone, with task, project and tags', () => {
    const csv = timeSheetCsv(
      [
        {
          id: 'e1',
          taskId: 't1',
          start: '2026-03-28T23:30:00Z',
          end: '2026-03-29T01:15:00Z',
          description: 'Late, "urgent" fix',
          isManual: false,
          createdAt: '2026-03-29T01:15:00Z',
          updatedAt: '2026-03-29T01:15:00Z',
        },
        {
          id: 'e2',
          taskId: null,
          start: '2026-03-30T08:00:00Z',
          end: null,
          description: '=SUM(A1)',
          isManual: true,
          createdAt: '2026-03-30T08:00:00Z',
          updatedAt: '2026-03-30T08:00:00Z',
        },
      ],
      {
        timezone: 'Europe/Berlin',
        now: new Date('2026-03-30T08:45:30Z'),
        tasks: new Map([
          ['t1', taskFixture('t1', { title: 'Fix login', projectId: 'p1', tags: ['bug', 'ops'] })],
        ]),
        projects: new Map([['p1', { name: 'Website' }]]),
      },
    );
    expect(csv.split('\r\n')).toEqual([
      'date,start,end,duration_minutes,task,project,tags,description,manual,entry_id,task_id',
      // 00:30 CET to 03:15 CEST: the clocks went forward in between, 105 minutes.
      '2026-03-29,00:30,03:15,105,Fix login,Website,bug ops,"Late, ""urgent"" fix",false,e1,t1',
      "2026-03-30,10:00,,45,,,,'=SUM(A1),true,e2,",
      '',
    ]);
  });

  it('never lets a cell start a spreadsheet formula', () => {
    expect(['=1+1', '+1', '-1', '@x'].map(csvCell)).toEqual(["'=1+1", "'+1", "'-1", "'@x"]);
    expect(csvCell(-1)).toBe('-1');
  });
});
