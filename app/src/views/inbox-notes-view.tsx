import { dismissInboxItem, listInbox, markInboxItemRead } from '@tasks/crdt';
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
