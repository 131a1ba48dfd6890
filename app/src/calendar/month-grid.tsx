import type { CalendarEvent, LocalDay, TaskBlock } from '@tasks/crdt';
import { DateTime } from 'luxon';
import { For, Show } from 'solid-js';

/** What a day of the month shows, in the order it shows it. */
export interface MonthDayItems {
  events: CalendarEvent[];
  blocks: TaskBlock[];
  tasks: { id: string; title: string }[];
}

const SHOWN_PER_DAY = 4;

const wall = (instant: string, zone: string) =>
  DateTime.fromISO(instant, { zone: 'utc' }).setZone(zone).toFormat('HH:mm');

/**
 * The month view: whole weeks, each day with its first events, planned blocks and dated tasks
 * (and how many more); its date opens that day in the day view.
 */
export function MonthGrid(props: {
  days: readonly LocalDay[];
  month: string;
  today: string;
  timezone: string;
  items: (date: string) => MonthDayItems;
  taskTitle: (id: string) => string;
  onOpenDay: (date: string) => void;
}) {
  const lines = (day: LocalDay) => {
    const items = props.items(day.date);
    return [
      ...items.events.map((event) => ({
        key: `event:${event.id}`,
        kind: 'event',
        text: `${event.allDay ? '' : `${wall(event.start, props.timezone)} `}${event.title}`,
      })),
      ...items.blocks.map((block) => ({
        key: `block:${block.id}`,
        kind: 'block',
        text: `${wall(block.start, props.timezone)} ${props.taskTitle(block.taskId)}`,
      })),
      ...items.tasks.map((task) => ({ key: `task:${task.id}`, kind: 'task', text: task.title })),
    ];
  };
  return (
    <div class="month">
      <For each={props.days}>
        {(day) => {
          const all = () => lines(day);
          return (
            <article
              class="month-day"
              aria-label={DateTime.fromISO(day.date, { zone: 'UTC' })
                .setLocale('en-GB')
                .toFormat('cccc d LLLL')}
              aria-current={day.date === props.today ? 'date' : undefined}
              data-date={day.date}
              data-outside={day.date.startsWith(props.month) ? undefined : 'true'}
            >
              <button type="button" class="link" onClick={() => props.onOpenDay(day.date)}>
                {Number(day.date.slice(8))}
              </button>
              <ul>
                <For each={all().slice(0, SHOWN_PER_DAY)}>
                  {(line) => <li class={`month-${line.kind}`}>{line.text}</li>}
                </For>
              </ul>
              <Show when={all().length > SHOWN_PER_DAY}>
                <span class="month-more">{all().length - SHOWN_PER_DAY} more</span>
              </Show>
            </article>
          );
        }}
      </For>
    </div>
  );
}
