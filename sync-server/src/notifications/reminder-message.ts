import { isDateOnly, type Task } from '@tasks/crdt';

/**
 * What a reminder says, the same on every channel: the task's title, and when it is due (or
 * starts) written in the user's zone.
 */
export interface ReminderMessage {
  /** The reminder job's id: the in-app notification's id, the email's and the push's tag. */
  id: string;
  userId: string;
  taskId: string;
  title: string;
  /** `Due Mon 7 Dec, 15:00` (in the user's zone), `Due Mon 7 Dec` for an all-day task. */
  body: string;
  dueDate: string | null;
  fireAt: string;
  /** Where the app shows it (a path on the server: the notifications view). */
  url: string;
}

const DAY_FORMAT: Intl.DateTimeFormatOptions = {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
};

/** Creating an `Intl.DateTimeFormat` costs far more than formatting with one: kept per zone. */
const MAX_ZONES = 256;
const formats = new Map<string, { day: Intl.DateTimeFormat; time: Intl.DateTimeFormat }>();

function formatsOf(zone: string) {
  let kept = formats.get(zone);
  if (!kept) {
    kept = {
      day: new Intl.DateTimeFormat('en-GB', { ...DAY_FORMAT, timeZone: zone }),
      time: new Intl.DateTimeFormat('en-GB', {
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
        timeZone: zone,
      }),
    };
    if (formats.size >= MAX_ZONES) formats.clear();
    formats.set(zone, kept);
  }
  return kept;
}

/** `Mon 7 Dec, 15:00` in `zone`; a date alone for an all-day value. */
export function formatWhen(value: string, zone: string): string {
  if (isDateOnly(value)) {
    return formatsOf('UTC')
      .day.format(new Date(`${value}T00:00:00Z`))
      .replace(',', '');
  }
  const date = new Date(value);
  const { day, time } = formatsOf(zone);
  return `${day.format(date).replace(',', '')}, ${time.format(date)}`;
}

export function reminderMessage(
  task: Pick<Task, 'id' | 'title' | 'dueDate' | 'startDate'>,
  job: { id: string; userId: string; fireAt: Date },
  zone: string,
): ReminderMessage {
  const when = task.dueDate ?? task.startDate;
  const body =
    when === null ? 'Reminder' : `${task.dueDate ? 'Due' : 'Starts'} ${formatWhen(when, zone)}`;
  return {
    id: job.id,
    userId: job.userId,
    taskId: task.id,
    title: task.title,
    body,
    dueDate: task.dueDate,
    fireAt: job.fireAt.toISOString(),
    url: '/#/inbox-notes',
  };
}
