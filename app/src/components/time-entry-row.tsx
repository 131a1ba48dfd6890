import {
  addManualEntry,
  deleteTimeEntry,
  type EntryPatch,
  entryDurationSeconds,
  type Task,
  type TimeEntry,
  toIso,
  updateTimeEntry,
} from '@tasks/crdt';
import { DateTime } from 'luxon';
import { createSignal, For, Show } from 'solid-js';
import { useWorkspace } from '../workspace-context.js';
import { formatClock, localInputToUtc, toLocalInput } from './time-format.js';

interface Draft {
  taskId: string;
  start: string;
  end: string;
  description: string;
}

/** The title shown for an entry's task ("No task" without one). */
export function entryTaskTitle(tasks: Record<string, Task>, taskId: string | null): string {
  if (taskId === null) return 'No task';
  return tasks[taskId]?.title ?? 'Deleted task';
}

/**
 * One time entry as a table row: date, task, description, start, end, duration, with "Edit"
 * (inline, in the row) and "Delete" (with Undo).
 */
export function TimeEntryRow(props: {
  entry: TimeEntry;
  zone: string;
  openTasks: readonly Task[];
}) {
  const { docs, tasks, ctx, now, act, notify } = useWorkspace();
  const [draft, setDraft] = createSignal<Draft | null>(null);

  const local = (instant: string) => DateTime.fromISO(instant, { zone: 'utc' }).setZone(props.zone);
  const startLocal = () => local(props.entry.start);
  const running = () => props.entry.end === null;
  const endText = () => {
    const end = props.entry.end;
    if (end === null) return 'Running';
    const endLocal = local(end);
    return endLocal.hasSame(startLocal(), 'day')
      ? endLocal.toFormat('HH:mm')
      : endLocal.toFormat('LLL d, HH:mm');
  };
  // Only a running entry ticks: a stopped one does not read the clock.
  const duration = () => entryDurationSeconds(props.entry, running() ? now() : new Date(0));
  const title = () => entryTaskTitle(tasks, props.entry.taskId);

  /** The tasks an entry can be moved to: open ones, and the one it has now. */
  const taskChoices = () => {
    const currentId = props.entry.taskId;
    const current = currentId === null ? undefined : tasks[currentId];
    if (
      !current ||
      current.deletedAt !== null ||
      props.openTasks.some((task) => task.id === currentId)
    ) {
      return props.openTasks;
    }
    return [current, ...props.openTasks];
  };

  const initial = (): Draft => ({
    taskId: props.entry.taskId ?? '',
    start: toLocalInput(props.entry.start, props.zone),
    end: props.entry.end === null ? '' : toLocalInput(props.entry.end, props.zone),
    description: props.entry.description,
  });

  const edit = () => setDraft(initial());
  const cancel = () => setDraft(null);
  const change = (field: keyof Draft, value: string) =>
    setDraft((current) => (current ? { ...current, [field]: value } : current));

  const save = () => {
    const next = draft();
    if (!next) return;
    const before = initial();
    const patch: EntryPatch = {};
    // Unchanged fields are left out: an instant shown to the minute must not lose its seconds.
    if (next.start !== before.start) patch.start = localInputToUtc(next.start, props.zone);
    if (!running() && next.end !== before.end) patch.end = localInputToUtc(next.end, props.zone);
    if (next.description !== before.description) patch.description = next.description;
    if (next.taskId !== before.taskId) patch.taskId = next.taskId === '' ? null : next.taskId;
    if (Object.keys(patch).length === 0) {
      setDraft(null);
      return;
    }
    const updated = act(() => updateTimeEntry(docs, props.entry.id, patch, ctx));
    if (updated) setDraft(null);
  };

  const remove = () => {
    const { id, taskId, start, end, description } = props.entry;
    const label = `${entryTaskTitle(tasks, taskId)}, ${startLocal().toFormat('LLL d HH:mm')}`;
    const removed = act(() => {
      deleteTimeEntry(docs, id);
      return true;
    });
    if (!removed) return;
    // A running entry comes back stopped at the moment it was deleted.
    const restoredEnd = end ?? toIso(new Date());
    notify(`Time entry deleted (${label})`, {
      label: 'Undo',
      run: () => {
        act(() =>
          addManualEntry(
            docs,
            { taskId, start, end: restoredEnd, ...(description ? { description } : {}) },
            ctx,
          ),
        );
      },
    });
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      save();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      cancel();
    }
  };

  return (
    <tr data-running={running() ? 'true' : undefined}>
      <td>{startLocal().toFormat('ccc, LLL d')}</td>
      <Show
        when={draft()}
        fallback={
          <>
            <td>{title()}</td>
            <td>{props.entry.description}</td>
            <td>{startLocal().toFormat('HH:mm')}</td>
            <td>{endText()}</td>
            <td class="timer">{formatClock(duration())}</td>
            <td>
              <div class="row">
                <button type="button" onClick={edit}>
                  Edit
                </button>
                <button type="button" class="danger" onClick={remove}>
                  Delete
                </button>
              </div>
            </td>
          </>
        }
      >
        {(current) => (
          <>
            <td>
              <select
                aria-label="Edit task"
                value={current().taskId}
                onChange={(event) => change('taskId', event.currentTarget.value)}
                onKeyDown={onKeyDown}
              >
                <option value="" selected={current().taskId === ''}>
                  No task
                </option>
                <For each={taskChoices()}>
                  {(task) => (
                    <option value={task.id} selected={task.id === current().taskId}>
                      {task.title}
                    </option>
                  )}
                </For>
              </select>
            </td>
            <td>
              <input
                aria-label="Edit description"
                value={current().description}
                onInput={(event) => change('description', event.currentTarget.value)}
                onKeyDown={onKeyDown}
              />
            </td>
            <td>
              <input
                type="datetime-local"
                aria-label="Edit start"
                value={current().start}
                onInput={(event) => change('start', event.currentTarget.value)}
                onKeyDown={onKeyDown}
              />
            </td>
            <td>
              <Show when={!running()} fallback="Running">
                <input
                  type="datetime-local"
                  aria-label="Edit end"
                  value={current().end}
                  onInput={(event) => change('end', event.currentTarget.value)}
                  onKeyDown={onKeyDown}
                />
              </Show>
            </td>
            <td class="timer">{formatClock(duration())}</td>
            <td>
              <div class="row">
                <button type="button" class="primary" onClick={save}>
                  Save
                </button>
                <button type="button" onClick={cancel}>
                  Cancel
                </button>
              </div>
            </td>
          </>
        )}
      </Show>
    </tr>
  );
}
