import {
  CALENDAR_CONFLICT_KIND,
  completeTask,
  conflictDifferences,
  conflictRestorePatch,
  dismissInboxItem,
  getTask,
  getTimezone,
  type InboxItem,
  keepLosingVersion,
  listInbox,
  markInboxItemRead,
  readCalendarConflict,
  SNOOZE_MINUTES,
  snoozeReminder,
} from '@tasks/crdt';
import { createMemo, For, Show } from 'solid-js';
import { CONFLICT_FIELD_NAMES, conflictFieldText } from '../calendar/conflict-field-text.js';
import { useWorkspace } from '../workspace-context.js';

/** In-app notifications (sync conflicts, reminders), readable offline. */
export function InboxNotesView() {
  const workspace = useWorkspace();
  const items = createMemo(() => {
    workspace.replica.version();
    return listInbox(workspace.docs);
  });
  return (
    <section aria-labelledby="notes-title">
      <div class="view-header">
        <h1 id="notes-title">Notifications</h1>
      </div>
      <Show when={items().length > 0} fallback={<p>No notifications.</p>}>
        <ul aria-label="Notifications">
          <For each={items()}>
            {(item) => (
              <li class="card" data-read={item.readAt ? 'true' : 'false'}>
                <strong>{item.title}</strong>
                <Show when={item.body}>
                  <p>{item.body}</p>
                </Show>
                <Show when={item.kind === CALENDAR_CONFLICT_KIND}>
                  <ConflictDetails item={item} />
                </Show>
                <Show when={item.kind === 'reminder'}>
                  <ReminderActions item={item} />
                </Show>
                <p class="row">
                  <Show when={!item.readAt}>
                    <button
                      type="button"
                      onClick={() =>
                        workspace.act(() =>
                          markInboxItemRead(workspace.docs, item.id, workspace.ctx),
                        )
                      }
                    >
                      Mark read
                    </button>
                  </Show>
                  <button
                    type="button"
                    onClick={() => workspace.act(() => dismissInboxItem(workspace.docs, item.id))}
                  >
                    Dismiss
                  </button>
                </p>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  );
}

/** The task a reminder's payload names (written by the server's scheduler), or null. */
function reminderTaskId(payload: unknown): string | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const taskId = (payload as Record<string, unknown>).taskId;
  return typeof taskId === 'string' ? taskId : null;
}

/** A reminder: mark its task done, or snooze it; either reads the notification. */
function ReminderActions(props: { item: InboxItem }) {
  const workspace = useWorkspace();
  const task = createMemo(() => {
    workspace.replica.version();
    const taskId = reminderTaskId(props.item.payload);
    return taskId ? getTask(workspace.docs, taskId) : null;
  });
  const open = () => {
    const current = task();
    return current !== null && current.deletedAt === null && current.status !== 'COMPLETED';
  };
  return (
    <Show when={open()} fallback={<p>{task() ? 'Done.' : 'The task no longer exists.'}</p>}>
      <p class="row">
        <button
          type="button"
          onClick={() =>
            workspace.act(() => {
              completeTask(workspace.docs, task()?.id ?? '', workspace.ctx);
              markInboxItemRead(workspace.docs, props.item.id, workspace.ctx);
            })
          }
        >
          Done
        </button>
        <button
          type="button"
          onClick={() =>
            workspace.act(() => {
              snoozeReminder(workspace.docs, task()?.id ?? '', workspace.ctx);
              markInboxItemRead(workspace.docs, props.item.id, workspace.ctx);
              workspace.notify(`Reminds you again in ${SNOOZE_MINUTES} minutes.`);
            })
          }
        >
          Snooze {SNOOZE_MINUTES} min
        </button>
      </p>
    </Show>
  );
}

/** A calendar conflict: the task, who won, what the other version said, and keeping it. */
function ConflictDetails(props: { item: InboxItem }) {
  const workspace = useWorkspace();
  const conflict = createMemo(() => readCalendarConflict(props.item.payload));
  const task = createMemo(() => {
    workspace.replica.version();
    const current = conflict();
    return current ? getTask(workspace.docs, current.taskId) : null;
  });
  const timezone = createMemo(() => {
    workspace.replica.version();
    return getTimezone(workspace.docs);
  });
  const differences = createMemo(() => {
    const current = conflict();
    return current ? conflictDifferences(current, task()) : [];
  });
  const restore = createMemo(() => conflictRestorePatch(conflict(), task()));
  return (
    <Show
      when={conflict()}
      fallback={
        <p>Unreadable conflict: this notification cannot be read (another version wrote it).</p>
      }
    >
      {(current) => (
        <>
          <p>
            “{task()?.title ?? 'A task that no longer exists'}”: the{' '}
            {current().winner === 'task' ? 'task’s change' : 'calendar’s change'} was newer and was
            kept
            {current().losing.isDeletion
              ? '; the other version had moved the task to the trash.'
              : `. The ${current().losing.side === 'task' ? 'task’s' : 'calendar’s'} version would change:`}
          </p>
          <Show
            when={differences().length > 0}
            fallback={
              <p>
                {task()
                  ? 'The task already matches the other version.'
                  : 'The task was deleted for good: there is nothing to restore.'}
              </p>
            }
          >
            <dl class="conflict-fields" aria-label="Now → the other version">
              <For each={differences()}>
                {(difference) => (
                  <>
                    <dt>{CONFLICT_FIELD_NAMES[difference.field] ?? difference.field}</dt>
                    <dd>
                      {conflictFieldText(difference.field, difference.now, timezone())} →{' '}
                      {conflictFieldText(difference.field, difference.other, timezone())}
                    </dd>
                  </>
                )}
              </For>
            </dl>
          </Show>
          <p class="row">
            <button
              type="button"
              disabled={restore().kind !== 'trash' && restore().kind !== 'update'}
              onClick={() =>
                workspace.act(() => {
                  keepLosingVersion(workspace.docs, current(), workspace.ctx);
                  dismissInboxItem(workspace.docs, props.item.id);
                  workspace.notify('The other version is back; it syncs to the calendar.');
                })
              }
            >
              Keep the other version
            </button>
            <button
              type="button"
              onClick={() => workspace.act(() => dismissInboxItem(workspace.docs, props.item.id))}
            >
              Keep this one
            </button>
          </p>
        </>
      )}
    </Show>
  );
}
