import { type ForeignTask, type ForeignTaskList, stableImportId } from './data-export.js';
import { isValidTimezone, localDateTimeToInstant } from './dates.js';
import { ValidationError } from './errors.js';
import type { Priority } from './schema.js';

/**
 * Todoist's CSV (a project's export, or its import template): one row per task, section or
 * comment (`TYPE`), the title with `@labels` in `CONTENT`, `PRIORITY` 1 (p1, highest) to 4 (none),
 * `INDENT` for subtasks, `DATE` in words or as a date and `TIMEZONE`.
 */

/** RFC 4180 rows: quoted fields may hold commas, quotes (doubled) and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  for (let i = 0; i < source.length; i += 1) {
    const char = source[i];
    if (quoted) {
      if (char === '"' && source[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && source[i + 1] === '\n') i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += char;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** Todoist's p1..p4 (1 highest, 4 its default "no priority") in our terms. */
const PRIORITY: Record<string, Priority> = {
  '1': 'URGENT',
  '2': 'HIGH',
  '3': 'MEDIUM',
  '4': 'MEDIUM',
};

const REPEATS: Record<string, string> = {
  daily: 'FREQ=DAILY',
  'every day': 'FREQ=DAILY',
  weekly: 'FREQ=WEEKLY',
  'every week': 'FREQ=WEEKLY',
  monthly: 'FREQ=MONTHLY',
  'every month': 'FREQ=MONTHLY',
  yearly: 'FREQ=YEARLY',
  'every year': 'FREQ=YEARLY',
  'every weekday': 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
};
const WEEKDAY: Record<string, string> = {
  monday: 'MO',
  tuesday: 'TU',
  wednesday: 'WE',
  thursday: 'TH',
  friday: 'FR',
  saturday: 'SA',
  sunday: 'SU',
};

type DateReading = { dueDate?: string; recurrenceRule?: string } | { unreadable: string };

/** A DATE cell: an ISO date, a date and time (in `zone`), or a simple repetition. */
function readDate(cell: string, zone: string): DateReading {
  const text = cell.trim();
  if (text === '') return {};
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return { dueDate: text };
  const timed = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(:\d{2})?$/.exec(text);
  if (timed) {
    const instant = localDateTimeToInstant(`${timed[1]}T${timed[2]}`, zone);
    if (instant) return { dueDate: instant };
  }
  const lower = text.toLowerCase();
  const repeat = REPEATS[lower];
  if (repeat) return { recurrenceRule: repeat };
  const weekly = /^every (monday|tuesday|wednesday|thursday|friday|saturday|sunday)$/.exec(lower);
  if (weekly) return { recurrenceRule: `FREQ=WEEKLY;BYDAY=${WEEKDAY[weekly[1] as string]}` };
  return { unreadable: text };
}

/** `@label` words of a title (Todoist's labels), and the title without them. */
function splitLabels(content: string): { title: string; tags: string[] } {
  const tags: string[] = [];
  const title = content
    .replace(/(^|\s)@([^\s@]+)/g, (_match, space: string, label: string) => {
      tags.push(label);
      return space;
    })
    .replace(/\s+/g, ' ')
    .trim();
  return { title, tags };
}

/**
 * The tasks of a Todoist CSV. `source` names the file (its project) so that importing it again
 * finds the same tasks; `timezone` is the user's, for dates with a time and no TIMEZONE column.
 * Throws ValidationError when the text is not a Todoist CSV at all.
 */
export function readTodoistCsv(
  text: string,
  options: { source: string; timezone: string },
): ForeignTaskList {
  const [header, ...rows] = parseCsv(text);
  const columns = (header ?? []).map((name) => name.trim().toUpperCase());
  const col = (name: string) => columns.indexOf(name);
  if (col('TYPE') < 0 || col('CONTENT') < 0) {
    throw new ValidationError([
      { field: '(body)', message: 'not a Todoist CSV: the first line must name TYPE and CONTENT' },
    ]);
  }
  const cell = (row: string[], name: string) => (col(name) >= 0 ? (row[col(name)] ?? '') : '');
  const result: ForeignTaskList = { tasks: [], skipped: [], warnings: [] };
  /** The last task at each indent, for subtasks. */
  const parents: ForeignTask[] = [];
  const seen = new Map<string, number>();
  rows.forEach((row, index) => {
    const line = `line ${index + 2}`;
    const type = cell(row, 'TYPE').trim().toLowerCase();
    const content = cell(row, 'CONTENT');
    if (row.every((value) => value.trim() === '') || type === 'meta') return;
    if (type === 'note') {
      const last = result.tasks.at(-1);
      if (!last) {
        result.skipped.push({ kind: 'task', ref: line, reason: 'a comment before any task' });
        return;
      }
      const before = last.input.description ?? '';
      last.input.description = before ? `${before}\n\n${content.trim()}` : content.trim();
      return;
    }
    if (type === 'section') {
      result.skipped.push({
        kind: 'task',
        ref: `${line} (${content.trim()})`,
        reason: 'a Todoist section: its tasks are imported without it',
      });
      parents.length = 0;
      return;
    }
    if (type !== 'task') {
      result.skipped.push({ kind: 'task', ref: line, reason: `unknown TYPE "${type}"` });
      return;
    }
    const { title, tags } = splitLabels(content);
    const indent = Math.max(1, Number.parseInt(cell(row, 'INDENT'), 10) || 1);
    const parent = indent > 1 ? (parents[indent - 2] ?? null) : null;
    const zoneCell = cell(row, 'TIMEZONE').trim();
    const zone = zoneCell && isValidTimezone(zoneCell) ? zoneCell : options.timezone;
    const date = readDate(cell(row, 'DATE'), zone);
    const path = `${parent?.id ?? options.source}/${title}`;
    const nth = (seen.get(path) ?? 0) + 1;
    seen.set(path, nth);
    const task: ForeignTask = {
      id: stableImportId(`todoist:${options.source}:${path}#${nth}`),
      ref: `${line} (${title || 'no title'})`,
      input: {
        title,
        ...(cell(row, 'DESCRIPTION').trim() && { description: cell(row, 'DESCRIPTION').trim() }),
        priority: PRIORITY[cell(row, 'PRIORITY').trim()] ?? 'MEDIUM',
        ...(tags.length > 0 && { tags }),
        ...('dueDate' in date && date.dueDate && { dueDate: date.dueDate }),
        ...('recurrenceRule' in date &&
          date.recurrenceRule && { recurrenceRule: date.recurrenceRule }),
      },
      parentId: parent?.id ?? null,
    };
    if ('unreadable' in date) {
      result.warnings.push({
        kind: 'task',
        ref: task.ref,
        reason: `date "${date.unreadable}" not understood: imported without a date`,
      });
    }
    result.tasks.push(task);
    parents[indent - 1] = task;
    parents.length = indent;
  });
  return result;
}
