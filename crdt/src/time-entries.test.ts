import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createManualContext } from './context.js';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import { createTask, deleteTask } from './tasks.js';
import {
  addManualEntry,
  deleteTimeEntry,
  entryDurationSeconds,
  entryMonthHints,
  getRunningTimer,
  getTimeEntry,
  listTaskEntries,
  listTimeEntries,
  settleRunningTimers,
  startTimer,
  stopTimer,
  sumTrackedTime,
  timerMonths,
  totalDurationSeconds,
  trackedCopiesOfMonth,
  trackedSecondsByTask,
  updateTimeEntry,
} from './time-entries.js';
import {
  entriesOf,
  MonthNotLoadedError,
  migrateDocument,
  runningOf,
  UserDocs,
} from './user-docs.js';
import type { EntryPatch, ManualEntryInput } from './validation.js';

const USER = 'user-1';
const T0 = new Date('2025-03-01T10:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function manualContext(prefix: string, start = T0) {
  let next = 0;
  return createManualContext(start, () => {
    next += 1;
    return `${prefix}-${next.toString().padStart(3, '0')}`;
  });
}

/** One device's copy of the user's documents, with a fixed Yjs client id on each document. */
function replica(clientId: number): UserDocs {
  const main = new Y.Doc({ guid: USER });
  main.clientID = clientId;
  return new UserDocs(USER, {
    main,
    onMonthCreated: (_key, doc) => {
      doc.clientID = clientId;
    },
  });
}

function setup() {
  const docs = replica(1);
  migrateDocument(docs.main, USER);
  return { docs, ctx: manualContext('entry') };
}

function exchange(a: Y.Doc, b: Y.Doc): void {
  const fromA = Y.encodeStateAsUpdate(a, Y.encodeStateVector(b));
  const fromB = Y.encodeStateAsUpdate(b, Y.encodeStateVector(a));
  Y.applyUpdate(b, fromA);
  Y.applyUpdate(a, fromB);
}

function syncMain(a: UserDocs, b: UserDocs): void {
  exchange(a.main, b.main);
}

function syncMonth(a: UserDocs, b: UserDocs, monthKey: string): void {
  exchange(a.month(monthKey), b.month(monthKey));
}

/** Exchanges the main documents and every month document either replica has. */
function syncAll(a: UserDocs, b: UserDocs): void {
  syncMain(a, b);
  const months = new Set([...a.loadedMonths(), ...b.loadedMonths()]);
  for (const key of months) syncMonth(a, b, key);
}

function cloneReplica(source: UserDocs, clientId: number): UserDocs {
  const copy = replica(clientId);
  syncAll(source, copy);
  return copy;
}

function invalidFields(write: () => unknown): string[] {
  try {
    write();
  } catch (error) {
    if (error instanceof ValidationError) return error.fields.map((f) => f.field);
    throw error;
  }
  throw new Error('expected a ValidationError');
}

const at = (ms: number) => new Date(T0.getTime() + ms);
const runningIds = (docs: UserDocs) => [...runningOf(docs.main).keys()].sort();

describe('timers', () => {
  it('starts a timer that reads as running, with its task and description', () => {
    const { docs, ctx } = setup();
    const task = createTask(docs, { title: 'Write report' }, ctx);
    const entry = startTimer(docs, { taskId: task.id, description: 'first draft' }, ctx);
    expect(entry).toEqual({
      id: 'entry-002',
      taskId: task.id,
      start: '2025-03-01T10:00:00Z',
      end: null,
      description: 'first draft',
      isManual: false,
      createdAt: '2025-03-01T10:00:00Z',
      updatedAt: '2025-03-01T10:00:00Z',
    });
    expect(getRunningTimer(docs)).toEqual({
      entryId: entry.id,
      month: '2025-03',
      start: '2025-03-01T10:00:00Z',
      taskId: task.id,
      description: 'first draft',
    });
    expect(entriesOf(docs.month('2025-03')).has(entry.id)).toBe(true);
  });

  it('counts a running timer up to now', () => {
    const { docs, ctx } = setup();
    const entry = startTimer(docs, {}, ctx);
    expect(entryDurationSeconds(entry, at(90_000))).toBe(90);
  });

  it('stops the running timer at the current time', () => {
    const { docs, ctx } = setup();
    const entry = startTimer(docs, {}, ctx);
    ctx.advance(25 * MINUTE);
    const stopped = stopTimer(docs, entry.id, ctx);
    expect(stopped).toMatchObject({ id: entry.id, end: '2025-03-01T10:25:00Z' });
    expect(entryDurationSeconds(stopped, at(DAY))).toBe(25 * 60);
    expect(getRunningTimer(docs)).toBeNull();
  });

  it('stops whatever timer is running when no entry is named', () => {
    const { docs, ctx } = setup();
    const entry = startTimer(docs, {}, ctx);
    ctx.advance(MINUTE);
    expect(stopTimer(docs, undefined, ctx)).toMatchObject({
      id: entry.id,
      end: '2025-03-01T10:01:00Z',
    });
  });

  it('stops the first timer when a second one starts', () => {
    const { docs, ctx } = setup();
    const first = startTimer(docs, { description: 'email' }, ctx);
    ctx.advance(10 * MINUTE);
    const second = startTimer(docs, { description: 'report' }, ctx);
    expect(getTimeEntry(docs, first.id)?.end).toBe('2025-03-01T10:10:00Z');
    expect(getRunningTimer(docs)?.entryId).toBe(second.id);
    expect(runningIds(docs)).toEqual([second.id]);
  });

  it('refuses to stop an entry that is not running', () => {
    const { docs, ctx } = setup();
    const entry = startTimer(docs, {}, ctx);
    ctx.advance(MINUTE);
    stopTimer(docs, entry.id, ctx);
    ctx.advance(MINUTE);
    expect(() => stopTimer(docs, entry.id, ctx)).toThrow(ConflictError);
    expect(() => stopTimer(docs, undefined, ctx)).toThrow(ConflictError);
    expect(getTimeEntry(docs, entry.id)?.end).toBe('2025-03-01T10:01:00Z');
  });

  it('refuses to stop a stopped entry while another timer runs', () => {
    const { docs, ctx } = setup();
    const first = startTimer(docs, {}, ctx);
    ctx.advance(MINUTE);
    const second = startTimer(docs, {}, ctx);
    expect(() => stopTimer(docs, first.id, ctx)).toThrow(ConflictError);
    expect(getRunningTimer(docs)?.entryId).toBe(second.id);
  });

  it('reports stopping an unknown entry as not found', () => {
    const { docs, ctx } = setup();
    startTimer(docs, {}, ctx);
    expect(() => stopTimer(docs, 'missing', ctx)).toThrow(NotFoundError);
  });

  it('refuses a timer on a task that does not exist or is in the trash', () => {
    const { docs, ctx } = setup();
    const task = createTask(docs, { title: 'gone' }, ctx);
    deleteTask(docs, task.id, ctx);
    expect(invalidFields(() => startTimer(docs, { taskId: 'missing' }, ctx))).toEqual(['taskId']);
    expect(invalidFields(() => startTimer(docs, { taskId: task.id }, ctx))).toEqual(['taskId']);
    expect(getRunningTimer(docs)).toBeNull();
  });
});

describe('manual entries', () => {
  it('adds a finished entry marked manual', () => {
    const { docs, ctx } = setup();
    const entry = addManualEntry(
      docs,
      { start: '2025-02-27T09:00:00+01:00', end: '2025-02-27T10:30:00+01:00', description: 'call' },
      ctx,
    );
    expect(entry).toEqual({
      id: 'entry-001',
      taskId: null,
      start: '2025-02-27T08:00:00Z',
      end: '2025-02-27T09:30:00Z',
      description: 'call',
      isManual: true,
      createdAt: '2025-03-01T10:00:00Z',
      updatedAt: '2025-03-01T10:00:00Z',
    });
    expect(entriesOf(docs.month('2025-02')).has(entry.id)).toBe(true);
    expect(getRunningTimer(docs)).toBeNull();
  });

  it('accepts an entry of exactly 31 days', () => {
    const { docs, ctx } = setup();
    const entry = addManualEntry(
      docs,
      { start: '2025-01-01T00:00:00Z', end: '2025-02-01T00:00:00Z' },
      ctx,
    );
    expect(entryDurationSeconds(entry, T0)).toBe(31 * 24 * 3600);
  });

  it.each([
    [
      'an end before the start',
      { start: '2025-03-01T10:00:00Z', end: '2025-03-01T09:00:00Z' },
      ['end'],
    ],
    [
      'an end equal to the start',
      { start: '2025-03-01T10:00:00Z', end: '2025-03-01T10:00:00Z' },
      ['end'],
    ],
    ['more than 31 days', { start: '2025-01-01T00:00:00Z', end: '2025-02-01T00:00:01Z' }, ['end']],
    [
      'a start without an offset',
      { start: '2025-03-01T10:00:00', end: '2025-03-01T11:00:00Z' },
      ['start'],
    ],
    [
      'an unknown field',
      { start: '2025-03-01T10:00:00Z', end: '2025-03-01T11:00:00Z', hours: 1 },
      ['hours'],
    ],
  ])('rejects %s, naming the field', (_name, input, fields) => {
    const { docs, ctx } = setup();
    expect(invalidFields(() => addManualEntry(docs, input as ManualEntryInput, ctx))).toEqual(
      fields,
    );
    expect(
      listTimeEntries(docs, { from: new Date('2024-12-01'), to: new Date('2025-04-01') }),
    ).toEqual([]);
  });
});

describe('editing and deleting entries', () => {
  function manual(docs: UserDocs, ctx: ReturnType<typeof manualContext>) {
    return addManualEntry(
      docs,
      { start: '2025-03-01T08:00:00Z', end: '2025-03-01T09:00:00Z', description: 'standup' },
      ctx,
    );
  }

  it('edits an entry in place', () => {
    const { docs, ctx } = setup();
    const task = createTask(docs, { title: 'Meetings' }, ctx);
    const entry = manual(docs, ctx);
    ctx.advance(MINUTE);
    const edited = updateTimeEntry(
      docs,
      entry.id,
      { end: '2025-03-01T09:15:00Z', taskId: task.id, description: '' },
      ctx,
    );
    expect(edited).toEqual({
      ...entry,
      taskId: task.id,
      end: '2025-03-01T09:15:00Z',
      description: '',
      updatedAt: '2025-03-01T10:01:00Z',
    });
    expect(listTaskEntries(docs, task.id).map((e) => e.id)).toEqual([entry.id]);
  });

  it("moves an entry edited to start in another month into that month's document", () => {
    const { docs, ctx } = setup();
    const entry = manual(docs, ctx);
    const moved = updateTimeEntry(
      docs,
      entry.id,
      { start: '2025-02-27T08:00:00Z', end: '2025-02-27T09:00:00Z' },
      ctx,
    );
    expect(moved).toMatchObject({
      id: entry.id,
      start: '2025-02-27T08:00:00Z',
      end: '2025-02-27T09:00:00Z',
      description: 'standup',
      isManual: true,
      createdAt: entry.createdAt,
    });
    expect(entriesOf(docs.month('2025-02')).has(entry.id)).toBe(true);
    expect(entriesOf(docs.month('2025-03')).has(entry.id)).toBe(false);
    const march = { from: new Date('2025-03-01T00:00:00Z'), to: new Date('2025-04-01T00:00:00Z') };
    const february = {
      from: new Date('2025-02-01T00:00:00Z'),
      to: new Date('2025-03-01T00:00:00Z'),
    };
    expect(listTimeEntries(docs, march)).toEqual([]);
    expect(listTimeEntries(docs, february).map((e) => e.id)).toEqual([entry.id]);
  });

  it('moves a running timer to an earlier start, keeping it running', () => {
    const { docs, ctx } = setup();
    const entry = startTimer(docs, { description: 'focus' }, ctx);
    ctx.advance(HOUR);
    const edited = updateTimeEntry(docs, entry.id, { start: '2025-02-28T23:30:00Z' }, ctx);
    expect(edited).toMatchObject({
      start: '2025-02-28T23:30:00Z',
      end: null,
      description: 'focus',
    });
    expect(getRunningTimer(docs)).toMatchObject({
      entryId: entry.id,
      month: '2025-02',
      start: '2025-02-28T23:30:00Z',
    });
    ctx.advance(MINUTE);
    expect(stopTimer(docs, entry.id, ctx).end).toBe('2025-03-01T11:01:00Z');
  });

  it('refuses to set the end of a running timer or to start it in the future', () => {
    const { docs, ctx } = setup();
    const entry = startTimer(docs, {}, ctx);
    expect(
      invalidFields(() => updateTimeEntry(docs, entry.id, { end: '2025-03-01T11:00:00Z' }, ctx)),
    ).toEqual(['end']);
    expect(
      invalidFields(() => updateTimeEntry(docs, entry.id, { start: '2025-03-01T12:00:00Z' }, ctx)),
    ).toEqual(['start']);
    expect(getTimeEntry(docs, entry.id)).toEqual(entry);
  });

  it('rejects an edit that ends the entry before it starts', () => {
    const { docs, ctx } = setup();
    const entry = manual(docs, ctx);
    expect(
      invalidFields(() => updateTimeEntry(docs, entry.id, { start: '2025-03-01T09:30:00Z' }, ctx)),
    ).toEqual(['end']);
    const patch = { minutes: 5 } as Record<string, unknown>;
    expect(invalidFields(() => updateTimeEntry(docs, entry.id, patch as EntryPatch, ctx))).toEqual([
      'minutes',
    ]);
    expect(getTimeEntry(docs, entry.id)).toEqual(entry);
  });

  it('reports editing or deleting an unknown entry as not found', () => {
    const { docs, ctx } = setup();
    expect(() => updateTimeEntry(docs, 'missing', { description: 'x' }, ctx)).toThrow(
      NotFoundError,
    );
    expect(() => deleteTimeEntry(docs, 'missing')).toThrow(NotFoundError);
  });

  it('deletes an entry', () => {
    const { docs, ctx } = setup();
    const entry = manual(docs, ctx);
    deleteTimeEntry(docs, entry.id);
    expect(getTimeEntry(docs, entry.id)).toBeNull();
    expect(
      listTimeEntries(docs, { from: new Date('2025-03-01'), to: new Date('2025-03-02') }),
    ).toEqual([]);
  });

  it('deleting the running timer leaves no timer running', () => {
    const { docs, ctx } = setup();
    const entry = startTimer(docs, {}, ctx);
    deleteTimeEntry(docs, entry.id);
    expect(getRunningTimer(docs)).toBeNull();
    expect(
      listTimeEntries(docs, { from: new Date('2025-03-01'), to: new Date('2025-03-02') }),
    ).toEqual([]);
  });
});

describe('listTimeEntries', () => {
  function day(docs: UserDocs, ctx: ReturnType<typeof manualContext>) {
    const add = (start: string, end: string, description: string) =>
      addManualEntry(docs, { start, end, description }, ctx);
    add('2025-02-28T22:00:00Z', '2025-03-01T00:00:00Z', 'ends at the range start');
    add('2025-02-28T23:00:00Z', '2025-03-01T01:00:00Z', 'crosses the range start');
    add('2025-03-01T09:00:00Z', '2025-03-01T10:00:00Z', 'inside');
    add('2025-03-01T23:30:00Z', '2025-03-02T00:30:00Z', 'crosses the range end');
    add('2025-03-02T00:00:00Z', '2025-03-02T01:00:00Z', 'starts at the range end');
  }
  const march1 = { from: new Date('2025-03-01T00:00:00Z'), to: new Date('2025-03-02T00:00:00Z') };

  it('lists the entries overlapping the range, by start, including those from the month before', () => {
    const { docs, ctx } = setup();
    day(docs, ctx);
    expect(listTimeEntries(docs, march1).map((e) => e.description)).toEqual([
      'crosses the range start',
      'inside',
      'crosses the range end',
    ]);
  });

  it('counts the running timer', () => {
    const { docs } = setup();
    day(docs, manualContext('manual'));
    const ctx = manualContext('timer', new Date('2025-03-01T12:00:00Z'));
    const timer = startTimer(docs, { description: 'running' }, ctx);
    const listed = listTimeEntries(docs, march1);
    expect(listed.map((e) => [e.description, e.end])).toEqual([
      ['crosses the range start', '2025-03-01T01:00:00Z'],
      ['inside', '2025-03-01T10:00:00Z'],
      ['running', null],
      ['crosses the range end', '2025-03-02T00:30:00Z'],
    ]);
    expect(listed.find((e) => e.end === null)?.id).toBe(timer.id);
  });

  it('counts a running timer from another device before its month document has arrived', () => {
    const { docs: a, ctx } = setup();
    const b = cloneReplica(a, 2);
    const timer = startTimer(a, { description: 'on the laptop' }, ctx);
    syncMain(a, b);
    const listed = listTimeEntries(b, march1);
    expect(listed).toEqual([
      expect.objectContaining({
        id: timer.id,
        start: timer.start,
        end: null,
        description: 'on the laptop',
      }),
    ]);
  });
});

describe('timers started on two devices offline', () => {
  function twoTimers() {
    const { docs: a, ctx } = setup();
    const b = cloneReplica(a, 2);
    const onA = startTimer(a, { description: 'phone' }, ctx);
    const onB = startTimer(b, { description: 'laptop' }, manualContext('b', at(5 * MINUTE)));
    return { a, b, onA, onB };
  }

  it('shows exactly one running timer on both, the later start, the other ended when it started', () => {
    const { a, b, onA, onB } = twoTimers();
    syncAll(a, b);
    for (const docs of [a, b]) {
      expect(getRunningTimer(docs)?.entryId).toBe(onB.id);
      expect(getTimeEntry(docs, onA.id)?.end).toBe(onB.start);
      expect(getTimeEntry(docs, onB.id)?.end).toBeNull();
      const listed = listTimeEntries(docs, { from: T0, to: at(DAY) });
      expect(listed.map((e) => [e.id, e.end])).toEqual([
        [onA.id, '2025-03-01T10:05:00Z'],
        [onB.id, null],
      ]);
    }
  });

  it('converges when both devices settle the race at once', () => {
    const { a, b, onA, onB } = twoTimers();
    syncAll(a, b);
    settleRunningTimers(a);
    settleRunningTimers(b);
    syncAll(a, b);
    for (const docs of [a, b]) {
      expect(runningIds(docs)).toEqual([onB.id]);
      const stored = entriesOf(docs.month('2025-03')).get(onA.id) as Y.Map<unknown>;
      expect(stored.get('end')).toBe(onB.start);
    }
    const range = { from: T0, to: at(DAY) };
    expect(listTimeEntries(a, range)).toEqual(listTimeEntries(b, range));
    settleRunningTimers(a);
    expect(getTimeEntry(a, onA.id)?.end).toBe(onB.start);
    expect(getRunningTimer(a)?.entryId).toBe(onB.id);
  });

  it('stops the one running timer when either device stops it after the merge', () => {
    const { a, b, onA, onB } = twoTimers();
    syncAll(a, b);
    const ctx = manualContext('a', at(HOUR));
    expect(stopTimer(a, undefined, ctx).id).toBe(onB.id);
    syncAll(a, b);
    for (const docs of [a, b]) {
      expect(getRunningTimer(docs)).toBeNull();
      expect(getTimeEntry(docs, onA.id)?.end).toBe('2025-03-01T10:05:00Z');
      expect(getTimeEntry(docs, onB.id)?.end).toBe('2025-03-01T11:00:00Z');
    }
  });

  it("keeps the losing timer's time when the race is settled before its entry has arrived", () => {
    const { a, b, onA, onB } = twoTimers();
    syncMain(a, b);
    // b has a's running record but not yet a's entry in the month document.
    settleRunningTimers(b);
    syncAll(a, b);
    for (const docs of [a, b]) {
      expect(getRunningTimer(docs)?.entryId).toBe(onB.id);
      expect(getTimeEntry(docs, onA.id)?.end).toBe(onB.start);
    }
  });
});

describe('reading entries', () => {
  it('reads an entry whose running record is gone as zero-length until its end arrives', () => {
    const { docs: a, ctx } = setup();
    const entry = startTimer(a, {}, ctx);
    const b = cloneReplica(a, 2);
    ctx.advance(30 * MINUTE);
    stopTimer(a, entry.id, ctx);
    // The main document (record removed) arrives before the month document (end written).
    syncMain(a, b);
    const early = getTimeEntry(b, entry.id);
    expect(early?.end).toBe(entry.start);
    expect(entryDurationSeconds(early ?? entry, at(DAY))).toBe(0);
    syncAll(a, b);
    expect(getTimeEntry(b, entry.id)?.end).toBe('2025-03-01T10:30:00Z');
  });

  it('skips entry values that are not entries and clamps an end before the start', () => {
    const { docs } = setup();
    const entries = entriesOf(docs.month('2025-03'));
    entries.set('number', 5);
    const noStart = new Y.Map<unknown>();
    entries.set('no-start', noStart);
    noStart.set('end', '2025-03-01T10:00:00Z');
    const backwards = new Y.Map<unknown>();
    entries.set('backwards', backwards);
    backwards.set('start', '2025-03-01T10:00:00Z');
    backwards.set('end', '2025-03-01T09:00:00Z');
    backwards.set('isManual', 'yes');
    const listed = listTimeEntries(docs, {
      from: new Date('2025-03-01'),
      to: new Date('2025-03-02'),
    });
    expect(listed).toEqual([
      {
        id: 'backwards',
        taskId: null,
        start: '2025-03-01T10:00:00Z',
        end: '2025-03-01T10:00:00Z',
        description: '',
        isManual: false,
        createdAt: '2025-03-01T10:00:00Z',
        updatedAt: '2025-03-01T10:00:00Z',
      },
    ]);
  });
});

describe('loading month documents on demand', () => {
  /** A server-style view of `source`: only the given month documents, refusing any other. */
  function strictView(source: UserDocs, months: string[]): UserDocs {
    const main = new Y.Doc();
    Y.applyUpdate(main, Y.encodeStateAsUpdate(source.main));
    const loaded = new Map<string, Y.Doc>();
    for (const key of months) {
      const doc = new Y.Doc();
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(source.month(key)));
      loaded.set(key, doc);
    }
    return new UserDocs(USER, { main, months: loaded, strictMonths: true });
  }

  it('names the months of every timer record, which stopping a timer needs loaded', () => {
    const { docs: a, ctx } = setup();
    expect(timerMonths(a)).toEqual([]);
    const b = cloneReplica(a, 2);
    startTimer(
      a,
      { description: 'february' },
      manualContext('a', new Date('2025-02-28T23:00:00Z')),
    );
    const march = startTimer(b, { description: 'march' }, ctx);
    syncAll(a, b);
    expect(timerMonths(a)).toEqual(['2025-02', '2025-03']);

    expect(() => stopTimer(strictView(a, ['2025-03']), march.id, ctx)).toThrow(MonthNotLoadedError);
    const view = strictView(a, timerMonths(a));
    expect(stopTimer(view, march.id, ctx).end).toBe('2025-03-01T10:00:00Z');
    expect(timerMonths(view)).toEqual([]);
  });

  it('hints at the month an entry id was minted in and the month before', () => {
    expect(entryMonthHints(uuidv7({ msecs: Date.parse('2025-03-01T00:00:01Z') }))).toEqual([
      '2025-02',
      '2025-03',
    ]);
    expect(entryMonthHints(uuidv7({ msecs: Date.parse('2025-01-15T12:00:00Z') }))).toEqual([
      '2024-12',
      '2025-01',
    ]);
    expect(entryMonthHints('entry-001')).toEqual([]);
  });
});

describe('listing the entries of one task', () => {
  it('keeps only the entries of the task, the running timer included when it is on it', () => {
    const { docs, ctx } = setup();
    const report = createTask(docs, { title: 'Write report' }, ctx);
    const other = createTask(docs, { title: 'Other' }, ctx);
    const range = { from: T0, to: at(DAY) };
    addManualEntry(
      docs,
      { taskId: report.id, start: at(HOUR).toISOString(), end: at(2 * HOUR).toISOString() },
      ctx,
    );
    addManualEntry(
      docs,
      { taskId: other.id, start: at(HOUR).toISOString(), end: at(3 * HOUR).toISOString() },
      ctx,
    );
    ctx.set(at(4 * HOUR));
    const timer = startTimer(docs, { taskId: report.id }, ctx);

    const listed = listTimeEntries(docs, { ...range, taskId: report.id });
    expect(listed.map((e) => [e.taskId, e.end])).toEqual([
      [report.id, '2025-03-01T12:00:00Z'],
      [report.id, null],
    ]);
    expect(listed.at(-1)?.id).toBe(timer.id);
    expect(listTimeEntries(docs, { ...range, taskId: other.id })).toHaveLength(1);
    expect(listTimeEntries(docs, { ...range, taskId: 'no-such-task' })).toEqual([]);
  });

  it('counts the running timer from its record alone only when it is on the task', () => {
    const { docs: a, ctx } = setup();
    const task = createTask(a, { title: 'Write report' }, ctx);
    const b = cloneReplica(a, 2);
    startTimer(a, { taskId: task.id }, ctx);
    syncMain(a, b);
    const range = { from: T0, to: at(DAY) };
    expect(listTimeEntries(b, { ...range, taskId: task.id })).toHaveLength(1);
    expect(listTimeEntries(b, { ...range, taskId: 'another' })).toEqual([]);
  });

  it('totals the seconds of entries, a running one up to now', () => {
    const { docs, ctx } = setup();
    addManualEntry(docs, { start: at(0).toISOString(), end: at(HOUR).toISOString() }, ctx);
    ctx.set(at(2 * HOUR));
    startTimer(docs, {}, ctx);
    const entries = listTimeEntries(docs, { from: T0, to: at(DAY) });
    expect(totalDurationSeconds(entries, at(2 * HOUR + 90_000))).toBe(3600 + 90);
    expect(totalDurationSeconds([], at(0))).toBe(0);
  });
});

describe('tracked time kept per month', () => {
  const byMonth = (docs: UserDocs, now: Date) =>
    sumTrackedTime(docs.loadedMonths().map((key) => trackedCopiesOfMonth(docs, key, now)));

  it('sums months one by one to what every month together gives, the running timer included', () => {
    const { docs, ctx } = setup();
    const task = createTask(docs, { title: 'Write report' }, ctx);
    addManualEntry(
      docs,
      { taskId: task.id, start: '2025-02-10T08:00:00Z', end: '2025-02-10T09:00:00Z' },
      ctx,
    );
    addManualEntry(
      docs,
      { taskId: task.id, start: at(0).toISOString(), end: at(HOUR).toISOString() },
      ctx,
    );
    ctx.set(at(2 * HOUR));
    startTimer(docs, { taskId: task.id }, ctx);
    const now = at(2 * HOUR + 10 * MINUTE);
    expect(byMonth(docs, now)).toEqual(trackedSecondsByTask(docs, now));
    expect(byMonth(docs, now).get(task.id)).toBe(2 * 3600 + 600);
  });

  it('counts an entry moved to two months at once by two devices once, as every reader does', () => {
    const { docs: a, ctx } = setup();
    const task = createTask(a, { title: 'Plan' }, ctx);
    const entry = addManualEntry(
      a,
      { taskId: task.id, start: at(0).toISOString(), end: at(HOUR).toISOString() },
      ctx,
    );
    const b = cloneReplica(a, 2);
    ctx.set(at(MINUTE));
    updateTimeEntry(
      a,
      entry.id,
      { start: '2025-02-27T08:00:00Z', end: '2025-02-27T10:00:00Z' },
      ctx,
    );
    ctx.set(at(2 * MINUTE));
    updateTimeEntry(
      b,
      entry.id,
      { start: '2025-04-02T08:00:00Z', end: '2025-04-02T08:30:00Z' },
      ctx,
    );
    syncAll(a, b);
    const now = at(DAY);
    expect(byMonth(a, now)).toEqual(trackedSecondsByTask(a, now));
    expect(byMonth(a, now).get(task.id)).toBe(1800);
  });
});
