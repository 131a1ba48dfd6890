import {
  addDays,
  addPinnedBlock,
  type CalendarEvent,
  daysBetween,
  getSettings,
  getTimezone,
  isDateOnly,
  isOpen,
  type LocalDay,
  listBlocksBetween,
  listCalendarEvents,
  listTimeEntries,
  localDateTimeToInstant,
  localDay,
  localDays,
  monthsForRange,
  moveBlock,
  planAndApplySchedule,
  type TaskBlock,
  type TimeEntry,
  toIso,
  type UnscheduledTask,
  updateTask,
  WEEKDAYS,
} from '@tasks/crdt';
import { DateTime } from 'luxon';
import { createEffect, createMemo, createSignal, For, onCleanup, Show, untrack } from 'solid-js';
import {
  type BlockTimes,
  moveBlockToDay,
  moveBlockToInstant,
  resizeBlockToInstant,
} from '../calendar/block-moves.js';
import {
  CalendarDay,
  type DateField,
  type DayItems,
  type DayTask,
  dayLabel,
  type GridHours,
  LOCALE,
  localTime,
} from '../calendar/calendar-day.js';
import {
  CALENDAR_MODES,
  type CalendarMode,
  offsetShowing,
  periodDays,
} from '../calendar/calendar-periods.js';
import { MonthGrid } from '../calendar/month-grid.js';
import { UnplannedTaskItem } from '../calendar/unplanned-task-item.js';
import { useWorkspace } from '../workspace-context.js';

/** `13–19 October 2025`, `29 September – 5 October 2025`, `29 December 2025 – 4 January 2026`. */
function weekRangeLabel(first: string, last: string): string {
  const a = DateTime.fromISO(first, { zone: 'UTC' }).setLocale(LOCALE);
  const b = DateTime.fromISO(last, { zone: 'UTC' }).setLocale(LOCALE);
  if (a.year !== b.year) return `${a.toFormat('d LLLL yyyy')} – ${b.toFormat('d LLLL yyyy')}`;
  if (a.month !== b.month) return `${a.toFormat('d LLLL')} – ${b.toFormat('d LLLL yyyy')}`;
  return `${a.toFormat('d')}–${b.toFormat('d LLLL yyyy')}`;
}

/**
 * `value` moved to the local date `date`: a date stays a date; a datetime keeps its time of day
 * in the user's zone.
 */
function moveToDay(value: string, date: string, timezone: string): string {
  if (isDateOnly(value)) return date;
  const local = DateTime.fromISO(value, { zone: 'utc' }).setZone(timezone);
  const target = DateTime.fromISO(date, { zone: 'UTC' });
  const moved = local.set({ year: target.year, month: target.month, day: target.day });
  return moved.toUTC().toISO({ suppressMilliseconds: true }) ?? value;
}

/** The ISO dates an instant range could touch in any zone: a cheap pre-filter before luxon. */
function widen(first: string, last: string): { low: string; high: string } {
  return { low: addDays(first, -1), high: addDays(last, 1) };
}

/**
 * Hands back the previous object for an unchanged key, so `<For>` keeps its DOM (and a drag in
 * progress survives) when unrelated changes arrive.
 */
function createReuse<T>() {
  let previous = new Map<string, T>();
  let current = new Map<string, T>();
  return {
    get(key: string, make: () => T): T {
      const item = previous.get(key) ?? make();
      current.set(key, item);
      return item;
    },
    done(): void {
      previous = current;
      current = new Map();
    },
  };
}

const UNITS: Record<CalendarMode, { label: string; current: string }> = {
  day: { label: 'day', current: 'Today' },
  week: { label: 'week', current: 'This week' },
  month: { label: 'month', current: 'This month' },
};

/**
 * A day, a week or a month of tasks, planned blocks, time entries and mirrored calendar events,
 * in the user's time zone: days and weeks on an hour grid, months as a list per day.
 */
export function CalendarView() {
  const ws = useWorkspace();
  const [mode, setModeSignal] = createSignal<CalendarMode>('week');
  const [offset, setOffset] = createSignal(0);
  // Another view keeps the first day shown in sight (the week of a day, the month of a week).
  const setMode = (next: CalendarMode) => {
    const shown = untrack(days)[0]?.date ?? untrack(today);
    const start = WEEKDAYS.indexOf(untrack(weekStart)) + 1;
    setModeSignal(next);
    setOffset(offsetShowing(next, untrack(today), shown, start));
  };

  const timezone = createMemo(() => {
    ws.replica.version();
    return getTimezone(ws.docs);
  });
  const weekStart = createMemo(() => {
    ws.replica.version();
    return getSettings(ws.docs).weekStart;
  });
  const today = createMemo(
    () => DateTime.fromJSDate(ws.now()).setZone(timezone()).toISODate() ?? '',
  );
  const period = createMemo(() =>
    periodDays(mode(), today(), offset(), WEEKDAYS.indexOf(weekStart()) + 1),
  );
  const days = createMemo<readonly LocalDay[]>(() =>
    localDays(period().first, period().last, timezone()),
  );
  const range = createMemo(() => {
    const week = days();
    return {
      from: new Date((week[0]?.start ?? 0) * 1000),
      to: new Date((week[week.length - 1]?.end ?? 0) * 1000),
    };
  });
  const rangeKey = () => `${range().from.getTime()}-${range().to.getTime()}`;

  // Month documents of the week's entries are loaded before they are read. (Not re-run on
  // document changes: loading itself bumps the version.)
  const [loadedKey, setLoadedKey] = createSignal<string | null>(null);
  createEffect(() => {
    const { from, to } = range();
    const key = rangeKey();
    let current = true;
    void ws.replica.ensureMonths(monthsForRange(from, to)).then(() => {
      if (current) setLoadedKey(key);
    });
    onCleanup(() => {
      current = false;
    });
  });

  const entryReuse = createReuse<TimeEntry>();
  const entries = createMemo<TimeEntry[]>(() => {
    ws.replica.version();
    if (loadedKey() !== rangeKey()) return [];
    const list = listTimeEntries(ws.docs, range()).map((entry) =>
      entryReuse.get(JSON.stringify(entry), () => entry),
    );
    entryReuse.done();
    return list;
  });
  const eventReuse = createReuse<CalendarEvent>();
  const events = createMemo<CalendarEvent[]>(() => {
    ws.replica.version();
    const list = listCalendarEvents(ws.docs, range()).map((event) =>
      eventReuse.get(JSON.stringify(event), () => event),
    );
    eventReuse.done();
    return list;
  });

  const blockReuse = createReuse<TaskBlock>();
  const blocks = createMemo<TaskBlock[]>(() => {
    ws.replica.version();
    const list = listBlocksBetween(ws.docs, range())
      .filter((block) => {
        const task = ws.tasks[block.taskId];
        return task !== undefined && task.deletedAt === null;
      })
      .map((block) => blockReuse.get(JSON.stringify(block), () => block));
    blockReuse.done();
    return list;
  });

  const taskReuse = createReuse<DayTask>();
  const dayTasks = createMemo(() => {
    const week = days();
    const zone = timezone();
    const first = week[0]?.date ?? '';
    const last = week[week.length - 1]?.date ?? '';
    const { low, high } = widen(first, last);
    const byDay = new Map<string, DayTask[]>(week.map((day) => [day.date, []]));
    for (const task of Object.values(ws.tasks)) {
      if (task.deletedAt !== null) continue;
      const field: DateField | null = task.dueDate
        ? 'dueDate'
        : task.startDate
          ? 'startDate'
          : null;
      if (!field) continue;
      const value = task[field];
      if (!value) continue;
      const utcDay = value.slice(0, 10);
      if (utcDay < low || utcDay > high) continue;
      const list = byDay.get(localDay(value, zone));
      if (!list) continue;
      list.push(
        taskReuse.get(`${task.id}|${field}|${value}|${zone}`, () => {
          const allDay = isDateOnly(value);
          return { task, field, value, allDay, time: allDay ? '' : localTime(value, zone) };
        }),
      );
    }
    taskReuse.done();
    for (const list of byDay.values()) {
      list.sort(
        (a, b) =>
          Number(!a.allDay) - Number(!b.allDay) ||
          a.value.localeCompare(b.value) ||
          a.task.title.localeCompare(b.task.title),
      );
    }
    return byDay;
  });

  const itemsByDay = createMemo(() => {
    const week = days();
    const allEntries = entries();
    const allEvents = events();
    const nowMs = untrack(ws.now).getTime();
    const result = new Map<string, DayItems>();
    for (const day of week) {
      const start = day.start * 1000;
      const end = day.end * 1000;
      result.set(day.date, {
        tasks: dayTasks().get(day.date) ?? [],
        blocks: blocks().filter((block) => {
          const at = Date.parse(block.start);
          return at >= start && at < end;
        }),
        entries: allEntries.filter((entry) => {
          const from = Date.parse(entry.start);
          const to = entry.end === null ? Math.max(nowMs, from) : Date.parse(entry.end);
          return from < end && (to > start || (to === from && from >= start));
        }),
        events: allEvents.filter((event) => {
          if (event.allDay) {
            const first = event.start.slice(0, 10);
            const last = addDays(event.end.slice(0, 10), -1);
            if (last < first) return day.date === first;
            return day.date >= first && day.date <= last;
          }
          return Date.parse(event.start) < end && Date.parse(event.end) > start;
        }),
      });
    }
    return result;
  });

  const moveTask = (id: string, field: DateField, date: string) => {
    const task = ws.tasks[id];
    if (!task || task.deletedAt !== null) return;
    const value = task[field];
    if (!value) return;
    const zone = timezone();
    if (localDay(value, zone) === date) return;
    const next = moveToDay(value, date, zone);
    ws.act(() =>
      updateTask(
        ws.docs,
        id,
        field === 'dueDate' ? { dueDate: next } : { startDate: next },
        ws.ctx,
      ),
    );
  };

  const periodLabel = () => {
    const first = days()[0]?.date ?? '';
    if (mode() === 'day') return dayLabel(first);
    if (mode() === 'month') {
      return DateTime.fromISO(`${period().month}-01`, { zone: 'UTC' })
        .setLocale(LOCALE)
        .toFormat('LLLL yyyy');
    }
    return weekRangeLabel(first, days()[days().length - 1]?.date ?? '');
  };

  // What the last plan could not place, and why (until the next plan or another week).
  const [unscheduled, setUnscheduled] = createSignal<UnscheduledTask[]>([]);
  createEffect(() => {
    rangeKey();
    setUnscheduled([]);
  });
  const planWeek = () => {
    const plan = ws.act(() => planAndApplySchedule(ws.docs, ws.ctx, range()));
    if (!plan) return;
    setUnscheduled(plan.unscheduled);
    const placed = plan.blocks.filter((block) => block.status === 'new').length;
    ws.notify(
      `Planned ${placed} new block${placed === 1 ? '' : 's'}` +
        (plan.unscheduled.length > 0 ? `; ${plan.unscheduled.length} not planned` : ''),
    );
  };
  const moveBlockTo = (block: { taskId: string; id: string }, times: BlockTimes) =>
    ws.act(() => moveBlock(ws.docs, block.taskId, block.id, times));
  const dropBlock = (taskId: string, blockId: string, date: string, at?: number) => {
    const block = blocks().find((b) => b.id === blockId && b.taskId === taskId);
    if (!block) return;
    moveBlockTo(
      block,
      at === undefined ? moveBlockToDay(block, date, timezone()) : moveBlockToInstant(block, at),
    );
  };
  const resizeBlockTo = (taskId: string, blockId: string, at: number) => {
    const block = blocks().find((b) => b.id === blockId && b.taskId === taskId);
    if (block) moveBlockTo(block, resizeBlockToInstant(block, at));
  };
  // A task dropped on the grid (or given a start) gets a pinned block there, as long as its
  // estimate (at most 8 hours; the planner places the rest around it).
  const placeTask = (taskId: string, at: number) => {
    const minutes = Math.min(8 * 60, Math.max(15, ws.tasks[taskId]?.estimatedDuration ?? 60));
    const placed = ws.act(() =>
      addPinnedBlock(
        ws.docs,
        taskId,
        { start: toIso(new Date(at)), end: toIso(new Date(at + minutes * 60_000)) },
        ws.ctx,
      ),
    );
    if (placed) setUnscheduled((items) => items.filter((item) => item.taskId !== taskId));
  };
  // Open tasks with an estimate and no block in the period (nor left out by the last plan), to
  // drag onto the grid: the list the "drag a task from a list" starts from.
  const toPlace = createMemo(() => {
    const planned = new Set(blocks().map((block) => block.taskId));
    const left = new Set(unscheduled().map((item) => item.taskId));
    return Object.values(ws.tasks)
      .filter(
        (task) =>
          task.deletedAt === null &&
          isOpen(task) &&
          (task.estimatedDuration ?? 0) > 0 &&
          !planned.has(task.id) &&
          !left.has(task.id),
      )
      .sort((a, b) => a.title.localeCompare(b.title) || a.id.localeCompare(b.id))
      .slice(0, 50);
  });
  /** The keyboard's way: a wall-clock start (`2026-12-08T14:00`) typed in a list. */
  const placeTaskAt = (taskId: string, local: string) => {
    const start = localDateTimeToInstant(local, timezone());
    if (start !== null) placeTask(taskId, Date.parse(start));
  };
  // The grid shows the working hours of the week and whatever timed item lies outside them.
  const gridHours = createMemo<GridHours>(() => {
    ws.replica.version();
    const zone = timezone();
    let first = 24;
    let last = 0;
    for (const ranges of Object.values(getSettings(ws.docs).workingHours)) {
      for (const range of ranges) {
        first = Math.min(first, Number(range.start.slice(0, 2)));
        last = Math.max(
          last,
          Math.ceil(Number(range.end.slice(0, 2)) + Number(range.end.slice(3)) / 60),
        );
      }
    }
    if (first >= last) [first, last] = [8, 18];
    const timed = [
      ...events().filter((event) => !event.allDay),
      ...blocks(),
      ...entries().filter((entry) => entry.end !== null),
    ] as { start: string; end: string | null }[];
    for (const item of timed) {
      const start = Date.parse(item.start);
      const end = Date.parse(item.end ?? item.start);
      if (end - start >= 86_400_000) return { first: 0, last: 24 };
      const startHour = localHour(start, zone);
      const endHour = localHour(end - 1, zone) + 1;
      if (endHour <= startHour) return { first: 0, last: 24 };
      first = Math.min(first, startHour);
      last = Math.max(last, endHour);
    }
    for (const list of dayTasks().values()) {
      for (const item of list) {
        if (item.allDay) continue;
        const hour = localHour(Date.parse(item.value), zone);
        first = Math.min(first, hour);
        last = Math.max(last, hour + 1);
      }
    }
    return { first, last: Math.min(24, last) };
  });

  return (
    <>
      <header class="view-header">
        <h1>{periodLabel()}</h1>
        <div class="row">
          <button type="button" class="primary" onClick={planWeek}>
            {blocks().length > 0 ? 'Re-plan' : `Plan my ${UNITS[mode()].label}`}
          </button>
          <button type="button" onClick={() => setOffset((n) => n - 1)}>
            Previous {UNITS[mode()].label}
          </button>
          <button type="button" onClick={() => setOffset(0)}>
            {UNITS[mode()].current}
          </button>
          <button type="button" onClick={() => setOffset((n) => n + 1)}>
            Next {UNITS[mode()].label}
          </button>
          <For each={CALENDAR_MODES}>
            {(each) => (
              <button type="button" aria-pressed={mode() === each} onClick={() => setMode(each)}>
                {each[0]?.toUpperCase()}
                {each.slice(1)}
              </button>
            )}
          </For>
        </div>
      </header>
      <Show when={mode() === 'month'}>
        <MonthGrid
          days={days()}
          month={period().month ?? ''}
          today={today()}
          timezone={timezone()}
          items={(date) => {
            const items = itemsByDay().get(date);
            return {
              events: items?.events ?? [],
              blocks: items?.blocks ?? [],
              tasks: (items?.tasks ?? []).map((item) => ({
                id: item.task.id,
                title: item.task.title,
              })),
            };
          }}
          taskTitle={(id) => ws.tasks[id]?.title ?? 'Task'}
          onOpenDay={(date) => {
            setModeSignal('day');
            setOffset(daysBetween(today(), date));
          }}
        />
      </Show>
      <div
        class="week"
        style={{
          display: mode() === 'month' ? 'none' : undefined,
          'grid-template-columns': mode() === 'day' ? 'minmax(110px, 1fr)' : undefined,
        }}
      >
        <For each={mode() === 'month' ? [] : days()}>
          {(day) => (
            <CalendarDay
              day={day}
              isToday={day.date === today()}
              items={
                itemsByDay().get(day.date) ?? { tasks: [], entries: [], events: [], blocks: [] }
              }
              timezone={timezone()}
              now={ws.now()}
              taskTitle={(id) => ws.tasks[id]?.title ?? null}
              onOpen={(id) => ws.openTask(id)}
              onDropTask={(id, field) => moveTask(id, field, day.date)}
              onDropBlock={(taskId, blockId, at) => dropBlock(taskId, blockId, day.date, at)}
              onPlaceTask={placeTask}
              onResizeBlock={resizeBlockTo}
              onMoveBlock={moveBlockTo}
              hours={gridHours()}
            />
          )}
        </For>
      </div>
      <Show when={unscheduled().length > 0}>
        <section aria-labelledby="unscheduled-title">
          <h2 id="unscheduled-title">Not planned</h2>
          <ul aria-label="Not planned">
            <For each={unscheduled()}>
              {(item) => (
                <UnplannedTaskItem
                  taskId={item.taskId}
                  note={item.reason}
                  title={ws.tasks[item.taskId]?.title ?? 'Task'}
                  onOpen={() => ws.openTask(item.taskId)}
                  onPlace={(local) => placeTaskAt(item.taskId, local)}
                />
              )}
            </For>
          </ul>
        </section>
      </Show>
      <Show when={mode() !== 'month' && toPlace().length > 0}>
        <section aria-labelledby="to-place-title">
          <h2 id="to-place-title">Tasks to place</h2>
          <ul aria-label="Tasks to place">
            <For each={toPlace()}>
              {(task) => (
                <UnplannedTaskItem
                  taskId={task.id}
                  note={`${formatMinutes(task.estimatedDuration ?? 0)}, no block this ${UNITS[mode()].label}`}
                  title={task.title}
                  onOpen={() => ws.openTask(task.id)}
                  onPlace={(local) => placeTaskAt(task.id, local)}
                />
              )}
            </For>
          </ul>
        </section>
      </Show>
    </>
  );
}

/** `45 min`, `2 h`, `1 h 30 min`. */
function formatMinutes(minutes: number): string {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${rest} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** The local hour (0-23) of an instant in a zone. */
function localHour(instant: number, zone: string): number {
  return DateTime.fromMillis(instant, { zone }).hour;
}
