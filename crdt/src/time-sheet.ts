import { DateTime } from 'luxon';
import type { Project, Task, TimeEntry } from './schema.js';

/** One CSV cell (RFC 4180), safe to open in a spreadsheet: no cell starts a formula. */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: readonly (string | number | boolean | null)[]): string {
  return values.map(csvCell).join(',');
}

export const TIME_SHEET_COLUMNS = [
  'date',
  'start',
  'end',
  'duration_minutes',
  'task',
  'project',
  'tags',
  'description',
  'manual',
  'entry_id',
  'task_id',
] as const;

/**
 * Time entries as a time sheet (CSV, one line per entry): the local date, start and end in the
 * user's zone, whole minutes, the task's title, project and tags. A running entry counts up to
 * `now` and has no end.
 */
export function timeSheetCsv(
  entries: readonly TimeEntry[],
  options: {
    timezone: string;
    now: Date;
    tasks: ReadonlyMap<string, Pick<Task, 'title' | 'projectId' | 'tags'>>;
    projects: ReadonlyMap<string, Pick<Project, 'name'>>;
  },
): string {
  const lines = [csvLine(TIME_SHEET_COLUMNS)];
  for (const entry of entries) {
    const start = DateTime.fromISO(entry.start, { zone: options.timezone });
    const endMs = entry.end === null ? options.now.getTime() : Date.parse(entry.end);
    const end = entry.end === null ? null : DateTime.fromISO(entry.end, { zone: options.timezone });
    const task = entry.taskId === null ? undefined : options.tasks.get(entry.taskId);
    const project = task?.projectId ? options.projects.get(task.projectId) : undefined;
    lines.push(
      csvLine([
        start.toISODate(),
        start.toFormat('HH:mm'),
        end
          ? end.hasSame(start, 'day')
            ? end.toFormat('HH:mm')
            : end.toFormat('yyyy-MM-dd HH:mm')
          : null,
        Math.max(0, Math.floor((endMs - Date.parse(entry.start)) / 60_000)),
        task?.title ?? null,
        project?.name ?? null,
        task ? task.tags.join(' ') : null,
        entry.description,
        entry.isManual,
        entry.id,
        entry.taskId,
      ]),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
