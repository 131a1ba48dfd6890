import { type DailyAgenda, isAgendaEmpty, isDateOnly } from '@tasks/crdt';
import { escapeHtml, type UserEmail } from './email-channel.js';

/**
 * The daily agenda as an email: the day's tasks (due, overdue, starting), the time planned on
 * them and the calendar's events, times in the user's zone; the same in plain text and HTML.
 */
const time = (instant: string, zone: string) =>
  new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: zone,
  }).format(new Date(instant));

const dayTitle = (day: string) =>
  new Intl.DateTimeFormat('en-GB', {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    timeZone: 'UTC',
  }).format(new Date(`${day}T00:00:00Z`));

function whenOf(value: string | null, zone: string, day: string): string {
  if (value === null) return '';
  if (isDateOnly(value)) return value === day ? 'all day' : value;
  return time(value, zone);
}

interface Section {
  heading: string;
  lines: string[];
}

function sections(agenda: DailyAgenda): Section[] {
  const zone = agenda.timezone;
  const task = (item: { title: string; when: string | null }) => {
    const when = whenOf(item.when, zone, agenda.day);
    return when === '' ? item.title : `${when} · ${item.title}`;
  };
  return [
    { heading: 'Due today', lines: agenda.due.map(task) },
    { heading: 'Overdue', lines: agenda.overdue.map(task) },
    { heading: 'Starting today', lines: agenda.starting.map(task) },
    {
      heading: 'Planned time',
      lines: agenda.blocks.map(
        (block) => `${time(block.start, zone)}–${time(block.end, zone)} · ${block.title}`,
      ),
    },
    {
      heading: 'Calendar',
      lines: agenda.events.map((event) =>
        event.allDay
          ? `all day · ${event.title}`
          : `${time(event.start, zone)}–${time(event.end, zone)} · ${event.title}`,
      ),
    },
  ].filter((section) => section.lines.length > 0);
}

export function agendaEmail(
  agenda: DailyAgenda,
  job: { id: string; userId: string },
  publicUrl: string | null,
): UserEmail {
  const title = `Your agenda for ${dayTitle(agenda.day)}`;
  const parts = sections(agenda);
  const empty = isAgendaEmpty(agenda);
  const open = publicUrl === null ? null : `${publicUrl}/#/today`;
  const text = [
    title,
    '',
    ...(empty ? ['Nothing is due or planned today.'] : []),
    ...parts.flatMap((section) => [
      `${section.heading}:`,
      ...section.lines.map((line) => `- ${line}`),
      '',
    ]),
    ...(open ? [`Open Today: ${open}`] : []),
  ]
    .join('\n')
    .trimEnd();
  const html = [
    `<h2>${escapeHtml(title)}</h2>`,
    ...(empty ? ['<p>Nothing is due or planned today.</p>'] : []),
    ...parts.map(
      (section) =>
        `<h3>${escapeHtml(section.heading)}</h3>\n<ul>${section.lines
          .map((line) => `<li>${escapeHtml(line)}</li>`)
          .join('')}</ul>`,
    ),
    ...(open ? [`<p><a href="${escapeHtml(open)}">Open Today</a></p>`] : []),
  ].join('\n');
  return {
    userId: job.userId,
    kind: 'agenda',
    subject: title,
    text,
    html,
    messageId: `agenda-${job.id}`,
  };
}
