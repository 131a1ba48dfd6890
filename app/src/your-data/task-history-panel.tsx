import { getTimezone } from '@tasks/crdt';
import { createResource, createSignal, For, Show } from 'solid-js';
import { useWorkspace } from '../workspace-context.js';
import { call } from './data-api.js';

interface Version {
  version: number;
  recorded_at: string;
  devices: string[];
  changes: { field: string; before: unknown; after: unknown }[];
}

const shown = (value: unknown) =>
  value === null || value === undefined || value === ''
    ? '—'
    : Array.isArray(value)
      ? value.join(', ') || '—'
      : String(value);

/** Who wrote a version: this device, another device, or the server (REST, calendar sync). */
function whoWrote(devices: readonly string[], thisDevice: string): string {
  const names = devices.map((device) =>
    device === thisDevice ? 'this device' : device === 'server' ? 'the server' : `device ${device}`,
  );
  return names.join(' and ');
}

/** The task editor's history: earlier versions from the server, each with "Restore". */
export function TaskHistoryPanel(props: { taskId: string }) {
  const workspace = useWorkspace();
  const [open, setOpen] = createSignal(false);
  const [status, setStatus] = createSignal('');
  const [versions, { refetch }] = createResource(
    () => (open() ? props.taskId : null),
    (id) =>
      call<{ items: Version[] }>(workspace.session(), 'GET', `/tasks/${id}/history`)
        .then((body) => body.items)
        .catch((error: Error) => {
          setStatus(error.message);
          return [];
        }),
  );
  const restore = async (version: number) => {
    try {
      await call(workspace.session(), 'POST', `/tasks/${props.taskId}/history/${version}/restore`);
      setStatus(`Restored version ${version}.`);
      await refetch();
    } catch (error) {
      setStatus((error as Error).message);
    }
  };
  return (
    <section aria-label="History">
      <button type="button" onClick={() => setOpen(!open())} aria-expanded={open()}>
        {open() ? 'Hide history' : 'History'}
      </button>
      <Show when={open()}>
        <ol class="history">
          <For each={versions() ?? []}>
            {(item, index) => (
              <li>
                <p>
                  Version {item.version},{' '}
                  {new Date(item.recorded_at).toLocaleString(undefined, {
                    dateStyle: 'medium',
                    timeStyle: 'short',
                    timeZone: getTimezone(workspace.docs),
                  })}
                  , by {whoWrote(item.devices, String(workspace.docs.main.clientID))}
                </p>
                <ul>
                  <For each={item.changes}>
                    {(change) => (
                      <li>
                        {change.field}: {shown(change.before)} → {shown(change.after)}
                      </li>
                    )}
                  </For>
                </ul>
                <Show when={index() > 0}>
                  <button type="button" onClick={() => void restore(item.version)}>
                    Restore version {item.version}
                  </button>
                </Show>
              </li>
            )}
          </For>
        </ol>
      </Show>
      <p aria-live="polite">{status()}</p>
    </section>
  );
}
