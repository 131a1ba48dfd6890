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

/** `Mon 7 Dec, 15:00` in `zone`; a date alone for an all-day value. */
export function formatWhen(value: string, zone: string): string {
  if (isDateOnly(value)) {
    return new Intl.DateTimeFormat('en-GB', { ...DAY_FORMAT, timeZone: 'UTC' })
      .format(new Date(`${value}T00:00:00Z`))
      .replace(',', '');
  }
  const date = new Date(value);
  const day = new Intl.DateTimeFormat('en-GB', { ...DAY_FORMAT, timeZone: zone })
    .format(date)
    .replace(',', '');
  const time = new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: zone,
  }).format(date);
  return `${day}, ${time}`;
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
