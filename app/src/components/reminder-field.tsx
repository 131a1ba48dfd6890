import {
  getSettings,
  type Reminder,
  reminderFireTime,
  reminderKey,
  type Task,
  updateTask,
  ValidationError,
} from '@tasks/crdt';
import { createMemo, createSignal, For, Show } from 'solid-js';
import { formatDue } from '../format.js';
import { useWorkspace } from '../workspace-context.js';
import {
  describeMinutesBefore,
  describeReminder,
  RELATIVE_REMINDER_CHOICES,
  type ReminderChoice,
  readReminderForm,
} from './reminder-text.js';

/**
 * A task's reminders in the editor: the list with when each fires, a remove button per reminder,
 * and a form adding one before the task's date (listed offsets or a custom number of minutes) or
 * at a date and time in the user's zone. Every write is `updateTask` with the new list, so the
 * crdt's rules (limits, keys, fire times) apply as they do for REST and quick add.
 */
export function ReminderField(props: { task: Task; timezone: string }) {
  const workspace = useWorkspace();
  const settings = createMemo(() => {
    workspace.replica.version();
    return getSettings(workspace.docs);
  });
  const isDated = () => (props.task.dueDate ?? props.task.startDate) !== null;
  const [chosen, setChosen] = createSignal<ReminderChoice>('15');
  // Without a date only an absolute reminder can fire.
  const choice = (): ReminderChoice => (isDated() ? chosen() : 'at');
  const [error, setError] = createSignal('');

  const write = (reminders: Reminder[]): boolean => {
    try {
      updateTask(workspace.docs, props.task.id, { reminders }, workspace.ctx);
      setError('');
      return true;
    } catch (thrown) {
      if (!(thrown instanceof ValidationError)) throw thrown;
      setError(thrown.fields.map((field) => field.message).join('; '));
      return false;
    }
  };

  const add = (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const field = (name: string) =>
      (form.elements.namedItem(name) as HTMLInputElement | null)?.value ?? '';
    const read = readReminderForm(
      { choice: choice(), minutes: field('minutes'), at: field('at') },
      props.timezone,
    );
    if ('error' in read) {
      setError(read.error);
      return;
    }
    if (!write([...props.task.reminders, read.reminder])) return;
    // Not form.reset(): that would also put the list back on its first choice behind Solid's back.
    for (const name of ['minutes', 'at']) {
      const input = form.elements.namedItem(name) as HTMLInputElement | null;
      if (input) input.value = '';
    }
  };

  const remove = (reminder: Reminder) => {
    const key = reminderKey(reminder);
    write(props.task.reminders.filter((kept) => reminderKey(kept) !== key));
  };

  const firesAt = (reminder: Reminder): string => {
    const at = reminderFireTime(props.task, reminder, settings());
    return at === null ? 'needs a due or start date' : formatDue(at, props.timezone);
  };

  return (
    <fieldset class="reminders">
      <legend>Reminders</legend>
      <Show
        when={props.task.reminders.length > 0}
        fallback={<p class="reminder-note">No reminders.</p>}
      >
        <ul aria-label="Task reminders">
          <For each={props.task.reminders}>
            {(reminder) => (
              <li class="row">
                <span>
                  {describeReminder(reminder, props.timezone)}
                  <Show when={'minutesBefore' in reminder}>
                    <span class="reminder-note"> · {firesAt(reminder)}</span>
                  </Show>
                </span>
                <button
                  type="button"
                  style={{ flex: '0 0 auto' }}
                  aria-label={`Remove reminder: ${describeReminder(reminder, props.timezone)}`}
                  onClick={() => remove(reminder)}
                >
                  Remove
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={!isDated()}>
        <p class="reminder-note" id="task-reminder-needs-date">
          Reminders before the task’s time need a due or start date; without one, remind at a date
          and time.
        </p>
      </Show>
      <form onSubmit={add}>
        <label for="task-reminder-choice">New reminder</label>
        <select
          id="task-reminder-choice"
          value={choice()}
          aria-describedby={isDated() ? undefined : 'task-reminder-needs-date'}
          onChange={(event) => {
            setChosen(event.currentTarget.value as ReminderChoice);
            setError('');
          }}
        >
          <For each={RELATIVE_REMINDER_CHOICES}>
            {(minutes) => (
              <option value={String(minutes)} disabled={!isDated()}>
                {describeMinutesBefore(minutes)}
              </option>
            )}
          </For>
          <option value="custom" disabled={!isDated()}>
            Minutes before…
          </option>
          <option value="at">At a date and time…</option>
        </select>
        <Show when={choice() === 'custom'}>
          <label for="task-reminder-minutes">Minutes before the task</label>
          <input id="task-reminder-minutes" name="minutes" type="number" min="0" step="1" />
        </Show>
        <Show when={choice() === 'at'}>
          <label for="task-reminder-at">Remind at ({props.timezone})</label>
          <input id="task-reminder-at" name="at" type="datetime-local" />
        </Show>
        <button type="submit">Add reminder</button>
        <Show when={error()}>
          <p role="alert" class="field-error">
            {error()}
          </p>
        </Show>
      </form>
    </fieldset>
  );
}
