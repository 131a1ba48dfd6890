/**
 * One day of the calendar's day and week views: its all-day row and its hour grid (events,
 * planned blocks, timed tasks and time entries side by side), taking drops of tasks, blocks and
 * tasks the plan left out.
 */
import {
  type CalendarEvent,
  entryDurationSeconds,
  isDateOnly,
  type LocalDay,
  localDateTimeToInstant,
  type Task,
  type TaskBlock,
  type TimeEntry,
} from '@tasks/crdt';
import { DateTime } from 'luxon';
import { createMemo, createSignal, For, Show } from 'solid-js';
import type { BlockTimes } from './block-moves.js';
import { type GridItem, layoutHourGrid } from './hour-grid.js';
import {
  BLOCK_DRAG_TYPE,
  BLOCK_RESIZE_DRAG_TYPE,
  PlannedBlockCard,
  parseBlockDrag,
} from './planned-block-card.js';
import { UNPLANNED_DRAG_TYPE } from './unplanned-task-item.js';

/** The MIME type a dragged calendar task carries: `{ id, field }` as JSON. */
const CALENDAR_DRAG_TYPE = 'application/x-calendar-task';

export const LOCALE = 'en-GB';

export type DateField = 'dueDate' | 'startDate';

/** A task placed on a day: by its due date, or by its start date when it has no due date. */
export interface DayTask {
  task: Task;
  field: DateField;
  value: string;
  allDay: boolean;
  /** Local `HH:mm` of a timed value; empty for all-day. */
  time: string;
}

export interface DayItems {
  tasks: DayTask[];
  entries: TimeEntry[];
  events: CalendarEvent[];
  blocks: TaskBlock[];
}

export function dayLabel(date: string): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).setLocale(LOCALE).toFormat('cccc d LLLL');
}

function shortDayLabel(date: string): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).setLocale(LOCALE).toFormat('ccc d');
}

export function localTime(instant: string, timezone: string): string {
  return DateTime.fromISO(instant, { zone: 'utc' }).setZone(timezone).toFormat('HH:mm');
}

function formatDuration(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? `${hours} h ${minutes % 60} min` : `${minutes} min`;
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

const titleButtonStyle = {
  border: '0',
  background: 'none',
  padding: '0',
  'text-align': 'left',
  'overflow-wrap': 'anywhere',
} as const;

const metaStyle = { color: 'var(--muted)', 'font-size': '0.8rem' } as const;

export function CalendarDay(props: {
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
  /** A block's bottom edge dropped at `at`: the block ends there. */
  onResizeBlock: (taskId: string, blockId: string, at: number) => void;
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
          if (
            types.includes(BLOCK_DRAG_TYPE) ||
            types.includes(BLOCK_RESIZE_DRAG_TYPE) ||
            types.includes(UNPLANNED_DRAG_TYPE)
          ) {
            event.preventDefault();
          }
        }}
        onDrop={(event) => {
          const block = parseBlockDrag(event.dataTransfer?.getData(BLOCK_DRAG_TYPE) ?? '');
          const resized = parseBlockDrag(event.dataTransfer?.getData(BLOCK_RESIZE_DRAG_TYPE) ?? '');
          const taskId = event.dataTransfer?.getData(UNPLANNED_DRAG_TYPE) ?? '';
          if (!block && !resized && taskId === '') return;
          event.preventDefault();
          event.stopPropagation();
          setOver(false);
          // Where it was dropped, to the quarter hour: the block starts there.
          const box = event.currentTarget.getBoundingClientRect();
          const share = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
          const at = grid().start + share * (grid().end - grid().start);
          const quarter = Math.round(at / QUARTER) * QUARTER;
          if (block) props.onDropBlock(block.taskId, block.blockId, quarter);
          else if (resized) props.onResizeBlock(resized.taskId, resized.blockId, quarter);
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
