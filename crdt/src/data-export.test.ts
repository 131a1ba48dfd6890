import { describe, expect, it } from 'vitest';
import { createManualContext } from './context.js';
import {
  EXPORT_FORMAT,
  exportUserData,
  importMonths,
  importUserData,
  type UserDataExport,
  userDataFile,
} from './data-export.js';
import { buildSampleUser } from './sample-user.js';
import { completeTask, createTask, listTasks, updateTask } from './tasks.js';
import { UserDocs } from './user-docs.js';

const START = Date.parse('2025-01-06T08:00:00Z');
const END = Date.parse('2025-07-06T08:00:00Z');
const NOW = new Date(END);

/** A generated user (projects, tags, subtasks, trash, six months of time) with series and skips. */
function generatedUser(userId = 'user-a'): UserDocs {
  const { docs } = buildSampleUser({ userId, tasks: 300, entries: 900, start: START, end: END });
  const ctx = createManualContext(new Date(END - 3 * 86_400_000));
  const weekly = createTask(
    docs,
    {
      title: 'Team sync',
      dueDate: '2025-07-07T09:00:00Z',
      recurrenceRule: 'FREQ=WEEKLY;COUNT=20',
      recurrenceExceptions: ['2025-07-21T09:00:00Z'],
      tags: ['Meeting'],
    },
    ctx,
  );
  completeTask(docs, weekly.id, ctx);
  const daily = createTask(
    docs,
    { title: 'Water plants', dueDate: '2025-07-08', recurrenceRule: 'FREQ=DAILY' },
    ctx,
  );
  updateTask(docs, daily.id, { recurrenceExceptions: ['2025-07-10', '2025-07-12'] }, ctx);
  return docs;
}

/** The file as it travels: JSON text, parsed back. */
function throughJson(data: UserDataExport) {
  return userDataFile.parse(JSON.parse(JSON.stringify(data)));
}

function importInto(docs: UserDocs, data: UserDataExport) {
  const file = throughJson(data);
  for (const month of importMonths(file)) docs.month(month);
  return importUserData(docs, file, createManualContext(NOW));
}

function withoutStamp(data: UserDataExport) {
  const { exportedAt: _, ...rest } = data;
  return rest;
}

describe('export and import of everything', () => {
  it('round-trips a generated user into a new account and exports the same again', () => {
    const source = generatedUser();
    const first = exportUserData(source, { now: NOW });
    expect(first.format).toBe(EXPORT_FORMAT);
    expect(first.tasks.length).toBeGreaterThan(300);
    expect(first.timeEntries).toHaveLength(900);
    expect(first.tasks.some((task) => task.deletedAt !== null)).toBe(true);
    expect(first.tasks.some((task) => task.parentId !== null)).toBe(true);
    // The completed weekly series, its next occurrence (which carries the skip on) and the daily one.
    expect(first.tasks.filter((task) => task.recurrenceExceptions.length > 0)).toHaveLength(3);

    const target = new UserDocs('user-b');
    const report = importInto(target, first);
    expect(report.skipped).toEqual([]);
    expect(report.imported.task).toBe(first.tasks.length);
    expect(report.imported.timeEntry).toBe(900);
    expect(report.imported.project).toBe(first.projects.length);

    const second = exportUserData(target, { now: new Date(END + 60_000) });
    expect(withoutStamp(second)).toEqual(withoutStamp(first));
  });

  it('imports the same file twice without creating anything twice', () => {
    const data = exportUserData(generatedUser(), { now: NOW });
    const target = new UserDocs('user-b');
    importInto(target, data);
    const tasksAfterFirst = listTasks(target, { includeDeleted: true }).length;
    const again = importInto(target, data);
    expect(again.imported).toEqual({ settings: 0, project: 0, tag: 0, task: 0, timeEntry: 0 });
    expect(again.warnings).toEqual([]);
    expect(again.skipped.filter((skip) => skip.reason !== 'already exists')).toEqual([]);
    expect(again.skipped).toHaveLength(
      data.tasks.length + data.projects.length + data.tags.length + data.timeEntries.length,
    );
    expect(listTasks(target, { includeDeleted: true })).toHaveLength(tasksAfterFirst);
    expect(exportUserData(target, { now: NOW }).timeEntries).toHaveLength(900);
  });

  it('skips the records the document refuses, says why, and imports the rest', () => {
    const data = exportUserData(generatedUser(), { now: NOW });
    const [good, bad, ...rest] = data.tasks;
    const edited: UserDataExport = {
      ...data,
      tasks: [
        good as (typeof data.tasks)[number],
        { ...(bad as (typeof data.tasks)[number]), title: '   ', parentId: null },
      ],
      timeEntries: [
        {
          id: 'entry-backwards',
          taskId: null,
          start: '2025-03-02T10:00:00Z',
          end: '2025-03-02T09:00:00Z',
          description: '',
          isManual: true,
          createdAt: '2025-03-02T10:00:00Z',
          updatedAt: '2025-03-02T10:00:00Z',
        },
      ],
    };
    expect(rest.length).toBeGreaterThan(0);
    const target = new UserDocs('user-b');
    const report = importInto(target, edited);
    expect(report.imported.task).toBe(1);
    expect(report.skipped).toEqual([
      { kind: 'task', ref: bad?.id, reason: 'title: must not be empty' },
      { kind: 'timeEntry', ref: 'entry-backwards', reason: 'end: must be after start' },
    ]);
    expect(listTasks(target, { includeDeleted: true }).map((task) => task.id)).toEqual([good?.id]);
  });

  it('refuses a file that is not ours or from a newer version', () => {
    expect(userDataFile.safeParse({ format: 'todoist', version: 1 }).success).toBe(false);
    const newer = userDataFile.safeParse({ format: EXPORT_FORMAT, version: 2 });
    expect(newer.success).toBe(false);
    expect(newer.error?.issues[0]?.message).toMatch(/versions up to 1/);
  });

  it('keeps a zone that only followed the exporting account out of the new account', () => {
    const source = new UserDocs('user-a');
    const data = exportUserData(source, { now: NOW });
    expect(data.settings.timezoneChosen).toBe(false);
    const target = new UserDocs('user-b');
    importInto(target, { ...data, settings: { ...data.settings, timezone: 'Asia/Tokyo' } });
    expect(exportUserData(target, { now: NOW }).settings.timezone).toBe('UTC');
  });
});
