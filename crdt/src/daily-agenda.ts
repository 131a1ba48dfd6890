import { DateTime } from 'luxon';
import { listCalendarEvents } from './calendar-events.js';
import { isDateOnly, localDateTimeToInstant } from './dates.js';
import type { CalendarEvent, Settings, Task } from './schema.js';
import { listTaskBlocks } from './task-blocks.js';
import { isOpen, localDay } from './task-views.js';
import { listTasks } from './tasks.js';
import type { UserDocs } from './user-docs.js';

/**
 * The daily agenda email's rules: when it goes out (the user's `agendaTime` on each local day,
 * in their zone, DST-correct) and what it holds (the day's open tasks, planned blocks and
 * mirrored calendar events).
 */
export type AgendaSettings = Pick<Settings, 'timezone' | 'agendaTime'>;

/**
 * The instant of the agenda of local day `day` (`YYYY-MM-DD`), or null when the user wants
 * none. A time the zone skips that day (clocks going forward) moves forward by the gap; a time
 * it shows twice is its first pass (`localDateTimeToInstant`).
 */
export function agendaSendTime(day: string, settings: AgendaSettings): string | null {
  if (settings.agendaTime === null) return null;
  return localDateTimeToInstant(`${day}T${settings.agendaTime}`, settings.timezone);
}

/**
 * The next agenda to send at or after `notBefore`: its local day and instant, or null when the
 * user wants none. Today's when its time is still to come, else tomorrow's.
 */
export function nextAgenda(
  settings: AgendaSettings,
  notBefore: Date,
): { day: string; at: string } | null {
  if (settings.agendaTime === null) return null;
  let day = DateTime.fromJSDate(notBefore).setZone(settings.timezone).startOf('day');
  // Two days always suffice; a third guards a zone that skips a whole day (Samoa, 2011).
  for (let i = 0; i < 3; i++) {
    const iso = day.toISODate();
    const at = iso === null ? null : agendaSendTime(iso, settings);
    if (iso !== null && at !== null && Date.parse(at) >= notBefore.getTime()) {
      return { day: iso, at };
    }
    day = day.plus({ days: 1 });
  }
  return null;
}

export interface AgendaTask {
  id: string;
  title: string;
  /** Due (or start) date as stored: an instant, or a date for an all-day task. */
  when: string | null;
  priority: Task['priority'];
}

export interface AgendaBlock {
  taskId: string;
  title: string;
  start: string;
  end: string;
}

export interface DailyAgenda {
  day: string;
  timezone: string;
  /** Open tasks due that day. */
  due: AgendaTask[];
  /** Open tasks due before that day. */
  overdue: AgendaTask[];
  /** Open tasks starting that day that are not due that day. */
  starting: AgendaTask[];
  /** Time planned on tasks that day (blocks of open tasks), by start. */
  blocks: AgendaBlock[];
  /** Mirrored calendar events that day, by start. */
  events: Pick<CalendarEvent, 'id' | 'title' | 'start' | 'end' | 'allDay'>[];
}

/** All-day ones first, then by instant, then by title. */
const whenKey = (when: string | null) =>
  when === null ? '' : isDateOnly(when) ? `0${when}` : `1${new Date(when).toISOString()}`;
const byWhen = (a: AgendaTask, b: AgendaTask) =>
  whenKey(a.when).localeCompare(whenKey(b.when)) || a.title.localeCompare(b.title);

/** The agenda of local day `day` in `timezone`. */
export function dailyAgenda(docs: UserDocs, day: string, timezone: string): DailyAgenda {
  const start = DateTime.fromISO(day, { zone: timezone }).startOf('day');
  if (!start.isValid) throw new RangeError(`not a day in ${timezone}: ${day}`);
  const range = { from: start.toJSDate(), to: start.plus({ days: 1 }).toJSDate() };
  const open = listTasks(docs).filter((task) => task.deletedAt === null && isOpen(task));
  const item = (task: Task, when: string | null): AgendaTask => ({
    id: task.id,
    title: task.title,
    when,
    priority: task.priority,
  });
  const due: AgendaTask[] = [];
  const overdue: AgendaTask[] = [];
  const starting: AgendaTask[] = [];
  const blocks: AgendaBlock[] = [];
  for (const task of open) {
    const dueDay = task.dueDate === null ? null : localDay(task.dueDate, timezone);
    if (dueDay === day) due.push(item(task, task.dueDate));
    else if (dueDay !== null && dueDay < day) overdue.push(item(task, task.dueDate));
    else if (task.startDate !== null && localDay(task.startDate, timezone) === day) {
      starting.push(item(task, task.startDate));
    }
    for (const block of listTaskBlocks(docs, task.id)) {
      if (
        Date.parse(block.start) < range.to.getTime() &&
        Date.parse(block.end) > range.from.getTime()
      ) {
        blocks.push({ taskId: task.id, title: task.title, start: block.start, end: block.end });
      }
    }
  }
  return {
    day,
    timezone,
    due: due.sort(byWhen),
    overdue: overdue.sort(byWhen),
    starting: starting.sort(byWhen),
    blocks: blocks.sort((a, b) => a.start.localeCompare(b.start)),
    events: listCalendarEvents(docs, range).map(({ id, title, start, end, allDay }) => ({
      id,
      title,
      start,
      end,
      allDay,
    })),
  };
}

/** Whether the agenda has nothing in it (the email still goes out: "nothing planned today"). */
export function isAgendaEmpty(agenda: DailyAgenda): boolean {
  return (
    agenda.due.length + agenda.overdue.length + agenda.starting.length + agenda.blocks.length ===
      0 && agenda.events.length === 0
  );
}
