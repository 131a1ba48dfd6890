import {
  CALENDAR_CONFLICT_KIND,
  conflictDifferences,
  dismissInboxItem,
  getTask,
  type InboxItem,
  keepLosingVersion,
  listInbox,
  markInboxItemRead,
  readCalendarConflict,
} from '@tasks/crdt';
import { createMemo, For, Show } from 'solid-js';
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

const FIELD_NAMES: Record<string, string> = {
  title: 'Title',
  description: 'Description',
  startDate: 'Start',
  dueDate: 'Due',
  priority: 'Priority',
  recurrenceRule: 'Repeats',
  estimatedDuration: 'Estimate (min)',
  deleted: 'Deleted',
};

const shown = (value: unknown) =>
  value === null || value === undefined || value === '' ? '—' : String(value);

/** A calendar conflict: the task, who won, what the other version said, and keeping it. */
function ConflictDetails(props: { item: InboxItem }) {
  const workspace = useWorkspace();
  const conflict = createMemo(() => readCalendarConflict(props.item.payload));
  const task = createMemo(() => {
    workspace.replica.version();
    const current = conflict();
    return current ? getTask(workspace.docs, current.taskId) : null;
  });
  return (
    <Show
      when={conflict()}
      fallback={<p>This conflict cannot be read (written by another version).</p>}
    >
      {(current) => (
        <>
          <p>
            “{task()?.title ?? 'A deleted task'}”: the{' '}
            {current().winner === 'task' ? 'change made here' : 'calendar’s change'} was newer and
            was kept. The other version:
          </p>
          <dl class="conflict-fields">
            <For each={conflictDifferences(current(), task())}>
              {(difference) => (
                <>
                  <dt>{FIELD_NAMES[difference.field] ?? difference.field}</dt>
                  <dd>
                    {shown(difference.other)} (now {shown(difference.now)})
                  </dd>
                </>
              )}
            </For>
          </dl>
          <p class="row">
            <button
              type="button"
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
