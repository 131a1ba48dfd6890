import {
  addManualEntry,
  getRunningTimer,
  getSettings,
  isOpen,
  listTimeEntries,
  monthsForRange,
  startTimer,
  stopTimer,
  type Task,
  type TimeEntry,
  timerMonths,
  totalDurationSeconds,
  WEEKDAYS,
  type Weekday,
} from '@tasks/crdt';
import { DateTime } from 'luxon';
import { createEffect, createMemo, createSignal, For, onCleanup, Show } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import { entryTaskTitle, TimeEntryRow } from '../components/time-entry-row.js';
import { formatClock, localDateIn, localToUtc } from '../components/time-format.js';
import { useWorkspace } from '../workspace-context.js';

/** The listed week: instants `[from, to)` and its first and last local days. */
interface WeekRange {
  from: Date;
  to: Date;
  firstDay: string;
  lastDay: string;
  key: string;
}

function weekRange(today: string, weekStart: Weekday, offset: number, zone: string): WeekRange {
  const day = DateTime.fromISO(today, { zone });
  const startWeekday = WEEKDAYS.indexOf(weekStart) + 1;
  const first = day
    .minus({ days: (day.weekday - startWeekday + 7) % 7 })
    .plus({ weeks: offset })
    .startOf('day');
  const next = first.plus({ days: 7 });
  const firstDay = first.toISODate() ?? today;
  return {
    from: first.toJSDate(),
    to: next.toJSDate(),
    firstDay,
    lastDay: next.minus({ days: 1 }).toISODate() ?? today,
    key: `${zone}|${firstDay}`,
  };
}

function rangeLabel(range: WeekRange): string {
  const first = DateTime.fromISO(range.firstDay);
  const last = DateTime.fromISO(range.lastDay);
  const sameYear = first.year === last.year;
  return `${first.toFormat(sameYear ? 'LLL d' : 'LLL d, yyyy')} – ${last.toFormat('LLL d, yyyy')}`;
}

/** A select of open tasks, with "No task" first. */
function TaskSelect(props: {
  id: string;
  label: string;
  value: string;
  tasks: readonly Task[];
  onChange: (taskId: string) => void;
}) {
  return (
    <>
      <label for={props.id}>{props.label}</label>
      <select
        id={props.id}
        value={props.value}
        onChange={(event) => props.onChange(event.currentTarget.value)}
      >
        <option value="" selected={props.value === ''}>
          No task
        </option>
        <For each={props.tasks}>
          {(task) => (
            <option value={task.id} selected={task.id === props.value}>
              {task.title}
            </option>
          )}
        </For>
      </select>
    </>
  );
}

/** Time tracking: the running timer, starting one, manual entries, and a week's entries. */
export function TimeView() {
  const { docs, tasks, replica, ctx, now, act, notify } = useWorkspace();

  const settings = createMemo(() => {
    replica.version();
    return getSettings(docs);
  });
  const zone = createMemo(() => settings().timezone);
  const weekStart = createMemo(() => settings().weekStart);
  // A string: changes at local midnight only, not with every tick of `now`.
  const today = createMemo(() => localDateIn(now(), zone()));

  const openTasks = createMemo(() =>
    Object.values(tasks)
      .filter((task) => task.deletedAt === null && isOpen(task))
      .sort((a, b) => a.title.localeCompare(b.title)),
  );

  // --- The listed week ----------------------------------------------------------------------
  const [weekOffset, setWeekOffset] = createSignal(0);
  const range = createMemo(() => weekRange(today(), weekStart(), weekOffset(), zone()), undefined, {
    equals: (a, b) => a.key === b.key,
  });
  // --- Running timer -------------------------------------------------------------------------
  const running = createMemo(() => {
    replica.version();
    return getRunningTimer(docs);
  });
  const elapsed = (start: string) =>
    Math.max(0, Math.floor(now().getTime() / 1000) - Math.floor(Date.parse(start) / 1000));

  const stop = async () => {
    const timer = running();
    if (!timer) return;
    // Stopping writes into the timers' month documents: have them loaded first.
    await replica.ensureMonths(timerMonths(docs));
    act(() => stopTimer(docs, timer.entryId, ctx));
  };

  // --- Start timer ---------------------------------------------------------------------------
  const [timerTask, setTimerTask] = createSignal('');
  const [timerDescription, setTimerDescription] = createSignal('');
  const start = async (event: SubmitEvent) => {
    event.preventDefault();
    await replica.ensureMonths(timerMonths(docs));
    const description = timerDescription().trim();
    const entry = act(() =>
      startTimer(
        docs,
        {
          taskId: timerTask() === '' ? null : timerTask(),
          ...(description ? { description } : {}),
        },
        ctx,
      ),
    );
    if (entry) setTimerDescription('');
  };

  // --- Manual entry --------------------------------------------------------------------------
  const [manualTask, setManualTask] = createSignal('');
  const [manualDate, setManualDate] = createSignal(today());
  const [manualStart, setManualStart] = createSignal('');
  const [manualEnd, setManualEnd] = createSignal('');
  const [manualDescription, setManualDescription] = createSignal('');
  const addEntry = (event: SubmitEvent) => {
    event.preventDefault();
    const description = manualDescription().trim();
    const entry = act(() =>
      addManualEntry(
        docs,
        {
          taskId: manualTask() === '' ? null : manualTask(),
          start: localToUtc(manualDate(), manualStart(), zone()),
          end: localToUtc(manualDate(), manualEnd(), zone()),
          ...(description ? { description } : {}),
        },
        ctx,
      ),
    );
    if (!entry) return;
    setManualStart('');
    setManualEnd('');
    setManualDescription('');
    const listed = range();
    const inRange =
      Date.parse(entry.start) < listed.to.getTime() &&
      Date.parse(entry.end ?? entry.start) >= listed.from.getTime();
    notify(inRange ? 'Time entry added' : 'Time entry added (outside the listed week)');
  };

  const [loadedKey, setLoadedKey] = createSignal<string | null>(null);
  createEffect(() => {
    const current = range();
    let live = true;
    void replica.ensureMonths(monthsForRange(current.from, current.to)).then(() => {
      if (live) setLoadedKey(current.key);
    });
    onCleanup(() => {
      live = false;
    });
  });
  const loading = () => loadedKey() !== range().key;

  const listed = createMemo(() => {
    replica.version();
    const current = range();
    return listTimeEntries(docs, { from: current.from, to: current.to });
  });
  // Rows keep their identity (and an open inline edit) across document changes.
  const [entries, setEntries] = createStore<TimeEntry[]>([]);
  createEffect(() => setEntries(reconcile(listed(), { key: 'id' })));
  const total = () => totalDurationSeconds(listed(), now());

  return (
    <section class="time-view" aria-labelledby="time-heading">
      <header class="view-header">
        <h1 id="time-heading">Time</h1>
      </header>

      <section aria-labelledby="running-heading">
        <h2 id="running-heading">Running timer</h2>
        <Show when={running()} fallback={<p>No timer is running.</p>}>
          {(timer) => (
            <div class="row">
              <span>
                <strong>{entryTaskTitle(tasks, timer().taskId)}</strong>
                <Show when={timer().description}>{(description) => <> — {description()}</>}</Show>
              </span>
              <span class="timer" role="timer" aria-label="Elapsed time">
                {formatClock(elapsed(timer().start))}
              </span>
              <button type="button" class="primary" onClick={() => void stop()}>
                Stop timer
              </button>
            </div>
          )}
        </Show>
      </section>

      <section aria-labelledby="start-heading">
        <h2 id="start-heading">Start a timer</h2>
        <form
          class="form row"
          aria-labelledby="start-heading"
          onSubmit={(event) => void start(event)}
        >
          <div>
            <TaskSelect
              id="timer-task"
              label="Timer task"
              value={timerTask()}
              tasks={openTasks()}
              onChange={setTimerTask}
            />
          </div>
          <div>
            <label for="timer-description">Timer description</label>
            <input
              id="timer-description"
              value={timerDescription()}
              onInput={(event) => setTimerDescription(event.currentTarget.value)}
            />
          </div>
          <div>
            <button type="submit" class="primary">
              Start timer
            </button>
          </div>
        </form>
      </section>

      <section aria-labelledby="manual-heading">
        <h2 id="manual-heading">Add manual entry</h2>
        <form class="form row" aria-labelledby="manual-heading" onSubmit={addEntry}>
          <div>
            <TaskSelect
              id="entry-task"
              label="Entry task"
              value={manualTask()}
              tasks={openTasks()}
              onChange={setManualTask}
            />
          </div>
          <div>
            <label for="entry-date">Date</label>
            <input
              id="entry-date"
              type="date"
              required
              value={manualDate()}
              onInput={(event) => setManualDate(event.currentTarget.value)}
            />
          </div>
          <div>
            <label for="entry-start">Start time</label>
            <input
              id="entry-start"
              type="time"
              required
              value={manualStart()}
              onInput={(event) => setManualStart(event.currentTarget.value)}
            />
          </div>
          <div>
            <label for="entry-end">End time</label>
            <input
              id="entry-end"
              type="time"
              required
              value={manualEnd()}
              onInput={(event) => setManualEnd(event.currentTarget.value)}
            />
          </div>
          <div>
            <label for="entry-description">Entry description</label>
            <input
              id="entry-description"
              value={manualDescription()}
              onInput={(event) => setManualDescription(event.currentTarget.value)}
            />
          </div>
          <div>
            <button type="submit" class="primary">
              Add entry
            </button>
          </div>
        </form>
        <p class="hint">Times are in your time zone ({zone()}).</p>
      </section>

      <section aria-labelledby="entries-heading" aria-busy={loading()}>
        <div class="view-header">
          <h2 id="entries-heading">Entries: {rangeLabel(range())}</h2>
          <button type="button" onClick={() => setWeekOffset((offset) => offset - 1)}>
            Previous
          </button>
          <Show when={weekOffset() !== 0}>
            <button type="button" onClick={() => setWeekOffset(0)}>
              This week
            </button>
          </Show>
          <button type="button" onClick={() => setWeekOffset((offset) => offset + 1)}>
            Next
          </button>
        </div>
        <table aria-label="Time entries">
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col">Task</th>
              <th scope="col">Description</th>
              <th scope="col">Start</th>
              <th scope="col">End</th>
              <th scope="col">Duration</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            <For
              each={entries}
              fallback={
                <tr>
                  <td colSpan={7}>{loading() ? 'Loading…' : 'No time entries in this week.'}</td>
                </tr>
              }
            >
              {(entry) => <TimeEntryRow entry={entry} zone={zone()} openTasks={openTasks()} />}
            </For>
          </tbody>
          <tfoot>
            <tr>
              <th scope="row" colSpan={5}>
                Total
              </th>
              <td class="timer" data-testid="time-total">
                {formatClock(total())}
              </td>
              <td />
            </tr>
          </tfoot>
        </table>
      </section>
    </section>
  );
}
