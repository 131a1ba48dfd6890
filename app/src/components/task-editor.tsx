import {
  completeTask,
  createTask,
  deleteTask,
  getDescriptionText,
  getTimezone,
  listProjects,
  PRIORITIES,
  restoreTask,
  startTimer,
  TASK_STATUSES,
  type Task,
  type TaskPatch,
  updateTask,
} from '@tasks/crdt';
import { createMemo, For, onCleanup, Show } from 'solid-js';
import type * as Y from 'yjs';
import { formatDue, fromInputValue, toInputValue } from '../format.js';
import { useWorkspace } from '../workspace-context.js';
import { TaskHistoryPanel } from '../your-data/task-history-panel.js';
import { ReminderField } from './reminder-field.js';

const RECURRENCES = [
  { value: '', label: 'Does not repeat' },
  { value: 'FREQ=DAILY', label: 'Every day' },
  { value: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', label: 'Every weekday' },
  { value: 'FREQ=WEEKLY', label: 'Every week' },
  { value: 'FREQ=MONTHLY', label: 'Every month' },
  { value: 'FREQ=YEARLY', label: 'Every year' },
];

/** Edit every field of a task; the description is shared text that merges with other devices. */
export function TaskEditor(props: { taskId: string; onClose: () => void }) {
  const workspace = useWorkspace();
  const task = (): Task | undefined => workspace.tasks[props.taskId];
  const timezone = createMemo(() => {
    workspace.replica.version();
    return getTimezone(workspace.docs);
  });
  const projects = createMemo(() => {
    workspace.replica.version();
    return listProjects(workspace.docs);
  });
  const subtasks = createMemo(() =>
    Object.values(workspace.tasks).filter((t) => t.parentId === props.taskId && !t.deletedAt),
  );
  const save = (patch: TaskPatch) =>
    workspace.act(() => updateTask(workspace.docs, props.taskId, patch, workspace.ctx));

  let textarea: HTMLTextAreaElement | undefined;
  const text: Y.Text | null = getDescriptionText(workspace.docs, props.taskId);
  // Another device's typing moves our cursor along with the text instead of to the end.
  const onRemote = (event: Y.YTextEvent) => {
    if (event.transaction.local || !textarea || !text) return;
    let start = textarea.selectionStart;
    let end = textarea.selectionEnd;
    let index = 0;
    for (const op of event.delta) {
      if (op.retain) index += op.retain;
      else if (typeof op.insert === 'string') {
        if (index <= start) start += op.insert.length;
        if (index <= end) end += op.insert.length;
        index += op.insert.length;
      } else if (op.delete) {
        if (index < start) start -= Math.min(op.delete, start - index);
        if (index < end) end -= Math.min(op.delete, end - index);
      }
    }
    textarea.value = text.toString();
    textarea.setSelectionRange(start, end);
  };
  text?.observe(onRemote);
  onCleanup(() => text?.unobserve(onRemote));

  const addSubtask = (event: SubmitEvent) => {
    event.preventDefault();
    const input = (event.currentTarget as HTMLFormElement).elements.namedItem(
      'subtask',
    ) as HTMLInputElement;
    const created = workspace.act(() =>
      createTask(
        workspace.docs,
        { title: input.value, parentId: props.taskId, projectId: task()?.projectId ?? null },
        workspace.ctx,
      ),
    );
    if (created) input.value = '';
  };

  const remove = () => {
    const current = task();
    if (!current) return;
    workspace.act(() => deleteTask(workspace.docs, current.id, workspace.ctx));
    props.onClose();
    workspace.notify(`Moved “${current.title}” to the trash`, {
      label: 'Undo',
      run: () => workspace.act(() => restoreTask(workspace.docs, current.id, workspace.ctx)),
    });
  };

  return (
    <aside class="panel" role="dialog" aria-label="Edit task">
      <Show when={task()} fallback={<p>This task no longer exists.</p>}>
        {(current) => (
          <>
            <div class="row">
              <h2 style={{ margin: 0 }}>Task</h2>
              <button type="button" onClick={() => props.onClose()} style={{ flex: '0 0 auto' }}>
                Close
              </button>
            </div>
            <label for="task-title">Title</label>
            <input
              id="task-title"
              value={current().title}
              onChange={(event) => save({ title: event.currentTarget.value })}
            />
            <label for="task-description">Description</label>
            <textarea
              id="task-description"
              ref={textarea}
              value={current().description}
              onInput={(event) => save({ description: event.currentTarget.value })}
            />
            <div class="row">
              <div>
                <label for="task-status">Status</label>
                <select
                  id="task-status"
                  value={current().status}
                  onChange={(event) =>
                    save({ status: event.currentTarget.value as Task['status'] })
                  }
                >
                  <For each={TASK_STATUSES}>
                    {(status) => (
                      <option value={status}>{status.replace('_', ' ').toLowerCase()}</option>
                    )}
                  </For>
                </select>
              </div>
              <div>
                <label for="task-priority">Priority</label>
                <select
                  id="task-priority"
                  value={current().priority}
                  onChange={(event) =>
                    save({ priority: event.currentTarget.value as Task['priority'] })
                  }
                >
                  <For each={PRIORITIES}>
                    {(priority) => <option value={priority}>{priority.toLowerCase()}</option>}
                  </For>
                </select>
              </div>
            </div>
            <DateField
              id="task-due"
              label="Due"
              value={current().dueDate}
              timezone={timezone()}
              onSave={(value) => save({ dueDate: value })}
            />
            <DateField
              id="task-start"
              label="Start"
              value={current().startDate}
              timezone={timezone()}
              onSave={(value) => save({ startDate: value })}
            />
            <ReminderField task={current()} timezone={timezone()} />
            <div class="row">
              <div>
                <label for="task-estimate">Estimate (minutes)</label>
                <input
                  id="task-estimate"
                  type="number"
                  min="0"
                  value={current().estimatedDuration ?? ''}
                  onChange={(event) =>
                    save({
                      estimatedDuration:
                        event.currentTarget.value === '' ? null : Number(event.currentTarget.value),
                    })
                  }
                />
              </div>
              <div>
                <label for="task-project">Project</label>
                <select
                  id="task-project"
                  value={current().projectId ?? ''}
                  onChange={(event) => save({ projectId: event.currentTarget.value || null })}
                >
                  <option value="">No project</option>
                  <For each={projects()}>
                    {(project) => <option value={project.id}>{project.name}</option>}
                  </For>
                </select>
              </div>
            </div>
            <label for="task-tags">Tags (comma separated)</label>
            <input
              id="task-tags"
              value={current().tags.join(', ')}
              onChange={(event) =>
                save({
                  tags: event.currentTarget.value
                    .split(',')
                    .map((tag) => tag.trim().replace(/^#/, ''))
                    .filter(Boolean),
                })
              }
            />
            <label for="task-repeat">Repeat</label>
            <select
              id="task-repeat"
              value={
                RECURRENCES.some((r) => r.value === (current().recurrenceRule ?? ''))
                  ? (current().recurrenceRule ?? '')
                  : 'custom'
              }
              onChange={(event) => {
                const value = event.currentTarget.value;
                if (value !== 'custom') save({ recurrenceRule: value || null });
              }}
            >
              <For each={RECURRENCES}>
                {(option) => <option value={option.value}>{option.label}</option>}
              </For>
              <option value="custom">Custom rule…</option>
            </select>
            <label for="task-rrule">Rule (RRULE)</label>
            <input
              id="task-rrule"
              value={current().recurrenceRule ?? ''}
              placeholder="FREQ=WEEKLY;BYDAY=MO"
              onChange={(event) =>
                save({ recurrenceRule: event.currentTarget.value.trim() || null })
              }
            />
            <Show when={current().recurrenceRule && current().status !== 'COMPLETED'}>
              <SkipOccurrence task={current()} timezone={timezone()} onSkip={save} />
            </Show>
            <h3>Subtasks</h3>
            <ul aria-label="Subtasks">
              <For each={subtasks()}>
                {(sub) => (
                  <li>
                    <label class="row" style={{ color: 'inherit', 'font-size': 'inherit' }}>
                      <input
                        type="checkbox"
                        style={{ flex: '0 0 auto', width: 'auto' }}
                        checked={sub.status === 'COMPLETED'}
                        aria-label={`Complete ${sub.title}`}
                        onChange={() =>
                          workspace.act(() =>
                            sub.status === 'COMPLETED'
                              ? updateTask(
                                  workspace.docs,
                                  sub.id,
                                  { status: 'TODO' },
                                  workspace.ctx,
                                )
                              : completeTask(workspace.docs, sub.id, workspace.ctx),
                          )
                        }
                      />
                      <button
                        type="button"
                        class="title"
                        onClick={() => workspace.openTask(sub.id)}
                      >
                        {sub.title}
                      </button>
                    </label>
                  </li>
                )}
              </For>
            </ul>
            <form class="row" onSubmit={addSubtask}>
              <input name="subtask" aria-label="New subtask" placeholder="Add a subtask" required />
              <button type="submit" style={{ flex: '0 0 auto' }}>
                Add subtask
              </button>
            </form>
            <p class="row">
              <button
                type="button"
                onClick={() =>
                  workspace.act(() =>
                    startTimer(workspace.docs, { taskId: current().id }, workspace.ctx),
                  )
                }
              >
                Start timer
              </button>
              <Show when={current().status !== 'COMPLETED'}>
                <button
                  type="button"
                  class="primary"
                  onClick={() =>
                    workspace.act(() => completeTask(workspace.docs, current().id, workspace.ctx))
                  }
                >
                  Complete
                </button>
              </Show>
              <button type="button" class="danger" onClick={remove}>
                Delete
              </button>
            </p>
            <TaskHistoryPanel taskId={current().id} />
          </>
        )}
      </Show>
    </aside>
  );
}

/** A date with or without a time ("all day"), shown and entered in the user's time zone. */
function DateField(props: {
  id: string;
  label: string;
  value: string | null;
  timezone: string;
  onSave: (value: string | null) => void;
}) {
  const allDay = () => props.value !== null && /^\d{4}-\d{2}-\d{2}$/.test(props.value);
  return (
    <div class="row">
      <div>
        <label for={props.id}>{props.label}</label>
        <input
          id={props.id}
          type={allDay() ? 'date' : 'datetime-local'}
          value={toInputValue(props.value, props.timezone)}
          onChange={(event) =>
            props.onSave(fromInputValue(event.currentTarget.value, props.timezone))
          }
        />
      </div>
      <label style={{ flex: '0 0 auto' }}>
        <input
          type="checkbox"
          style={{ width: 'auto' }}
          checked={allDay()}
          onChange={(event) => {
            const value = props.value;
            if (!value) return;
            const local = toInputValue(value, props.timezone);
            props.onSave(
              event.currentTarget.checked
                ? local.slice(0, 10)
                : fromInputValue(`${local.slice(0, 10)}T09:00`, props.timezone),
            );
          }}
        />{' '}
        All day
      </label>
    </div>
  );
}

/**
 * Skipping the open occurrence of a series: the task moves to the next occurrence (crdt), and
 * the connected calendar leaves that day out (EXDATE). Skipped days can be given back.
 */
function SkipOccurrence(props: {
  task: Task;
  timezone: string;
  onSkip: (patch: TaskPatch) => unknown;
}) {
  const anchor = () => props.task.dueDate ?? props.task.startDate;
  const skipped = () => props.task.recurrenceExceptions;
  return (
    <fieldset class="row occurrences" aria-label="Occurrences">
      <Show when={anchor()}>
        {(value) => (
          <button
            type="button"
            onClick={() => props.onSkip({ recurrenceExceptions: [...skipped(), value()] })}
          >
            Skip {formatDue(value(), props.timezone)}
          </button>
        )}
      </Show>
      <Show when={skipped().length > 0}>
        <span>
          {skipped().length === 1
            ? '1 occurrence skipped'
            : `${skipped().length} occurrences skipped`}
        </span>
        <button type="button" onClick={() => props.onSkip({ recurrenceExceptions: [] })}>
          Give skipped days back
        </button>
      </Show>
    </fieldset>
  );
}
