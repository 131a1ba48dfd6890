import { getTimezone } from '@tasks/crdt';
import { createResource, createSignal, For, onMount, Show } from 'solid-js';
import { useWorkspace } from '../workspace-context.js';
import { call } from './data-api.js';

interface DeletedTask {
  task_id: string;
  title: string;
  deleted_at: string;
  version: number;
}

let scrollOnMount = false;

/** For a link to the settings (the trash's): the section scrolls into view once shown. */
export function scrollToRecentlyDeleted(): void {
  scrollOnMount = true;
}

/**
 * Settings → Recently deleted: tasks gone from the document (emptied from the trash after 30
 * days, or removed by a device) that the server's history still knows, each with "Restore"
 * (its last version, as a new change that reaches every device).
 */
export function RecentlyDeletedSettings() {
  const workspace = useWorkspace();
  const [status, setStatus] = createSignal('');
  const [deleted, { refetch }] = createResource(() =>
    call<{ items: DeletedTask[]; total: number }>(
      workspace.session(),
      'GET',
      '/tasks/history/deleted?limit=50',
    ).catch((error: Error) => {
      setStatus(error.message);
      return null;
    }),
  );
  const when = (iso: string) =>
    new Date(iso).toLocaleString(undefined, {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: getTimezone(workspace.docs),
    });
  const restore = async (task: DeletedTask) => {
    try {
      await call(
        workspace.session(),
        'POST',
        `/tasks/${encodeURIComponent(task.task_id)}/history/${task.version}/restore`,
      );
      setStatus(`Restored “${task.title}”.`);
      await refetch();
    } catch (error) {
      setStatus((error as Error).message);
    }
  };
  let heading: HTMLHeadingElement | undefined;
  onMount(() => {
    if (scrollOnMount) heading?.scrollIntoView();
    scrollOnMount = false;
  });
  return (
    <section aria-labelledby="recently-deleted-title">
      <h2 id="recently-deleted-title" ref={heading}>
        Recently deleted
      </h2>
      <p>
        Tasks no longer in the trash (emptied after 30 days, or removed on a device), from the
        history the server keeps.
      </p>
      <div class="row">
        <button type="button" onClick={() => void refetch()}>
          Refresh the list
        </button>
      </div>
      <Show when={deleted()?.items.length === 0}>
        <p>Nothing deleted beyond the trash.</p>
      </Show>
      <ul aria-label="Recently deleted tasks">
        <For each={deleted()?.items ?? []}>
          {(task) => (
            <li class="row">
              <span>
                {task.title} <small>deleted {when(task.deleted_at)}</small>
              </span>
              <button
                type="button"
                style={{ flex: '0 0 auto' }}
                aria-label={`Restore ${task.title}`}
                onClick={() => void restore(task)}
              >
                Restore
              </button>
            </li>
          )}
        </For>
      </ul>
      <Show when={(deleted()?.total ?? 0) > (deleted()?.items.length ?? 0)}>
        <p>The 50 most recently deleted of {deleted()?.total} are shown.</p>
      </Show>
      <p aria-live="polite">{status()}</p>
    </section>
  );
}
