import { type ProviderEvent, taskToEvent } from '@tasks/connectors';
import type { Task } from '@tasks/crdt';
import { describe, expect, it } from 'vitest';
import {
  EVENT_DELETED_TASK_HASH,
  eventHash,
  linkAfterWrite,
  MASS_DELETION_MIN_COUNT,
  PURGED_TASK_HASH,
  planSync,
  type SyncAction,
  type SyncLink,
  type SyncOptions,
  TRASHED_TASK_HASH,
  taskHash,
  taskIdForEvent,
} from './sync-plan.js';

const TZ = 'Europe/Paris';
const CONNECTION = '0193c2a4-6a5e-7c3b-9d1e-2f4a5b6c7d8e';
const OPTIONS: SyncOptions = {
  timezone: TZ,
  syncDeleteEnabled: true,
  eventToTaskCriterion: (event) => event.summary.startsWith('#task'),
  window: { start: '2025-05-01T00:00:00Z', end: '2025-12-01T00:00:00Z' },
  now: '2025-06-01T12:00:00Z',
};

function task(id: string, fields: Partial<Task> = {}): Task {
  return {
    id,
    title: `Task ${id}`,
    description: '',
    status: 'TODO',
    priority: 'MEDIUM',
    startDate: '2025-06-10T09:00:00Z',
    dueDate: '2025-06-10T10:00:00Z',
    estimatedDuration: null,
    tags: [],
    parentId: null,
    projectId: null,
    recurrenceRule: null,
    recurrenceExceptions: [],
    reminders: [],
    seriesId: id,
    nextOccurrenceId: null,
    calendarEventId: null,
    order: 'a0',
    createdAt: '2025-06-01T08:00:00Z',
    updatedAt: '2025-06-01T08:00:00Z',
    completedAt: null,
    deletedAt: null,
    ...fields,
  };
}

/** The event we wrote for a task, as the provider reports it. */
function eventOf(of: Task, fields: Partial<ProviderEvent> = {}): ProviderEvent {
  const form = taskToEvent(of, TZ);
  if (!form) throw new Error(`task ${of.id} has no dates`);
  return {
    ...form,
    id: `ev-${of.id}`,
    etag: '"1"',
    updatedAt: of.updatedAt,
    overrides: [],
    ...fields,
  };
}

function foreign(id: string, fields: Partial<ProviderEvent> = {}): ProviderEvent {
  return {
    id,
    etag: '"1"',
    updatedAt: '2025-06-01T09:00:00Z',
    summary: `Meeting ${id}`,
    description: '',
    start: { dateTime: '2025-06-12T13:00:00Z', timeZone: TZ },
    end: { dateTime: '2025-06-12T14:00:00Z', timeZone: TZ },
    recurrence: null,
    exceptions: [],
    overrides: [],
    taskId: null,
    priority: null,
    ...fields,
  };
}

function link(of: Task, event: ProviderEvent): SyncLink {
  return {
    taskId: of.id,
    eventId: event.id,
    taskHash: taskHash(of, TZ),
    eventHash: eventHash(event),
    eventEtag: event.etag,
  };
}

interface Scenario {
  links?: SyncLink[];
  tasks?: Task[];
  changed?: ProviderEvent[];
  deleted?: string[];
  full?: boolean;
  mirrored?: string[];
  detached?: string[];
  options?: Partial<SyncOptions>;
}

function plan(scenario: Scenario): SyncAction[] {
  return planSync({
    connectionId: CONNECTION,
    links: scenario.links ?? [],
    detachedTaskIds: scenario.detached ?? [],
    tasks: scenario.tasks ?? [],
    eventChanges: {
      changed: scenario.changed ?? [],
      deleted: scenario.deleted ?? [],
      full: scenario.full ?? false,
    },
    mirroredEventIds: scenario.mirrored ?? [],
    options: { ...OPTIONS, ...scenario.options },
  });
}

const types = (actions: SyncAction[]) => actions.map((action) => action.type);

function only<T extends SyncAction['type']>(
  actions: SyncAction[],
  type: T,
): Extract<SyncAction, { type: T }> {
  const found = actions.filter((action) => action.type === type);
  expect(found).toHaveLength(1);
  return found[0] as Extract<SyncAction, { type: T }>;
}

/** A linked pair, synced: the task, its event and their link. */
function synced(id: string, fields: Partial<Task> = {}) {
  const t = task(id, fields);
  const e = eventOf(t);
  return { task: t, event: e, link: link(t, e) };
}

describe('event and task hashes', () => {
  it('hashes equal content alike whatever the offset, the rule order or the line endings', () => {
    const a = foreign('a', {
      description: 'line 1\r\nline 2',
      start: { dateTime: '2025-06-12T15:00:00+02:00', timeZone: TZ },
      recurrence: 'FREQ=WEEKLY;BYDAY=MO;INTERVAL=2',
    });
    const b = foreign('b', {
      summary: a.summary,
      description: 'line 1\nline 2',
      start: { dateTime: '2025-06-12T13:00:00.000Z', timeZone: TZ },
      recurrence: 'RRULE:INTERVAL=2;FREQ=WEEKLY;BYDAY=MO',
      etag: '"other"',
      updatedAt: '2030-01-01T00:00:00Z',
    });
    expect(eventHash(a)).toBe(eventHash(b));
  });

  it('hashes a change of any synced field differently', () => {
    const base = foreign('a');
    const variants: Partial<ProviderEvent>[] = [
      { summary: 'Other' },
      { description: 'More' },
      { start: { dateTime: '2025-06-12T13:30:00Z', timeZone: TZ } },
      { end: { date: '2025-06-13' } },
      { start: { dateTime: '2025-06-12T13:00:00Z', timeZone: 'UTC' } },
      { recurrence: 'FREQ=DAILY' },
      { priority: 'HIGH' },
      { taskId: 't1' },
    ];
    for (const change of variants) {
      expect(eventHash({ ...base, ...change })).not.toBe(eventHash(base));
    }
  });

  it('hashes a task by its event form, and an undated one by its own fields', () => {
    const t = task('t1');
    expect(taskHash(t, TZ)).toBe(eventHash(eventOf(t)));
    const undated = task('t2', { startDate: null, dueDate: null });
    expect(taskHash(undated, TZ)).not.toBe(taskHash(task('t2'), TZ));
    expect(taskHash({ ...undated, title: 'Other' }, TZ)).not.toBe(taskHash(undated, TZ));
    expect(taskHash({ ...undated, updatedAt: '2030-01-01T00:00:00Z' }, TZ)).toBe(
      taskHash(undated, TZ),
    );
  });

  it('links a written event under the hash of what it sent, so the pull of it is no change', () => {
    const t = task('t1');
    const [create] = plan({ tasks: [t] });
    if (create?.type !== 'createEvent') throw new Error('expected a createEvent');
    const written = eventOf(t, { id: 'g-1', etag: '"7"' });
    expect(linkAfterWrite(create, written)).toEqual({
      taskId: 't1',
      eventId: 'g-1',
      taskHash: taskHash(t, TZ),
      eventHash: eventHash(create.input),
      eventEtag: '"7"',
    });
  });

  it("leaves unlinked, for the next pull to adopt, an earlier attempt's event edited since", () => {
    const t = task('t1');
    const create = only(plan({ tasks: [t] }), 'createEvent');
    const edited = eventOf(t, { id: 'g-1', etag: '"9"', summary: 'Edited in Google' });
    expect(linkAfterWrite(create, edited)).toBeNull();
  });
});

describe('rule 1: a task created gets an event', () => {
  it('creates an event for a dated task, keyed so a retry creates it once', () => {
    const t = task('t1');
    const actions = plan({ tasks: [t] });
    expect(actions).toEqual([
      {
        type: 'createEvent',
        taskId: 't1',
        input: taskToEvent(t, TZ),
        key: 't1',
        taskHash: taskHash(t, TZ),
      },
    ]);
    expect(plan({ tasks: [t] })).toEqual(actions);
  });

  it('leaves undated tasks, tasks in the trash and tasks outside the window off the calendar', () => {
    const actions = plan({
      tasks: [
        task('undated', { startDate: null, dueDate: null }),
        task('trashed', { deletedAt: '2025-06-01T09:00:00Z' }),
        task('old', { startDate: '2024-01-01T09:00:00Z', dueDate: '2024-01-01T10:00:00Z' }),
      ],
    });
    expect(actions).toEqual([]);
  });

  it('keeps the key when the task is edited between a crash and the retry', () => {
    const before = plan({ tasks: [task('t1')] });
    const after = plan({
      tasks: [task('t1', { title: 'Edited', updatedAt: '2025-06-02T08:00:00Z' })],
    });
    expect(only(after, 'createEvent').key).toBe(only(before, 'createEvent').key);
  });

  it('gives a task restored after rule 3 deleted its event a new event under a new key', () => {
    const { task: t, link: l } = synced('t1');
    const deleted: SyncLink = { ...l, taskHash: EVENT_DELETED_TASK_HASH };
    expect(
      plan({ links: [deleted], tasks: [{ ...t, deletedAt: '2025-06-02T08:00:00Z' }] }),
    ).toEqual([]);
    const restored = { ...t, updatedAt: '2025-06-03T08:00:00Z' };
    expect(only(plan({ links: [deleted], tasks: [restored] }), 'createEvent').key).toBe('t1~ev-t1');
    expect(plan({ links: [deleted], tasks: [] })).toEqual([{ type: 'dropLink', taskId: 't1' }]);
  });
});

describe('rule 2: a task updated updates its event', () => {
  it('updates the linked event when only the task changed', () => {
    const { task: t, link: l } = synced('t1');
    const edited = { ...t, title: 'Renamed', updatedAt: '2025-06-02T08:00:00Z' };
    expect(plan({ links: [l], tasks: [edited] })).toEqual([
      {
        type: 'updateEvent',
        taskId: 't1',
        eventId: 'ev-t1',
        input: taskToEvent(edited, TZ),
        etag: '"1"',
        taskHash: taskHash(edited, TZ),
      },
    ]);
  });

  it('sends the version the pull just reported when the provider moved it', () => {
    const { task: t, event: e, link: l } = synced('t1');
    const edited = { ...t, title: 'Renamed', updatedAt: '2025-06-02T08:00:00Z' };
    const bumped = { ...e, etag: '"2"' };
    expect(only(plan({ links: [l], tasks: [edited], changed: [bumped] }), 'updateEvent').etag).toBe(
      '"2"',
    );
  });

  it('does nothing when neither side changed', () => {
    const { task: t, link: l } = synced('t1');
    expect(plan({ links: [l], tasks: [t] })).toEqual([]);
  });

  it('swallows the echo of its own write', () => {
    const { task: t, event: e, link: l } = synced('t1');
    expect(plan({ links: [l], tasks: [t], changed: [e] })).toEqual([]);
  });

  it('keeps the stored version current when the provider bumps it without a content change', () => {
    const { task: t, event: e, link: l } = synced('t1');
    expect(plan({ links: [l], tasks: [t], changed: [{ ...e, etag: '"9"' }] })).toEqual([
      { type: 'saveLink', link: { ...l, eventEtag: '"9"' } },
    ]);
  });

  it('leaves the event where it was when the task loses its dates, and moves it when they return', () => {
    const { task: t, event: e, link: l } = synced('t1');
    const undated = { ...t, startDate: null, dueDate: null, updatedAt: '2025-06-02T08:00:00Z' };
    // Recorded only against the event as a pull shows it: no If-Match guards a write-less change.
    expect(plan({ links: [l], tasks: [undated] })).toEqual([]);
    const undatedLink = { ...l, taskHash: taskHash(undated, TZ) };
    expect(plan({ links: [l], tasks: [undated], changed: [e] })).toEqual([
      { type: 'saveLink', link: undatedLink },
    ]);

    const redated = { ...t, dueDate: '2025-06-20T10:00:00Z', startDate: '2025-06-20T09:00:00Z' };
    const later = plan({ links: [undatedLink], tasks: [redated] });
    expect(only(later, 'updateEvent').input).toEqual(taskToEvent(redated, TZ));
  });
});

describe('rule 3: a task deleted deletes its event when sync-delete is on', () => {
  const trashed = (t: Task) => ({ ...t, deletedAt: '2025-06-02T08:00:00Z' });

  it('deletes the event of a task moved to the trash, remembering it for a restore', () => {
    const { task: t, link: l } = synced('t1');
    expect(plan({ links: [l], tasks: [trashed(t)] })).toEqual([
      { type: 'deleteEvent', taskId: 't1', eventId: 'ev-t1', etag: '"1"' },
      { type: 'saveLink', link: { ...l, taskHash: EVENT_DELETED_TASK_HASH } },
    ]);
  });

  it('takes the event of a task in the trash reported deleted as rule 3 done', () => {
    const { task: t, link: l } = synced('t1');
    expect(plan({ links: [l], tasks: [trashed(t)], deleted: ['ev-t1'] })).toEqual([
      { type: 'saveLink', link: { ...l, taskHash: EVENT_DELETED_TASK_HASH } },
    ]);
    const options = { syncDeleteEnabled: false };
    expect(plan({ links: [l], tasks: [trashed(t)], deleted: ['ev-t1'], options })).toEqual([
      { type: 'unlinkTask', taskId: 't1' },
    ]);
  });

  it('keeps the event and the link of a task in the trash when sync-delete is off', () => {
    const { task: t, link: l } = synced('t1');
    const options = { syncDeleteEnabled: false };
    expect(plan({ links: [l], tasks: [trashed(t)], options })).toEqual([]);
  });

  it('deletes the event of a purged task', () => {
    const { link: l } = synced('t1');
    expect(
      types(plan({ links: [l], tasks: [task('other', { dueDate: null, startDate: null })] })),
    ).toEqual(['deleteEvent', 'dropLink']);
  });

  it('leaves the event of a purged task on the calendar when sync-delete is off', () => {
    const { event: e, link: l } = synced('t1');
    const actions = plan({
      links: [l],
      tasks: [task('other', { dueDate: null, startDate: null })],
      changed: [e],
      options: { syncDeleteEnabled: false },
    });
    expect(actions).toEqual([
      { type: 'mirrorEvent', event: e },
      { type: 'saveLink', link: { ...l, taskHash: PURGED_TASK_HASH } },
    ]);
  });

  it('never turns the kept event of a purged task back into a task', () => {
    const made = taskIdForEvent(CONNECTION, 'g-1');
    const e = foreign('g-1', { summary: '#task from the calendar', etag: '"3"' });
    const kept: SyncLink = { ...link(task(made), e), taskHash: PURGED_TASK_HASH, eventEtag: '"2"' };
    const options = { syncDeleteEnabled: false };
    const actions = plan({ links: [kept], tasks: [task('t2')], changed: [e], options });
    expect(actions.filter((action) => action.type !== 'createEvent')).toEqual([
      { type: 'mirrorEvent', event: e },
      { type: 'saveLink', link: { ...kept, eventEtag: '"3"' } },
    ]);
  });

  it('does not count purged tasks whose event it kept as a sudden mass deletion', () => {
    const kept = Array.from({ length: MASS_DELETION_MIN_COUNT + 1 }, (_, i) => ({
      ...synced(`gone${i}`).link,
      taskHash: PURGED_TASK_HASH,
    }));
    const options = { syncDeleteEnabled: false };
    expect(
      plan({ links: kept, tasks: [task('t1', { dueDate: null, startDate: null })], options }),
    ).toEqual([]);
  });

  it('deletes an event of ours whose task is gone, found without a link', () => {
    const orphan = eventOf(task('gone'));
    expect(
      plan({ changed: [orphan], tasks: [task('t2', { dueDate: null, startDate: null })] }),
    ).toEqual([{ type: 'deleteEvent', taskId: 'gone', eventId: 'ev-gone', etag: '"1"' }]);
  });

  it('mirrors an event of ours whose task is gone when sync-delete is off, never making a task of it', () => {
    const orphan = eventOf(task('gone', { title: '#task left behind' }));
    const actions = plan({
      changed: [orphan],
      tasks: [task('t2', { dueDate: null, startDate: null })],
      options: { syncDeleteEnabled: false },
    });
    expect(actions).toEqual([{ type: 'mirrorEvent', event: orphan }]);
  });
});

describe('rule 4: an event created becomes a task when it matches the criterion', () => {
  it('makes a task of a matching event, linked at once under a deterministic id', () => {
    const e = foreign('g-1', { summary: '#task Call the bank' });
    const actions = plan({ changed: [e] });
    expect(types(actions)).toEqual(['createTask', 'saveLink']);
    const create = only(actions, 'createTask');
    expect(create).toMatchObject({
      taskId: taskIdForEvent(CONNECTION, 'g-1'),
      eventId: 'g-1',
      patch: {
        title: '#task Call the bank',
        startDate: '2025-06-12T13:00:00Z',
        dueDate: '2025-06-12T14:00:00Z',
      },
    });
    const saved = only(actions, 'saveLink').link;
    expect(saved).toMatchObject({ taskId: create.taskId, eventId: 'g-1', eventEtag: '"1"' });
    expect(saved.eventHash).toBe(eventHash(e));
  });

  it('mirrors an event that is not ours and does not match, for the calendar view', () => {
    const e = foreign('g-1');
    expect(plan({ changed: [e] })).toEqual([{ type: 'mirrorEvent', event: e }]);
  });

  it('neither mirrors nor turns into a task an event outside the window, and unmirrors it', () => {
    const far = foreign('g-1', {
      summary: '#task far away',
      start: { dateTime: '2026-06-01T10:00:00Z', timeZone: TZ },
      end: { dateTime: '2026-06-01T11:00:00Z', timeZone: TZ },
    });
    expect(plan({ changed: [far], mirrored: ['g-1'] })).toEqual([
      { type: 'unmirrorEvent', eventId: 'g-1' },
    ]);
  });

  it('mirrors a series begun before the window while it still has occurrences in it', () => {
    const weekly = {
      start: { dateTime: '2024-01-08T09:00:00Z', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2024-01-08T09:30:00Z', timeZone: 'Europe/Berlin' },
    };
    const running = foreign('g-1', { ...weekly, recurrence: 'FREQ=WEEKLY;BYDAY=MO' });
    expect(plan({ changed: [running] })).toEqual([{ type: 'mirrorEvent', event: running }]);
    // Ended by UNTIL or COUNT before the window opened (1 May 2025): out, and unmirrored.
    const until = foreign('g-2', { ...weekly, recurrence: 'FREQ=WEEKLY;UNTIL=20250301T000000Z' });
    const counted = foreign('g-3', { ...weekly, recurrence: 'FREQ=WEEKLY;COUNT=10' });
    expect(plan({ changed: [until, counted], mirrored: ['g-2', 'g-3'] })).toEqual([
      { type: 'unmirrorEvent', eventId: 'g-2' },
      { type: 'unmirrorEvent', eventId: 'g-3' },
    ]);
    // …unless one of its occurrences was moved into the window.
    const moved = foreign('g-4', {
      ...weekly,
      recurrence: 'FREQ=WEEKLY;COUNT=10',
      overrides: [
        {
          originalStart: '2024-03-11T09:00:00Z',
          cancelled: false,
          summary: 'Much later',
          start: { dateTime: '2025-06-02T09:00:00Z', timeZone: 'Europe/Berlin' },
          end: { dateTime: '2025-06-02T09:30:00Z', timeZone: 'Europe/Berlin' },
        },
      ],
    });
    expect(plan({ changed: [moved] })).toEqual([{ type: 'mirrorEvent', event: moved }]);
  });

  it('adopts the task it made from an event before a crash instead of making a second one', () => {
    const e = foreign('g-1', { summary: '#task Call the bank' });
    const [create] = plan({ changed: [e] });
    if (create?.type !== 'createTask') throw new Error('expected a createTask');
    const made = task(create.taskId, {
      title: '#task Call the bank',
      startDate: '2025-06-12T13:00:00Z',
      dueDate: '2025-06-12T14:00:00Z',
    });
    const replay = plan({ changed: [e], tasks: [made] });
    expect(replay).toEqual([{ type: 'saveLink', link: link(made, e) }]);
  });

  it('unlinks the task it made from an event deleted before the link was committed', () => {
    const made = task(taskIdForEvent(CONNECTION, 'g-1'), { calendarEventId: 'g-1' });
    expect(plan({ tasks: [made], deleted: ['g-1'] })).toEqual([
      { type: 'unlinkTask', taskId: made.id },
    ]);
  });

  it('waits for the event a task was made from, instead of giving it a second one', () => {
    const made = task(taskIdForEvent(CONNECTION, 'g-1'), { calendarEventId: 'g-1' });
    expect(plan({ tasks: [made] })).toEqual([]);
  });

  it('unlinks a task made from an event that a full pull no longer lists', () => {
    const made = task(taskIdForEvent(CONNECTION, 'g-1'), { calendarEventId: 'g-1' });
    const other = foreign('g-2');
    expect(plan({ tasks: [made], changed: [other], full: true })).toEqual([
      { type: 'unlinkTask', taskId: made.id },
      { type: 'mirrorEvent', event: other },
    ]);
  });

  it('unmirrors an event once it became a task', () => {
    const e = foreign('g-1', { summary: '#task Call the bank' });
    expect(types(plan({ changed: [e], mirrored: ['g-1'] }))).toEqual([
      'createTask',
      'unmirrorEvent',
      'saveLink',
    ]);
  });
});

describe('rule 5: an event updated updates its task', () => {
  it('updates the linked task with what changed, and links the task as it will be', () => {
    const { task: t, event: e, link: l } = synced('t1');
    const moved = {
      ...e,
      summary: 'Moved',
      start: { dateTime: '2025-06-11T09:00:00Z', timeZone: TZ },
      end: { dateTime: '2025-06-11T10:30:00Z', timeZone: TZ },
      etag: '"2"',
      updatedAt: '2025-06-02T08:00:00Z',
    };
    const actions = plan({ links: [l], tasks: [t], changed: [moved] });
    expect(actions[0]).toEqual({
      type: 'updateTask',
      taskId: 't1',
      patch: { title: 'Moved', startDate: '2025-06-11T09:00:00Z', dueDate: '2025-06-11T10:30:00Z' },
    });
    const next = {
      ...t,
      title: 'Moved',
      startDate: '2025-06-11T09:00:00Z',
      dueDate: '2025-06-11T10:30:00Z',
    };
    expect(actions[1]).toEqual({ type: 'saveLink', link: link(next, moved) });
  });

  it('records an event change the task does not map without writing the task', () => {
    const { task: t, event: e, link: l } = synced('t1');
    // A foreign-made pair: the event has no priority and no marker; dropping them changes nothing.
    const changed = { ...e, priority: null, taskId: null, etag: '"2"' };
    expect(plan({ links: [l], tasks: [t], changed: [changed] })).toEqual([
      { type: 'saveLink', link: { ...l, eventHash: eventHash(changed), eventEtag: '"2"' } },
    ]);
  });
});

describe('rule 6: an event deleted unlinks its task', () => {
  it('unlinks the task when its event is deleted, keeping the task', () => {
    const { task: t, link: l } = synced('t1');
    expect(plan({ links: [l], tasks: [t], deleted: ['ev-t1'] })).toEqual([
      { type: 'unlinkTask', taskId: 't1' },
    ]);
  });

  it('unlinks even a task edited meanwhile: the edit stays on the task', () => {
    const { task: t, link: l } = synced('t1');
    const edited = { ...t, title: 'Edited', updatedAt: '2025-06-02T08:00:00Z' };
    expect(plan({ links: [l], tasks: [edited], deleted: ['ev-t1'] })).toEqual([
      { type: 'unlinkTask', taskId: 't1' },
    ]);
  });

  it('never gives a task it unlinked a new event, and forgets it once purged', () => {
    expect(plan({ tasks: [task('t1')], detached: ['t1'] })).toEqual([]);
    expect(plan({ tasks: [task('t2')], detached: ['t1'] })).toEqual([
      {
        type: 'createEvent',
        taskId: 't2',
        input: taskToEvent(task('t2'), TZ),
        key: expect.any(String),
        taskHash: expect.any(String),
      },
      { type: 'dropLink', taskId: 't1' },
    ]);
  });

  it('takes an event a full pull no longer lists as deleted', () => {
    const { task: t, link: l } = synced('t1');
    const { task: u, event: f, link: m } = synced('t2');
    expect(plan({ links: [l, m], tasks: [t, u], changed: [f], full: true })).toEqual([
      { type: 'unlinkTask', taskId: 't1' },
    ]);
  });

  it('does not take an event outside the window missing from a full pull as deleted', () => {
    const { task: t, link: l } = synced('t1', {
      startDate: '2027-01-01T09:00:00Z',
      dueDate: '2027-01-01T10:00:00Z',
    });
    const { task: u, event: f, link: m } = synced('t2');
    expect(plan({ links: [l, m], tasks: [t, u], changed: [f], full: true })).toEqual([]);
  });

  it('unmirrors events a pull reports deleted or a full pull no longer lists', () => {
    const kept = foreign('kept');
    const actions = plan({
      changed: [kept],
      deleted: ['gone'],
      mirrored: ['gone', 'vanished', 'kept'],
      full: true,
    });
    expect(actions).toEqual([
      { type: 'mirrorEvent', event: kept },
      { type: 'unmirrorEvent', eventId: 'gone' },
      { type: 'unmirrorEvent', eventId: 'vanished' },
    ]);
  });
});

describe('conflicts: both sides changed, the last write wins', () => {
  const { task: t, event: e, link: l } = synced('t1');
  const editedTask = { ...t, title: 'From the app', updatedAt: '2025-06-02T10:00:00Z' };
  const editedEvent = {
    ...e,
    summary: 'From Google',
    etag: '"2"',
    updatedAt: '2025-06-02T09:00:00Z',
  };

  it('lets the task win when it was written last, with the event version in the inbox', () => {
    const actions = plan({ links: [l], tasks: [editedTask], changed: [editedEvent] });
    expect(types(actions)).toEqual(['notifyConflict', 'updateEvent']);
    expect(only(actions, 'notifyConflict')).toMatchObject({
      taskId: 't1',
      eventId: 'ev-t1',
      winner: 'task',
      losing: { side: 'event', isDeletion: false, patch: { title: 'From Google' } },
      detectedAt: OPTIONS.now,
    });
    expect(only(actions, 'updateEvent')).toMatchObject({
      input: { summary: 'From the app' },
      etag: '"2"',
    });
  });

  it('lets the event win when it was written last, with the task version in the inbox', () => {
    const later = { ...editedEvent, updatedAt: '2025-06-02T11:00:00Z' };
    const actions = plan({ links: [l], tasks: [editedTask], changed: [later] });
    expect(types(actions)).toEqual(['notifyConflict', 'updateTask', 'saveLink']);
    expect(only(actions, 'notifyConflict')).toMatchObject({
      winner: 'event',
      losing: { side: 'task', isDeletion: false, patch: { title: 'From the app' } },
    });
    expect(only(actions, 'updateTask').patch).toEqual({ title: 'From Google' });
  });

  it('notifies under the same id when the plan is replayed, so the inbox gets it once', () => {
    const first = plan({ links: [l], tasks: [editedTask], changed: [editedEvent] });
    const again = plan({ links: [l], tasks: [editedTask], changed: [editedEvent] });
    expect(only(first, 'notifyConflict').id).toBe(only(again, 'notifyConflict').id);
  });

  it('gives two conflicts within one second two notifications (timestamps are whole seconds)', () => {
    const first = plan({ links: [l], tasks: [editedTask], changed: [editedEvent] });
    const other = { ...editedTask, title: 'Another edit, same second' };
    const second = plan({ links: [l], tasks: [other], changed: [editedEvent] });
    expect(only(second, 'notifyConflict').id).not.toBe(only(first, 'notifyConflict').id);
  });

  it('does not call it a conflict when both sides made the same change', () => {
    const same = { ...editedEvent, summary: 'From the app' };
    expect(plan({ links: [l], tasks: [editedTask], changed: [same] })).toEqual([
      { type: 'saveLink', link: link(editedTask, same) },
    ]);
  });

  it('brings a task back from the trash when its event was edited after the deletion', () => {
    const deleted = { ...t, deletedAt: '2025-06-02T08:00:00Z' };
    const actions = plan({ links: [l], tasks: [deleted], changed: [editedEvent] });
    expect(types(actions)).toEqual(['notifyConflict', 'restoreTask', 'updateTask', 'saveLink']);
    expect(only(actions, 'notifyConflict')).toMatchObject({
      winner: 'event',
      losing: { side: 'task', isDeletion: true },
    });
  });

  it('deletes an event edited before its task was deleted, with the edit in the inbox', () => {
    const deleted = { ...t, deletedAt: '2025-06-02T10:00:00Z' };
    const actions = plan({ links: [l], tasks: [deleted], changed: [editedEvent] });
    expect(types(actions)).toEqual(['notifyConflict', 'deleteEvent', 'saveLink']);
    expect(only(actions, 'deleteEvent').etag).toBe('"2"');
    expect(only(actions, 'notifyConflict').losing).toMatchObject({
      side: 'event',
      event: { summary: 'From Google' },
    });
  });

  it('keeps the edited event of a deleted task when sync-delete is off; a restore will win', () => {
    const deleted = { ...t, deletedAt: '2025-06-02T10:00:00Z' };
    const options = { syncDeleteEnabled: false };
    const actions = plan({ links: [l], tasks: [deleted], changed: [editedEvent], options });
    expect(types(actions)).toEqual(['notifyConflict', 'saveLink']);
    expect(only(actions, 'saveLink').link.taskHash).toBe(TRASHED_TASK_HASH);

    const restored = { ...t, updatedAt: '2025-06-03T08:00:00Z' };
    const after = plan({ links: [only(actions, 'saveLink').link], tasks: [restored], options });
    expect(only(after, 'updateEvent')).toMatchObject({ input: { summary: t.title }, etag: '"2"' });
  });
});

describe('adoption: an event we created whose link a crash lost', () => {
  it('adopts an event it created before a crash instead of creating a second one', () => {
    const t = task('t1');
    const e = eventOf(t, { id: 'g-77' });
    expect(plan({ tasks: [t], changed: [e] })).toEqual([{ type: 'saveLink', link: link(t, e) }]);
  });

  it('pushes the task over the adopted event when the task was edited after the crash', () => {
    const t = task('t1');
    const e = eventOf(t, { id: 'g-77' });
    const edited = { ...t, title: 'Edited after', updatedAt: '2025-06-02T08:00:00Z' };
    const actions = plan({ tasks: [edited], changed: [e] });
    expect(actions).toEqual([
      {
        type: 'updateEvent',
        taskId: 't1',
        eventId: 'g-77',
        input: taskToEvent(edited, TZ),
        etag: '"1"',
        taskHash: taskHash(edited, TZ),
      },
    ]);
  });

  it('mirrors a second event of a linked task instead of linking it twice', () => {
    const { task: t, link: l } = synced('t1');
    const copy = eventOf(t, { id: 'copy' });
    expect(plan({ links: [l], tasks: [t], changed: [copy] })).toEqual([
      { type: 'mirrorEvent', event: copy },
    ]);
  });

  it('links a task in the trash to its event as it is when they agree', () => {
    const t = task('t1', { deletedAt: '2025-06-02T08:00:00Z' });
    const e = eventOf(task('t1'), { id: 'g-77' });
    expect(plan({ tasks: [t], changed: [e] })).toEqual([{ type: 'saveLink', link: link(t, e) }]);
  });

  it('decides a task in the trash and its disagreeing event by the rules of the trash: a deletion after the edit wins', () => {
    const t = task('t1', { deletedAt: '2025-06-02T08:00:00Z' });
    const e = eventOf(task('t1'), {
      id: 'g-77',
      summary: 'Edited before',
      updatedAt: '2025-06-01T08:00:00Z',
    });
    const actions = plan({ tasks: [t], changed: [e] });
    expect(actions.map((action) => action.type)).toEqual([
      'notifyConflict',
      'deleteEvent',
      'saveLink',
    ]);
    expect(actions[0]).toMatchObject({
      winner: 'task',
      losing: { patch: { title: 'Edited before' } },
    });
  });

  it('decides a task in the trash and its disagreeing event by the rules of the trash: an edit after the deletion brings the task back', () => {
    const t = task('t1', { deletedAt: '2025-06-02T08:00:00Z' });
    const e = eventOf(task('t1'), {
      id: 'g-77',
      summary: 'Edited since',
      updatedAt: '2025-06-03T08:00:00Z',
    });
    const actions = plan({ tasks: [t], changed: [e] });
    expect(actions.map((action) => action.type)).toContain('restoreTask');
    expect(actions).toContainEqual(
      expect.objectContaining({
        type: 'updateTask',
        taskId: 't1',
        patch: { title: 'Edited since' },
      }),
    );
  });

  it('does not adopt an event of ours for a task it unlinked', () => {
    const t = task('t1');
    const e = eventOf(t, { id: 'restored-in-google' });
    expect(plan({ tasks: [t], changed: [e], detached: ['t1'] })).toEqual([
      { type: 'mirrorEvent', event: e },
    ]);
  });
});

describe('the mass-deletion guard', () => {
  const pairs = Array.from({ length: MASS_DELETION_MIN_COUNT + 1 }, (_, i) => synced(`t${i}`));
  const links = pairs.map((pair) => pair.link);
  const tasks = pairs.map((pair) => pair.task);

  it('never deletes tasks when a full pull suddenly returns nothing', () => {
    const actions = plan({ links, tasks, full: true, mirrored: ['m1'] });
    expect(actions).toEqual([
      { type: 'skipMassDeletion', side: 'events', count: links.length + 1 },
    ]);
  });

  it('holds back even one unlink when a full pull comes back empty', () => {
    const [first] = pairs;
    if (!first) throw new Error('no pair');
    const actions = plan({ links: [first.link], tasks: [first.task], full: true });
    expect(actions).toEqual([{ type: 'skipMassDeletion', side: 'events', count: 1 }]);
  });

  it('holds back when more than half of the linked events vanish at once', () => {
    const deleted = links.slice(0, MASS_DELETION_MIN_COUNT).map((l) => l.eventId);
    const actions = plan({ links, tasks, deleted });
    expect(actions).toEqual([
      { type: 'skipMassDeletion', side: 'events', count: MASS_DELETION_MIN_COUNT },
    ]);
  });

  it('still pushes task edits while it holds deletions back', () => {
    const deleted = links.slice(0, MASS_DELETION_MIN_COUNT).map((l) => l.eventId);
    const edited = tasks.map((t, i) => (i === 0 ? { ...t, title: 'Edited' } : t));
    expect(types(plan({ links, tasks: edited, deleted }))).toEqual([
      'skipMassDeletion',
      'updateEvent',
    ]);
  });

  it('lets a few deletions through', () => {
    const deleted = links.slice(0, MASS_DELETION_MIN_COUNT - 1).map((l) => l.eventId);
    const actions = plan({ links, tasks, deleted });
    expect(types(actions)).toEqual(Array(MASS_DELETION_MIN_COUNT - 1).fill('unlinkTask'));
  });

  it('lets a mass deletion through once the user confirmed it', () => {
    const actions = plan({ links, tasks, full: true, options: { allowMassDeletion: true } });
    expect(types(actions)).toEqual(Array(links.length).fill('unlinkTask'));
  });

  it('does not delete events when the task list comes back empty', () => {
    const actions = plan({ links, tasks: [] });
    expect(actions).toEqual([{ type: 'skipMassDeletion', side: 'tasks', count: links.length }]);
  });

  it('does not delete our unlinked events either when the task list comes back empty', () => {
    const orphans = pairs.map((pair) => ({ ...pair.event, id: `x-${pair.event.id}` }));
    const actions = plan({ links, tasks: [], changed: orphans });
    expect(types(actions).filter((type) => type === 'deleteEvent')).toEqual([]);
  });
});

describe('purity', () => {
  it('leaves its input as it was and answers the same input the same way', () => {
    const { task: t, event: e, link: l } = synced('t1');
    const scenario: Scenario = {
      links: [l],
      tasks: [{ ...t, title: 'App', updatedAt: '2025-06-02T08:00:00Z' }, task('t2')],
      changed: [{ ...e, summary: 'Google', etag: '"2"', updatedAt: '2025-06-02T09:00:00Z' }],
      mirrored: ['gone'],
      deleted: ['gone'],
    };
    const before = structuredClone(scenario);
    const first = plan(scenario);
    expect(scenario).toEqual(before);
    expect(plan(scenario)).toEqual(first);
  });
});

describe('the order of the actions', () => {
  it('puts the inbox first, then the document, then the provider, then the status table', () => {
    const { task: a, event: ea, link: la } = synced('a');
    const { task: b, link: lb } = synced('b');
    const editedA = { ...a, title: 'App', updatedAt: '2025-06-02T08:00:00Z' };
    const newerEvent = { ...ea, summary: 'Google', etag: '"2"', updatedAt: '2025-06-02T09:00:00Z' };
    const editedB = { ...b, title: 'B', updatedAt: '2025-06-02T08:00:00Z' };
    const actions = plan({
      links: [la, lb],
      tasks: [editedA, editedB, task('c')],
      changed: [newerEvent, foreign('f1')],
    });
    expect(types(actions)).toEqual([
      'notifyConflict',
      'updateTask',
      'updateEvent',
      'createEvent',
      'mirrorEvent',
      'saveLink',
    ]);
  });
});
