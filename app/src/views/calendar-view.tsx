import {
  addDays,
  addPinnedBlock,
  type CalendarEvent,
  daysBetween,
  entryDurationSeconds,
  getSettings,
  getTimezone,
  isDateOnly,
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
  type Task,
  type TaskBlock,
  type TimeEntry,
  toIso,
  type UnscheduledTask,
  updateTask,
  WEEKDAYS,
} from '@tasks/crdt';
import { DateTime } from 'luxon';
import { createEffect, createMemo, createSignal, For, onCleanup, Show, untrack } from 'solid-js';
import { type BlockTimes, moveBlockToDay, moveBlockToInstant } from '../calendar/block-moves.js';
import {
  CALENDAR_MODES,
  type CalendarMode,
  offsetShowing,
  periodDays,
} from '../calendar/calendar-periods.js';
import { type GridItem, layoutHourGrid } from '../calendar/hour-grid.js';
import { MonthGrid } from '../calendar/month-grid.js';
import {
  BLOCK_DRAG_TYPE,
  PlannedBlockCard,
  parseBlockDrag,
} from '../calendar/planned-block-card.js';
import { UNPLANNED_DRAG_TYPE, UnplannedTaskItem } from '../calendar/unplanned-task-item.js';
import { useWorkspace } from '../workspace-context.js';

/** The MIME type a dragged calendar task carries: `{ id, field }` as JSON. */
const CALENDAR_DRAG_TYPE = 'application/x-calendar-task';

type DateField = 'dueDate' | 'startDate';

/** A task placed on a day: by its due date, or by its start date when it has no due date. */
interface DayTask {
  task: Task;
  field: DateField;
  value: string;
  allDay: boolean;
  /** Local `HH:mm` of a timed value; empty for all-day. */
  time: string;
}

interface DayItems {
  tasks: DayTask[];
  entries: TimeEntry[];
  events: CalendarEvent[];
  blocks: TaskBlock[];
}

const LOCALE = 'en-GB';

function dayLabel(date: string): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).setLocale(LOCALE).toFormat('cccc d LLLL');
}

function shortDayLabel(date: string): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).setLocale(LOCALE).toFormat('ccc d');
}

/** `13–19 October 2025`, `29 September – 5 October 2025`, `29 December 2025 – 4 January 2026`. */
function weekRangeLabel(first: string, last: string): string {
  const a = DateTime.fromISO(first, { zone: 'UTC' }).setLocale(LOCALE);
  const b = DateTime.fromISO(last, { zone: 'UTC' }).setLocale(LOCALE);
  if (a.year !== b.year) return `${a.toFormat('d LLLL yyyy')} – ${b.toFormat('d LLLL yyyy')}`;
  if (a.month !== b.month) return `${a.toFormat('d LLLL')} – ${b.toFormat('d LLLL yyyy')}`;
  return `${a.toFormat('d')}–${b.toFormat('d LLLL yyyy')}`;
}

function localTime(instant: string, timezone: string): string {
  return DateTime.fromISO(instant, { zone: 'utc' }).setZone(timezone).toFormat('HH:mm');
}

function formatDuration(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? `${hours} h ${minutes % 60} min` : `${minutes} min`;
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
  const days = createMemo<LocalDay[]>(() => localDays(period().first, period().last, timezone()));
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
                  item={item}
                  title={ws.tasks[item.taskId]?.title ?? 'Task'}
                  onOpen={() => ws.openTask(item.taskId)}
                  onPlace={(local) => {
                    const start = localDateTimeToInstant(local, timezone());
                    if (start !== null) placeTask(item.taskId, Date.parse(start));
                  }}
                />
              )}
            </For>
          </ul>
        </section>
      </Show>
    </>
  );
}

/** Height of one hour of the grid. */
const HOUR_REM = 2.5;
const QUARTER = 15 * 60_000;

/** The hours the grid shows: whole hours in the user's zone, `last` up to 24. */
export interface GridHours {
  first: number;
  last: number;
}

/** The instants the grid of a day starts and ends (its first and last shown hours). */
function gridOfDay(day: LocalDay, hours: GridHours, zone: string): { start: number; end: number } {
  const at = (hour: number) =>
    hour >= 24
      ? day.end * 1000
      : Date.parse(
          localDateTimeToInstant(`${day.date}T${String(hour).padStart(2, '0')}:00`, zone) ??
            new Date(day.start * 1000).toISOString(),
        );
  return { start: at(hours.first), end: at(hours.last) };
}

/** A task with a time: from its start to its due time when both are set that day, else a point. */
function taskSpan(item: DayTask): { start: number; end: number } {
  const { startDate, dueDate } = item.task;
  if (startDate && dueDate && !isDateOnly(startDate) && !isDateOnly(dueDate)) {
    const [start, end] = [Date.parse(startDate), Date.parse(dueDate)];
    if (end > start && end - start <= 86_400_000) return { start, end };
  }
  const at = Date.parse(item.value);
  return { start: at, end: at };
}

/** The local hour (0-23) of an instant in a zone. */
function localHour(instant: number, zone: string): number {
  return DateTime.fromMillis(instant, { zone }).hour;
}

const titleButtonStyle = {
  border: '0',
  background: 'none',
  padding: '0',
  'text-align': 'left',
  'overflow-wrap': 'anywhere',
} as const;

const metaStyle = { color: 'var(--muted)', 'font-size': '0.8rem' } as const;

function CalendarDay(props: {
  day: LocalDay;
  isToday: boolean;
  items: DayItems;
  timezone: string;
  now: Date;
  taskTitle: (id: string) => string | null;
  onOpen: (id: string) => void;
  onDropTask: (id: string, field: DateField) => void;
  onDropBlock: (taskId: string, blockId: string, at?: number) => void;
  onPlaceTask: (taskId: string, at: number) => void;
  onMoveBlock: (block: TaskBlock, times: BlockTimes) => void;
  /** The hours the grid shows (the same for every day of the week). */
  hours: GridHours;
}) {
  const [over, setOver] = createSignal(false);
  const carriesTask = (event: DragEvent) =>
    (event.dataTransfer?.types.includes(CALENDAR_DRAG_TYPE) ||
      event.dataTransfer?.types.includes(BLOCK_DRAG_TYPE)) ??
    false;
  const allDayEvents = () => props.items.events.filter((event) => event.allDay);
  const timedEvents = () => props.items.events.filter((event) => !event.allDay);
  const allDayTasks = () => props.items.tasks.filter((item) => item.allDay);
  const timedTasks = () => props.items.tasks.filter((item) => !item.allDay);
  const grid = createMemo(() => gridOfDay(props.day, props.hours, props.timezone));
  const hourMarks = createMemo(() => {
    const marks = [];
    for (let hour = props.hours.first; hour < props.hours.last; hour += 1) {
      marks.push({
        top: ((hour - props.hours.first) / (props.hours.last - props.hours.first)) * 100,
        label: `${String(hour).padStart(2, '0')}:00`,
      });
    }
    return marks;
  });
  const placements = createMemo(() => {
    const nowMs = props.now.getTime();
    const items: GridItem[] = [
      ...timedEvents().map((event) => ({
        key: `event:${event.id}`,
        start: Date.parse(event.start),
        end: Date.parse(event.end),
      })),
      ...timedTasks().map((item) => ({ key: `task:${item.task.id}`, ...taskSpan(item) })),
      ...props.items.blocks.map((block) => ({
        key: `block:${block.id}`,
        start: Date.parse(block.start),
        end: Date.parse(block.end),
      })),
      ...props.items.entries.map((entry) => ({
        key: `entry:${entry.id}`,
        start: Date.parse(entry.start),
        end: entry.end === null ? Math.max(nowMs, Date.parse(entry.start)) : Date.parse(entry.end),
      })),
    ];
    return layoutHourGrid(items, grid());
  });
  const slotStyle = (key: string) => {
    const placed = placements().get(key);
    if (!placed) return {};
    return {
      top: `${placed.top}%`,
      height: `${placed.height}%`,
      left: `${placed.left}%`,
      width: `${placed.width}%`,
    };
  };
  const empty = () =>
    props.items.tasks.length +
      props.items.entries.length +
      props.items.events.length +
      props.items.blocks.length ===
    0;

  return (
    <section
      aria-label={dayLabel(props.day.date)}
      aria-current={props.isToday ? 'date' : undefined}
      data-date={props.day.date}
      style={{
        ...(props.isToday ? { 'border-color': 'var(--accent)' } : {}),
        ...(over() ? { outline: '2px dashed var(--accent)', 'outline-offset': '-2px' } : {}),
      }}
      onDragOver={(event) => {
        if (!carriesTask(event)) return;
        event.preventDefault();
        if (event.dataTransfer) event.dataTransfer.dropEffect = 'move';
        setOver(true);
      }}
      onDragLeave={(event) => {
        const next = event.relatedTarget as Node | null;
        if (!next || !event.currentTarget.contains(next)) setOver(false);
      }}
      onDrop={(event) => {
        setOver(false);
        const block = parseBlockDrag(event.dataTransfer?.getData(BLOCK_DRAG_TYPE) ?? '');
        if (block) {
          event.preventDefault();
          props.onDropBlock(block.taskId, block.blockId);
          return;
        }
        const raw = event.dataTransfer?.getData(CALENDAR_DRAG_TYPE);
        if (!raw) return;
        event.preventDefault();
        const data = parseDragData(raw);
        if (data) props.onDropTask(data.id, data.field);
      }}
    >
      <h2
        style={{
          'font-size': '0.9rem',
          margin: '0.1rem 0 0.3rem',
          color: props.isToday ? 'var(--accent)' : 'inherit',
        }}
      >
        {shortDayLabel(props.day.date)}
      </h2>
      {/* The all-day row first: all-day calendar events, then all-day tasks; then timed ones. */}
      <For each={allDayEvents()}>
        {(event) => <EventCard event={event} timezone={props.timezone} />}
      </For>
      <For each={allDayTasks()}>{(item) => <TaskCard item={item} onOpen={props.onOpen} />}</For>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: a drop target for pointer drags; the keyboard path is each block's move buttons. */}
      <div
        class="hour-grid"
        style={{ height: `${(props.hours.last - props.hours.first) * HOUR_REM}rem` }}
        onDragOver={(event) => {
          const types = event.dataTransfer?.types ?? [];
          if (types.includes(BLOCK_DRAG_TYPE) || types.includes(UNPLANNED_DRAG_TYPE)) {
            event.preventDefault();
          }
        }}
        onDrop={(event) => {
          const block = parseBlockDrag(event.dataTransfer?.getData(BLOCK_DRAG_TYPE) ?? '');
          const taskId = event.dataTransfer?.getData(UNPLANNED_DRAG_TYPE) ?? '';
          if (!block && taskId === '') return;
          event.preventDefault();
          event.stopPropagation();
          setOver(false);
          // Where it was dropped, to the quarter hour: the block starts there.
          const box = event.currentTarget.getBoundingClientRect();
          const share = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
          const at = grid().start + share * (grid().end - grid().start);
          const quarter = Math.round(at / QUARTER) * QUARTER;
          if (block) props.onDropBlock(block.taskId, block.blockId, quarter);
          else props.onPlaceTask(taskId, quarter);
        }}
      >
        <For each={hourMarks()}>
          {(mark) => (
            <div class="hour-mark" style={{ top: `${mark.top}%` }} aria-hidden="true">
              {mark.label}
            </div>
          )}
        </For>
        <For each={timedEvents()}>
          {(event) => (
            <div class="slot" style={slotStyle(`event:${event.id}`)}>
              <EventCard event={event} timezone={props.timezone} />
            </div>
          )}
        </For>
        <For each={timedTasks()}>
          {(item) => (
            <div class="slot" style={slotStyle(`task:${item.task.id}`)}>
              <TaskCard item={item} onOpen={props.onOpen} />
            </div>
          )}
        </For>
        <For each={props.items.blocks}>
          {(block) => (
            <div class="slot" style={slotStyle(`block:${block.id}`)}>
              <PlannedBlockCard
                block={block}
                title={props.taskTitle(block.taskId) ?? 'Task'}
                timezone={props.timezone}
                onOpen={() => props.onOpen(block.taskId)}
                onMove={(times) => props.onMoveBlock(block, times)}
              />
            </div>
          )}
        </For>
        <For each={props.items.entries}>
          {(entry) => (
            <div class="slot" style={slotStyle(`entry:${entry.id}`)}>
              <div class="card entry">
                <div style={metaStyle}>
                  {localTime(entry.start, props.timezone)}–
                  {entry.end === null ? 'now' : localTime(entry.end, props.timezone)}
                  {' · '}
                  {formatDuration(entryDurationSeconds(entry, props.now))}
                </div>
                <div>
                  {(entry.taskId ? props.taskTitle(entry.taskId) : null) ??
                    (entry.description || 'No task')}
                </div>
              </div>
            </div>
          )}
        </For>
      </div>
      <Show when={empty()}>
        <p style={metaStyle}>Nothing planned</p>
      </Show>
    </section>
  );
}

/** A mirrored calendar event: read-only, styled apart from tasks (`.card.event`). */
function EventCard(props: { event: CalendarEvent; timezone: string }) {
  return (
    <article class="card event" aria-label={`Calendar event: ${props.event.title}`}>
      <div style={metaStyle}>
        {props.event.allDay
          ? 'All day'
          : `${localTime(props.event.start, props.timezone)}–${localTime(props.event.end, props.timezone)}`}
      </div>
      <div>{props.event.title}</div>
    </article>
  );
}

/** A task on its day, dragged to another day to move its date. */
function TaskCard(props: { item: DayTask; onOpen: (id: string) => void }) {
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: the title button is the keyboard path; the whole card is a larger pointer target.
    <article
      class="card"
      aria-label={props.item.task.title}
      draggable="true"
      data-task-id={props.item.task.id}
      data-status={props.item.task.status}
      style={
        props.item.task.status === 'COMPLETED' || props.item.task.status === 'CANCELLED'
          ? { opacity: '0.6', 'text-decoration': 'line-through' }
          : {}
      }
      onDragStart={(event) => {
        if (!event.dataTransfer) return;
        event.dataTransfer.effectAllowed = 'move';
        event.dataTransfer.setData(
          CALENDAR_DRAG_TYPE,
          JSON.stringify({ id: props.item.task.id, field: props.item.field }),
        );
        event.dataTransfer.setData('text/plain', props.item.task.title);
      }}
      onClick={() => props.onOpen(props.item.task.id)}
    >
      <div style={metaStyle}>
        {props.item.allDay ? 'All day' : <time datetime={props.item.value}>{props.item.time}</time>}
        {props.item.field === 'startDate' ? ' · starts' : ''}
      </div>
      <button type="button" style={titleButtonStyle}>
        {props.item.task.title}
      </button>
    </article>
  );
}

function parseDragData(raw: string): { id: string; field: DateField } | null {
  try {
    const data: unknown = JSON.parse(raw);
    if (typeof data !== 'object' || data === null) return null;
    const { id, field } = data as Record<string, unknown>;
    if (typeof id !== 'string') return null;
    if (field !== 'dueDate' && field !== 'startDate') return null;
    return { id, field };
  } catch {
    return null;
  }
}
