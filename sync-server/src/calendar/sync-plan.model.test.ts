import {
  type EventInput,
  eventToTaskPatch,
  PreconditionFailedError,
  type ProviderEvent,
  ProviderRequestError,
  taskToEvent,
} from '@tasks/connectors';
import {
  addInboxItem,
  createManualContext,
  createTask,
  deleteTask,
  listTasks,
  purgeTask,
  restoreTask,
  type Task,
  UserDocs,
  updateTask,
} from '@tasks/crdt';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EVENT_DELETED_TASK_HASH,
  eventHash,
  linkAfterWrite,
  overlapsWindow,
  PURGED_TASK_HASH,
  planSync,
  type SyncAction,
  type SyncLink,
  taskHash,
  taskIdForEvent,
} from './sync-plan.js';

/**
 * vdirsyncer's SyncMachine for the calendar bridge: a task document (the real crdt commands) and
 * a model calendar (cursors, etags, create keys, Google's "a deleted event's id is taken for
 * ever") edited at random on both sides, with sync cycles in between that apply the plan, some of
 * them cut short by a crash before the status table and cursor are committed, and outages (a full
 * listing that comes back empty). Every committed sync that makes a pair agree must give it the
 * last write of either side; the sync never deletes a task; after quiet cycles at the end, both
 * sides agree, one event per dated task, links describe what is there, and planning again finds
 * nothing to do.
 */

const TZ = 'Europe/Paris';
const CONNECTION = '0193c2a4-6a5e-7c3b-9d1e-2f4a5b6c7d8e';
const BASE = Date.parse('2025-06-01T00:00:00Z');
const DAY = 86_400_000;
const FIRST_DAY = Date.parse('2025-06-10T00:00:00Z');
const WINDOW = {
  start: new Date(BASE - 30 * DAY).toISOString(),
  end: new Date(BASE + 180 * DAY).toISOString(),
};
const isCandidate = (event: ProviderEvent) => event.summary.startsWith('#task');

class ModelCalendar {
  private readonly events = new Map<string, ProviderEvent>();
  private readonly changedAt = new Map<string, number>();
  private readonly deletedAt = new Map<string, number>();
  private readonly keys = new Map<string, string>();
  private seq = 0;
  private ids = 0;

  constructor(private readonly clock: () => string) {}

  list(): ProviderEvent[] {
    return [...this.events.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  get(id: string): ProviderEvent | null {
    return this.events.get(id) ?? null;
  }

  pull(cursor: number | null) {
    if (cursor === null) return { changed: this.list(), deleted: [], full: true, cursor: this.seq };
    const changed = this.list().filter((event) => (this.changedAt.get(event.id) ?? 0) > cursor);
    const deleted = [...this.deletedAt]
      .filter(([id, at]) => at > cursor && !this.events.has(id))
      .map(([id]) => id);
    return { changed, deleted, full: false, cursor: this.seq };
  }

  create(input: EventInput, key: string): ProviderEvent {
    const existing = this.keys.get(key);
    if (existing !== undefined) {
      const event = this.events.get(existing);
      // As Google: a deleted event keeps its id, so the key can never create again.
      if (!event) throw new ProviderRequestError(`the event of key ${key} was deleted`, 409);
      return event;
    }
    this.ids += 1;
    const id = `e${this.ids}`;
    this.keys.set(key, id);
    return this.write(id, input);
  }

  update(id: string, input: EventInput, etag: string): ProviderEvent {
    const current = this.events.get(id);
    if (!current) throw new ProviderRequestError(`no event ${id}`, 404);
    if (current.etag !== etag) throw new PreconditionFailedError(`${id} is at ${current.etag}`);
    return this.write(id, input);
  }

  remove(id: string, etag: string): void {
    const current = this.events.get(id);
    if (!current) return;
    if (current.etag !== etag) throw new PreconditionFailedError(`${id} is at ${current.etag}`);
    this.drop(id);
  }

  userCreate(input: EventInput): ProviderEvent {
    this.ids += 1;
    return this.write(`u${this.ids}`, input);
  }

  userUpdate(id: string, change: (event: ProviderEvent) => EventInput): ProviderEvent | null {
    const current = this.events.get(id);
    return current ? this.write(id, change(current)) : null;
  }

  drop(id: string): void {
    this.seq += 1;
    this.events.delete(id);
    this.deletedAt.set(id, this.seq);
  }

  private write(id: string, input: EventInput): ProviderEvent {
    this.seq += 1;
    const { summary, description, start, end, recurrence, exceptions, taskId, priority } = input;
    const event: ProviderEvent = {
      ...{ summary, description, start, end, recurrence, exceptions, taskId, priority },
      id,
      etag: `"${this.seq}"`,
      updatedAt: this.clock(),
      overrides: [],
    };
    this.events.set(id, event);
    this.changedAt.set(id, this.seq);
    this.deletedAt.delete(id);
    return event;
  }
}

interface Write {
  at: string;
  title: string;
}

const taskPrint = (task: Task) =>
  JSON.stringify([
    task.title,
    task.description,
    task.startDate,
    task.dueDate,
    task.estimatedDuration,
    task.recurrenceRule,
  ]);
const eventPrint = (event: ProviderEvent) =>
  JSON.stringify([event.summary, event.description, event.start, event.end, event.recurrence]);

interface Status {
  links: Map<string, SyncLink>;
  detached: Set<string>;
  cursor: number | null;
}

class World {
  private time = BASE;
  private taskIds = 0;
  readonly ctx = createManualContext(new Date(BASE), () => {
    this.taskIds += 1;
    return `t${this.taskIds}`;
  });
  readonly docs = new UserDocs('u1');
  readonly calendar = new ModelCalendar(() => this.tick());
  readonly mirror = new Map<string, ProviderEvent>();
  status: Status = { links: new Map(), detached: new Set(), cursor: null };
  /**
   * The oracle of "no lost edit", kept apart from the planner's hashes: each pair's content as
   * of the last sync that left both sides agreeing, and the net writes of each side since, with
   * the time last-write-wins compares. The next sync that makes the pair agree must have given it
   * the title of the last of those writes.
   */
  readonly base = new Map<string, { task: string; event: string }>();
  readonly pending = new Map<string, { task?: Write; event?: Write }>();
  /**
   * Tasks once trashed or undated, whose pairs are checked for agreement only: a deletion
   * competes by deletedAt, a restore moves updatedAt without a content change, and while a task
   * has no dates the sync records its side against the event without the pair agreeing, all of
   * which this oracle does not model (the unit tests cover them).
   */
  readonly isUnmodelled = new Set<string>();
  /** Events the user created outside our tasks. */
  readonly foreignIds = new Set<string>();

  constructor(readonly syncDeleteEnabled: boolean) {}

  tick(): string {
    this.time += 60_000;
    this.ctx.set(new Date(this.time));
    return new Date(this.time).toISOString();
  }

  tasks(): Task[] {
    return listTasks(this.docs, { includeDeleted: true }).sort((a, b) => a.id.localeCompare(b.id));
  }

  task(id: string): Task | null {
    return this.tasks().find((task) => task.id === id) ?? null;
  }

  /** The task whose pair an event belongs to, if any. */
  ownerOf(event: ProviderEvent): string | null {
    for (const link of this.status.links.values())
      if (link.eventId === event.id) return link.taskId;
    if (event.taskId && this.task(event.taskId)) return event.taskId;
    const made = taskIdForEvent(CONNECTION, event.id);
    return this.task(made) ? made : null;
  }
}

// ---- operations --------------------------------------------------------------------------------

type Shape = 'timed' | 'due' | 'allDay' | 'undated';
type Op =
  | { kind: 'createTask'; shape: Shape; day: number; hour: number; title: string }
  | { kind: 'renameTask'; pick: number; title: string }
  | { kind: 'moveTask'; pick: number; days: number }
  | { kind: 'undateTask'; pick: number }
  | { kind: 'trashTask'; pick: number }
  | { kind: 'restoreTask'; pick: number }
  | { kind: 'purgeTask'; pick: number }
  | { kind: 'createEvent'; isCandidate: boolean; allDay: boolean; day: number; title: string }
  | { kind: 'renameEvent'; pick: number; title: string }
  | { kind: 'moveEvent'; pick: number; hours: number }
  | { kind: 'deleteEvent'; pick: number }
  | { kind: 'deleteManyEvents' }
  | { kind: 'sync'; crashAt: number | null; resetCursor: boolean; outage: boolean };

const title = fc.constantFrom('Report', 'Call', 'Dentist', 'Review', 'Gym', 'Taxes', 'Plan');
const pick = fc.nat(50);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('createTask' as const),
      shape: fc.constantFrom<Shape>('timed', 'due', 'allDay', 'undated'),
      day: fc.nat(30),
      hour: fc.integer({ min: 6, max: 20 }),
      title,
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('renameTask' as const), pick, title }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('moveTask' as const),
      pick,
      days: fc.integer({ min: -3, max: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('undateTask' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('trashTask' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restoreTask' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('purgeTask' as const), pick }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('createEvent' as const),
      isCandidate: fc.boolean(),
      allDay: fc.boolean(),
      day: fc.nat(30),
      title,
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('renameEvent' as const), pick, title }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('moveEvent' as const),
      pick,
      hours: fc.integer({ min: -30, max: 30 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deleteEvent' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteManyEvents' as const) }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('sync' as const),
      crashAt: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { freq: 3 }),
      resetCursor: fc.boolean(),
      outage: fc.boolean(),
    }),
  },
);

const pickFrom = <T>(items: T[], index: number): T | undefined =>
  items[index % (items.length || 1)];
const instant = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const shiftIso = (value: string, ms: number) => instant(Date.parse(value) + ms);
const shiftDate = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);

function datesOf(shape: Shape, day: number, hour: number) {
  const start = FIRST_DAY + day * DAY + hour * 3_600_000;
  switch (shape) {
    case 'timed':
      return { startDate: instant(start), dueDate: instant(start + 90 * 60_000) };
    case 'due':
      return { dueDate: instant(start), estimatedDuration: 45 };
    case 'allDay':
      return { dueDate: instant(start).slice(0, 10) };
    case 'undated':
      return {};
  }
}

function moved(task: Task, days: number) {
  const move = (value: string | null) =>
    value === null
      ? null
      : value.length === 10
        ? shiftDate(value, days)
        : shiftIso(value, days * DAY);
  if (!task.startDate && !task.dueDate) return datesOf('timed', 5 + days, 9);
  return { startDate: move(task.startDate), dueDate: move(task.dueDate) };
}

function movedEvent(event: ProviderEvent, hours: number): EventInput {
  if ('date' in event.start && 'date' in event.end) {
    const days = Math.sign(hours) * Math.ceil(Math.abs(hours) / 24);
    return {
      ...event,
      start: { date: shiftDate(event.start.date, days) },
      end: { date: shiftDate(event.end.date, days) },
    };
  }
  const shift = (time: EventInput['start']) =>
    'dateTime' in time ? { ...time, dateTime: shiftIso(time.dateTime, hours * 3_600_000) } : time;
  return { ...event, start: shift(event.start), end: shift(event.end) };
}

function applyUserOp(world: World, op: Exclude<Op, { kind: 'sync' }>): void {
  const tasks = world.tasks();
  const alive = tasks.filter((task) => !task.deletedAt);
  const trashed = tasks.filter((task) => task.deletedAt);
  const events = world.calendar.list();
  // A side counts as written when its content differs from the pair's last agreed content; a
  // write back to that content is no change, whatever the timestamps say.
  const note = (taskId: string, side: 'task' | 'event', print: string, write: Write) => {
    const entry = world.pending.get(taskId) ?? {};
    if (print !== world.base.get(taskId)?.[side]) entry[side] = write;
    else delete entry[side];
    world.pending.set(taskId, entry);
  };
  const noteTask = (id: string) => {
    const task = world.task(id);
    if (task) note(id, 'task', taskPrint(task), { at: task.updatedAt, title: task.title });
  };
  const noteEvent = (event: ProviderEvent | null) => {
    const owner = event && world.ownerOf(event);
    if (event && owner) {
      note(owner, 'event', eventPrint(event), { at: event.updatedAt, title: event.summary });
    }
  };
  world.tick();
  switch (op.kind) {
    case 'createTask': {
      const task = createTask(
        world.docs,
        { title: op.title, ...datesOf(op.shape, op.day, op.hour) },
        world.ctx,
      );
      noteTask(task.id);
      return;
    }
    case 'renameTask': {
      const task = pickFrom(alive, op.pick);
      if (!task) return;
      updateTask(
        world.docs,
        task.id,
        { title: `${op.title} ${world.tick().slice(11, 16)}` },
        world.ctx,
      );
      noteTask(task.id);
      return;
    }
    case 'moveTask':
    case 'undateTask': {
      const task = pickFrom(alive, op.pick);
      if (!task) return;
      const patch =
        op.kind === 'moveTask' ? moved(task, op.days) : { startDate: null, dueDate: null };
      updateTask(world.docs, task.id, patch, world.ctx);
      if (op.kind === 'undateTask') world.isUnmodelled.add(task.id);
      noteTask(task.id);
      return;
    }
    case 'trashTask': {
      const task = pickFrom(alive, op.pick);
      if (!task) return;
      deleteTask(world.docs, task.id, world.ctx);
      world.isUnmodelled.add(task.id);
      return;
    }
    case 'restoreTask': {
      const task = pickFrom(trashed, op.pick);
      if (!task) return;
      restoreTask(world.docs, task.id, world.ctx);
      world.isUnmodelled.add(task.id);
      return;
    }
    case 'purgeTask': {
      const task = pickFrom(trashed, op.pick);
      if (!task) return;
      purgeTask(world.docs, task.id);
      world.pending.delete(task.id);
      return;
    }
    case 'createEvent': {
      const day = new Date(FIRST_DAY + op.day * DAY).toISOString().slice(0, 10);
      const times = op.allDay
        ? { start: { date: day }, end: { date: shiftDate(day, 1) } }
        : {
            start: { dateTime: `${day}T12:00:00Z`, timeZone: TZ },
            end: { dateTime: `${day}T13:30:00Z`, timeZone: TZ },
          };
      const summary = op.isCandidate ? `#task ${op.title}` : op.title;
      const event = world.calendar.userCreate({
        summary,
        description: '',
        ...times,
        recurrence: null,
        exceptions: [],
        taskId: null,
        priority: null,
      });
      world.foreignIds.add(event.id);
      return;
    }
    case 'renameEvent': {
      const event = pickFrom(events, op.pick);
      if (!event) return;
      const summary = `${event.summary.startsWith('#task') ? '#task ' : ''}${op.title} ${world.tick().slice(11, 16)}`;
      noteEvent(world.calendar.userUpdate(event.id, (current) => ({ ...current, summary })));
      return;
    }
    case 'moveEvent': {
      const event = pickFrom(events, op.pick);
      if (!event) return;
      noteEvent(world.calendar.userUpdate(event.id, (current) => movedEvent(current, op.hours)));
      return;
    }
    case 'deleteEvent': {
      const event = pickFrom(events, op.pick);
      if (event) world.calendar.drop(event.id);
      return;
    }
    case 'deleteManyEvents':
      for (const event of events.slice(0, 6)) world.calendar.drop(event.id);
      return;
  }
}

// ---- the effects, as the bridge would apply them -----------------------------------------------

function setCalendarEventId(world: World, taskId: string, eventId: string | null): void {
  const task = world.task(taskId);
  if (!task || task.deletedAt || task.calendarEventId === eventId) return;
  world.tick();
  updateTask(world.docs, taskId, { calendarEventId: eventId }, world.ctx);
}

function unlink(world: World, pending: Status, taskId: string): void {
  setCalendarEventId(world, taskId, null);
  pending.links.delete(taskId);
  pending.detached.add(taskId);
}

function isProviderRefusal(error: unknown): boolean {
  return error instanceof PreconditionFailedError || error instanceof ProviderRequestError;
}

/** The task an action is about, if any: when one of its actions fails, the rest are skipped. */
function taskOf(action: SyncAction): string | null {
  if (action.type === 'saveLink') return action.link.taskId;
  return 'taskId' in action ? action.taskId : null;
}

/** Applies an action; false when the provider refused it. */
function applyAction(world: World, action: SyncAction, pending: Status): boolean {
  switch (action.type) {
    case 'skipMassDeletion':
      return true;
    case 'notifyConflict':
      world.tick();
      addInboxItem(
        world.docs,
        {
          id: action.id,
          kind: 'calendar-conflict',
          title: 'Calendar conflict',
          payload: action.losing,
        },
        world.ctx,
      );
      return true;
    case 'restoreTask':
      if (world.task(action.taskId)?.deletedAt) {
        world.tick();
        restoreTask(world.docs, action.taskId, world.ctx);
      }
      return true;
    case 'createTask':
      if (world.task(action.taskId)) return true;
      world.tick();
      createTask(
        world.docs,
        {
          ...action.patch,
          title: action.patch.title ?? 'Untitled event',
          id: action.taskId,
          calendarEventId: action.eventId,
        },
        world.ctx,
      );
      return true;
    case 'updateTask': {
      const task = world.task(action.taskId);
      if (!task || task.deletedAt) return true;
      world.tick();
      updateTask(world.docs, action.taskId, action.patch, world.ctx);
      return true;
    }
    case 'unlinkTask':
      unlink(world, pending, action.taskId);
      return true;
    case 'createEvent': {
      let written: ProviderEvent;
      try {
        written = world.calendar.create(action.input, action.key);
      } catch (error) {
        if (!isProviderRefusal(error)) throw error;
        // The user deleted the event this key created (between a crash and now): rule 6.
        unlink(world, pending, action.taskId);
        return false;
      }
      const link = linkAfterWrite(action, written);
      if (!link) return false; // An earlier attempt's event, edited since: the next pull adopts it.
      pending.links.set(action.taskId, link);
      setCalendarEventId(world, action.taskId, written.id);
      return true;
    }
    case 'updateEvent': {
      let written: ProviderEvent;
      try {
        written = world.calendar.update(action.eventId, action.input, action.etag);
      } catch (error) {
        // Changed or deleted since the pull: the next pull reports it, the next plan decides.
        if (!isProviderRefusal(error)) throw error;
        return false;
      }
      const link = linkAfterWrite(action, written);
      if (link) pending.links.set(action.taskId, link);
      setCalendarEventId(world, action.taskId, written.id);
      return true;
    }
    case 'deleteEvent':
      try {
        world.calendar.remove(action.eventId, action.etag);
      } catch (error) {
        if (!isProviderRefusal(error)) throw error;
        return false;
      }
      return true;
    case 'mirrorEvent':
      world.mirror.set(action.event.id, action.event);
      return true;
    case 'unmirrorEvent':
      world.mirror.delete(action.eventId);
      return true;
    case 'saveLink':
      pending.links.set(action.link.taskId, action.link);
      if (action.link.taskHash !== PURGED_TASK_HASH) {
        setCalendarEventId(world, action.link.taskId, action.link.eventId);
      }
      return true;
    case 'dropLink':
      pending.links.delete(action.taskId);
      pending.detached.delete(action.taskId);
      return true;
  }
}

interface CycleOptions {
  crashAt?: number | null;
  resetCursor?: boolean;
  outage?: boolean;
  allowMassDeletion?: boolean;
}

function plan(
  world: World,
  eventChanges: { changed: ProviderEvent[]; deleted: string[]; full: boolean },
  allow = false,
) {
  return planSync({
    connectionId: CONNECTION,
    links: [...world.status.links.values()],
    detachedTaskIds: [...world.status.detached],
    tasks: world.tasks(),
    eventChanges,
    mirroredEventIds: [...world.mirror.keys()],
    options: {
      timezone: TZ,
      syncDeleteEnabled: world.syncDeleteEnabled,
      eventToTaskCriterion: isCandidate,
      window: WINDOW,
      now: new Date(BASE).toISOString(),
      allowMassDeletion: allow,
    },
  });
}

function syncCycle(world: World, options: CycleOptions = {}): SyncAction[] {
  const pulled = options.outage
    ? { changed: [], deleted: [], full: true, cursor: null }
    : world.calendar.pull(options.resetCursor ? null : world.status.cursor);
  const actions = plan(world, pulled, options.allowMassDeletion ?? false);
  const isHeld = actions.some((action) => action.type === 'skipMassDeletion');
  if (actions.some((action) => action.type === 'skipMassDeletion' && action.side === 'events')) {
    // Held deletions: nothing unlinked, nothing unmirrored.
    expect(actions.filter((a) => a.type === 'unlinkTask' || a.type === 'unmirrorEvent')).toEqual(
      [],
    );
  }
  if (options.outage) {
    // A calendar that suddenly lists nothing unlinks and unmirrors nothing.
    expect(actions.filter((a) => a.type === 'unlinkTask' || a.type === 'unmirrorEvent')).toEqual(
      [],
    );
  }

  const before = world.tasks().map((task) => task.id);
  const pending: Status = {
    links: new Map(world.status.links),
    detached: new Set(world.status.detached),
    cursor: world.status.cursor,
  };
  const crashAt = options.crashAt ?? null;
  const applied =
    crashAt === null ? actions : actions.slice(0, Math.floor(crashAt * actions.length));
  const failed = new Set<string>();
  for (const action of applied) {
    const taskId = taskOf(action);
    if (taskId !== null && failed.has(taskId)) continue;
    if (!applyAction(world, action, pending) && taskId !== null) failed.add(taskId);
  }
  // The sync never deletes a task, whatever it was told.
  const after = new Set(world.tasks().map((task) => task.id));
  expect(before.filter((id) => !after.has(id))).toEqual([]);

  if (crashAt !== null) return actions; // The status table and the cursor are lost.
  // After a held deletion the cursor stays, so the next pull reports the deletions again.
  const cursor = isHeld || pulled.cursor === null ? world.status.cursor : pulled.cursor;
  world.status = { links: pending.links, detached: pending.detached, cursor };
  resolvePairs(world);
  return actions;
}

/** After a committed sync: every pair it made agree carries the last write of either side. */
function resolvePairs(world: World): void {
  for (const link of world.status.links.values()) {
    const task = world.task(link.taskId);
    const event = world.calendar.get(link.eventId);
    if (!task || task.deletedAt || !event || !taskToEvent(task, TZ)) continue;
    const agrees =
      task.title === event.summary && Object.keys(eventToTaskPatch(event, task, TZ)).length === 0;
    if (!agrees) continue;
    const { task: taskWrite, event: eventWrite } = world.pending.get(task.id) ?? {};
    const last =
      taskWrite && eventWrite
        ? Date.parse(taskWrite.at) >= Date.parse(eventWrite.at)
          ? taskWrite
          : eventWrite
        : (taskWrite ?? eventWrite);
    if (last && !world.isUnmodelled.has(task.id))
      expect(task.title, `pair of ${task.id}`).toBe(last.title);
    world.base.set(task.id, { task: taskPrint(task), event: eventPrint(event) });
    world.pending.delete(task.id);
  }
}

// ---- what must hold once both sides are quiet -------------------------------------------------

function checkConverged(world: World): void {
  const tasks = new Map(world.tasks().map((task) => [task.id, task]));
  const links = [...world.status.links.values()];
  expect(new Set(links.map((link) => link.eventId)).size).toBe(links.length);

  for (const link of links) {
    const event = world.calendar.get(link.eventId);
    const task = tasks.get(link.taskId);
    if (link.taskHash === EVENT_DELETED_TASK_HASH) {
      // Rule 3 deleted the event of a task in the trash; the row waits for it to come back dated.
      expect(event).toBeNull();
      const form = task && !task.deletedAt ? taskToEvent(task, TZ) : null;
      expect(form && overlapsWindow(form, WINDOW)).toBeFalsy();
      continue;
    }
    // Links describe what is there.
    expect(event, `event of ${link.taskId}`).not.toBeNull();
    if (!event) continue;
    expect(link.eventEtag).toBe(event.etag);
    expect(link.eventHash).toBe(eventHash(event));
    expect([null, link.taskId]).toContain(event.taskId);
    if (link.taskHash === PURGED_TASK_HASH) {
      expect(task).toBeUndefined();
      expect(world.syncDeleteEnabled).toBe(false);
      continue;
    }
    expect(task, `task ${link.taskId}`).toBeDefined();
    if (!task || task.deletedAt) {
      expect(world.syncDeleteEnabled).toBe(false);
      continue;
    }
    expect(task.calendarEventId).toBe(link.eventId);
    // An undated task's link catches up only when a pull shows its event (see pushTask).
    if (!taskToEvent(task, TZ)) continue;
    expect(link.taskHash).toBe(taskHash(task, TZ));
    // Both sides show the same thing: the last write of either side.
    expect(eventToTaskPatch(event, task, TZ)).toEqual({});
    expect(task.title).toBe(event.summary);
    expect(world.pending.get(task.id) ?? {}).toEqual({});
  }

  const linkedTasks = new Set(links.map((link) => link.taskId));
  for (const task of tasks.values()) {
    const form = taskToEvent(task, TZ);
    const isDetached = world.status.detached.has(task.id);
    // One event per dated task: linked, unless rule 6 took it off the calendar.
    if (!task.deletedAt && form && overlapsWindow(form, WINDOW) && !isDetached) {
      expect(linkedTasks.has(task.id), `task ${task.id} linked`).toBe(true);
    }
    if (isDetached) expect(linkedTasks.has(task.id)).toBe(false);
    // No duplicates: at most one event carries a task's marker.
    const marked = world.calendar.list().filter((event) => event.taskId === task.id);
    expect(marked.length, `events of ${task.id}`).toBeLessThanOrEqual(1);
  }

  const linkedEvents = new Map(links.map((link) => [link.eventId, link]));
  for (const id of world.mirror.keys()) {
    // Mirrors are of events that are there, and not shown as a task already.
    expect(world.calendar.get(id), `mirrored ${id}`).not.toBeNull();
    const link = linkedEvents.get(id);
    if (link) expect(link.taskHash).toBe(PURGED_TASK_HASH);
  }
  for (const id of world.foreignIds) {
    const event = world.calendar.get(id);
    if (!event || linkedEvents.has(id) || tasks.has(taskIdForEvent(CONNECTION, id))) continue;
    expect(world.mirror.has(id), `foreign ${id} mirrored`).toBe(true);
  }
}

describe('calendar sync model (vdirsyncer SyncMachine)', () => {
  it('converges with no duplicate, no lost edit and consistent links, through crashes and outages', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(opArb, { minLength: 5, maxLength: 60, size: 'max' }),
        (syncDelete, ops) => {
          const world = new World(syncDelete);
          for (const op of ops) {
            if (op.kind === 'sync') syncCycle(world, op);
            else applyUserOp(world, op);
          }
          // Quiet: the user confirms any held deletion; cycles run until there is nothing to do.
          let actions: SyncAction[] = [];
          for (let round = 0; round < 6; round += 1) {
            actions = syncCycle(world, { allowMassDeletion: true });
            if (actions.length === 0) break;
          }
          expect(actions).toEqual([]);
          checkConverged(world);
          // A full listing afterwards has nothing to change but refreshing mirrors (and recording
          // undated tasks against their event, which it shows).
          const full = plan(world, { changed: world.calendar.list(), deleted: [], full: true });
          const isUndated = (id: string) => {
            const task = world.task(id);
            return task !== null && taskToEvent(task, TZ) === null;
          };
          const changes = full.filter(
            (action) =>
              action.type !== 'mirrorEvent' &&
              !(action.type === 'saveLink' && isUndated(action.link.taskId)),
          );
          expect(changes).toEqual([]);
        },
      ),
      { numRuns: 500 },
    );
  });
});
