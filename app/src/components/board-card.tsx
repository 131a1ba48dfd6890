import { isDateOnly, TASK_STATUSES, type Task, type TaskStatus } from '@tasks/crdt';
import { DateTime } from 'luxon';
import { For, Show } from 'solid-js';

/** The MIME type a dragged task card carries: its id. */
export const BOARD_DRAG_TYPE = 'application/x-task-id';

export const STATUS_LABELS: Record<TaskStatus, string> = {
  TODO: 'To do',
  IN_PROGRESS: 'In progress',
  COMPLETED: 'Completed',
  CANCELLED: 'Cancelled',
};

const PRIORITY_LABELS: Record<Task['priority'], string> = {
  LOW: 'Low',
  MEDIUM: 'Medium',
  HIGH: 'High',
  URGENT: 'Urgent',
};

/** A due date as the user reads it: the date alone (all-day), or the date and local time. */
export function formatDue(value: string, timezone: string): string {
  if (isDateOnly(value)) {
    return DateTime.fromISO(value, { zone: 'UTC' }).toLocaleString({
      day: 'numeric',
      month: 'short',
      year: 'numeric',
    });
  }
  return DateTime.fromISO(value, { zone: 'utc' }).setZone(timezone).toLocaleString({
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

const titleButtonStyle = {
  border: '0',
  background: 'none',
  padding: '0',
  'text-align': 'left',
  'font-weight': '600',
  width: '100%',
  'overflow-wrap': 'anywhere',
} as const;

/** One task on the board: title (opens the editor), badges, and a status picker. */
export function BoardCard(props: {
  task: Task;
  timezone: string;
  tagNames: ReadonlyMap<string, string>;
  onOpen: (id: string) => void;
  onStatus: (task: Task, status: TaskStatus) => void;
}) {
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: the title button is the keyboard path; the whole card is a larger pointer target.
    <article
      class="card"
      draggable="true"
      data-task-id={props.task.id}
      data-status={props.task.status}
      aria-label={props.task.title}
      onDragStart={(event) => {
        if (!event.dataTransfer) return;
        event.dataTransfer.effectAllowed = 'move';
        event.dataTransfer.setData(BOARD_DRAG_TYPE, props.task.id);
        event.dataTransfer.setData('text/plain', props.task.title);
      }}
      onClick={(event) => {
        // The status picker is a control of its own.
        if ((event.target as HTMLElement).closest('select')) return;
        props.onOpen(props.task.id);
      }}
    >
      <button type="button" style={titleButtonStyle}>
        {props.task.title}
      </button>
      <div style={{ display: 'flex', 'flex-wrap': 'wrap', gap: '0.25rem', margin: '0.3rem 0' }}>
        <span class={`badge ${props.task.priority}`}>
          <span class="visually-hidden">Priority </span>
          {PRIORITY_LABELS[props.task.priority]}
        </span>
        <Show when={props.task.dueDate}>
          {(due) => (
            <span class="badge">
              Due <time datetime={due()}>{formatDue(due(), props.timezone)}</time>
            </span>
          )}
        </Show>
        <For each={props.task.tags}>
          {(key) => <span class="badge">#{props.tagNames.get(key) ?? key}</span>}
        </For>
      </div>
      <select
        aria-label={`Status of ${props.task.title}`}
        onChange={(event) => {
          const select = event.currentTarget;
          props.onStatus(props.task, select.value as TaskStatus);
          // A refused write leaves the task where it was: show that.
          select.value = props.task.status;
        }}
      >
        <For each={TASK_STATUSES}>
          {(status) => (
            <option value={status} selected={props.task.status === status}>
              {STATUS_LABELS[status]}
            </option>
          )}
        </For>
      </select>
    </article>
  );
}
