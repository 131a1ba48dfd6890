import { getSettings, updateSettings } from '@tasks/crdt';
import { createMemo, createResource, createSignal, For, onCleanup, onMount, Show } from 'solid-js';
import { useWorkspace } from '../workspace-context.js';
import { type Connection, type ConnectionList, calendarApi } from './calendar-api.js';
import {
  ConnectCalendarForms,
  goToConsent,
  messageOf,
  PROVIDER_LABELS,
} from './connect-calendar-forms.js';
import { lastSyncLabel } from './last-sync-label.js';
import { readCallback } from './oauth-flow.js';
import { describeSyncJob, pollSyncJob } from './sync-job-poll.js';

const JOB_POLL_MS = 1000;
const JOB_WATCH_MS = 120_000;

const STATUS_WORDS: Record<Connection['sync_status'], string> = {
  PENDING: 'waiting for its first sync',
  SUCCESS: 'success',
  FAILED: 'failed',
};

/**
 * Settings → Calendar connections: the connected calendars with their state, "Sync now", pause,
 * event deletion, disconnect; connecting another; and which calendar events become tasks.
 */
export function CalendarConnections(props: { connections: ConnectionList }) {
  const workspace = useWorkspace();
  const session = () => workspace.session();
  const [status, setStatus] = createSignal('');
  /** Progress of "Sync now" per connection id, kept across refetches of the list. */
  const [progress, setProgress] = createSignal<Record<string, string>>({});
  const [syncing, setSyncing] = createSignal<ReadonlySet<string>>(new Set());
  /** The CalDAV connection whose password the form below asks for again (Reconnect). */
  const [renewing, setRenewing] = createSignal<Connection | null>(null);
  const connections = () => props.connections.list();
  const refetch = () => props.connections.refetch();
  const [providers] = createResource(() => calendarApi.providers(session()));
  const settings = createMemo(() => {
    workspace.replica.version();
    return getSettings(workspace.docs);
  });
  let isLeft = false;
  onCleanup(() => {
    isLeft = true;
  });

  /**
   * The session with a live access token. Back from a long stay on the consent page the token
   * may have run out; the workspace renews it on its next tick (every second), so wait a little
   * for that rather than spend the one-time code on a 401.
   */
  async function freshSession() {
    for (let tries = 0; tries < 20 && session().expiresAt <= Date.now() + 5_000; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return session();
  }

  // Back from the provider's consent page (workspace-view sent us here): finish connecting.
  onMount(() => {
    const result = readCallback(location.search, sessionStorage);
    if (result.kind === 'none') return;
    history.replaceState(null, '', `${location.pathname}#/settings`);
    if (result.kind === 'error') {
      setStatus(result.message);
      return;
    }
    const { pending, code } = result;
    const label = PROVIDER_LABELS[pending.provider];
    const renewal = pending.connectionId;
    setStatus(`Connecting ${label}…`);
    freshSession()
      .then((current) =>
        calendarApi.connect(current, {
          ...(renewal === undefined ? {} : { connection_id: renewal }),
          provider: pending.provider,
          authorization_code: code,
          redirect_uri: pending.redirectUri,
          calendar_id: pending.calendarId,
          code_verifier: pending.verifier,
        }),
      )
      .then(
        () => {
          setStatus(
            renewal === undefined
              ? `${label} connected. The first sync has started.`
              : `${label} reconnected. Syncing again.`,
          );
          void refetch();
        },
        (error: unknown) => setStatus(`Could not connect ${label}: ${messageOf(error)}`),
      );
  });

  /**
   * Renews a failed connection: Google and Outlook through their consent page again, CalDAV
   * through the form below with a new password. The server keeps the connection and its links.
   */
  function reconnect(connection: Connection) {
    if (connection.provider === 'ICAL') {
      setRenewing(connection);
      setStatus(`Enter the password for ${connection.username ?? 'this calendar'} again below.`);
      return;
    }
    const info = providers()?.find((candidate) => candidate.provider === connection.provider);
    if (!info?.configured) {
      setStatus(`${PROVIDER_LABELS[connection.provider]} is not configured on this server.`);
      return;
    }
    void goToConsent(info, connection.calendar_id, setStatus, connection.id);
  }

  const setSyncingOf = (id: string, isSyncing: boolean) =>
    setSyncing((all) => {
      const next = new Set(all);
      if (isSyncing) next.add(id);
      else next.delete(id);
      return next;
    });
  const showProgress = (id: string, text: string) => setProgress((all) => ({ ...all, [id]: text }));

  async function syncNow(connection: Connection) {
    const label = PROVIDER_LABELS[connection.provider];
    setSyncingOf(connection.id, true);
    showProgress(connection.id, `${label}: asking for a sync…`);
    try {
      const { status_url } = await calendarApi.sync(session(), connection.id);
      const job = await pollSyncJob(() => calendarApi.job(session(), status_url), {
        intervalMs: JOB_POLL_MS,
        timeoutMs: JOB_WATCH_MS,
        isCancelled: () => isLeft,
        onProgress: (current) => showProgress(connection.id, describeSyncJob(current, label)),
      });
      if (!job && !isLeft) {
        showProgress(connection.id, `${label} is still syncing; the list shows the result later.`);
      }
    } catch (error) {
      showProgress(connection.id, `Sync of ${label} failed: ${messageOf(error)}`);
    } finally {
      setSyncingOf(connection.id, false);
    }
    if (!isLeft) void refetch();
  }

  async function change(connection: Connection, patch: Parameters<typeof calendarApi.update>[2]) {
    try {
      await calendarApi.update(session(), connection.id, patch);
    } catch (error) {
      setStatus(messageOf(error));
    }
    void refetch();
  }

  async function disconnect(connection: Connection) {
    const label = PROVIDER_LABELS[connection.provider];
    if (
      !confirm(
        `Disconnect ${label} (${connection.calendar_id})? Its events stay in ${label}; your tasks stay here.`,
      )
    )
      return;
    try {
      await calendarApi.disconnect(session(), connection.id);
      setStatus(`${label} disconnected.`);
    } catch (error) {
      setStatus(messageOf(error));
    }
    void refetch();
  }

  return (
    <>
      <h2>Calendar connections</h2>
      <p role="status" aria-live="polite" class="calendar-status">
        {status()}
      </p>
      <Show when={props.connections.list.error}>
        <p class="field-error">{messageOf(props.connections.list.error)}</p>
      </Show>
      <Show when={(connections() ?? []).length > 0} fallback={<p>No calendars connected.</p>}>
        <ul aria-label="Connected calendars">
          <For each={connections()}>
            {(connection) => (
              <li class="card" data-status={connection.sync_status}>
                <strong>
                  {PROVIDER_LABELS[connection.provider]} — {connection.calendar_id}
                </strong>
                <Show when={connection.provider === 'ICAL' && connection.server_url}>
                  <span> on {connection.server_url}</span>
                </Show>
                <p>
                  {connection.sync_enabled ? STATUS_WORDS[connection.sync_status] : 'paused'} · last
                  sync{' '}
                  <time datetime={connection.last_sync_at ?? undefined}>
                    {lastSyncLabel(connection.last_sync_at, workspace.now(), settings().timezone)}
                  </time>
                </p>
                <Show when={connection.sync_status === 'FAILED'}>
                  <p class="field-error">Last error: {connection.sync_error ?? 'unknown'}</p>
                  <p class="row">
                    <button type="button" onClick={() => reconnect(connection)}>
                      Reconnect
                    </button>
                    <span>keeps this calendar’s links: nothing is sent twice</span>
                  </p>
                </Show>
                <p role="status" aria-live="polite">
                  {progress()[connection.id] ?? ''}
                </p>
                <label class="row" style={{ color: 'inherit', 'font-size': 'inherit' }}>
                  <input
                    type="checkbox"
                    style={{ flex: '0 0 auto', width: 'auto' }}
                    checked={connection.sync_delete_enabled}
                    onChange={(event) =>
                      void change(connection, { sync_delete_enabled: event.currentTarget.checked })
                    }
                  />
                  <span>Deleting a task deletes its event</span>
                </label>
                <p class="row">
                  <button
                    type="button"
                    disabled={!connection.sync_enabled || syncing().has(connection.id)}
                    aria-busy={syncing().has(connection.id) ? 'true' : undefined}
                    onClick={() => void syncNow(connection)}
                  >
                    Sync now
                  </button>
                  <button
                    type="button"
                    onClick={() =>
                      void change(connection, { sync_enabled: !connection.sync_enabled })
                    }
                  >
                    {connection.sync_enabled ? 'Pause' : 'Resume'}
                  </button>
                  <button type="button" class="danger" onClick={() => void disconnect(connection)}>
                    Disconnect
                  </button>
                </p>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={providers.error}>
        <p class="field-error">
          The calendar providers could not be listed: {messageOf(providers.error)}
        </p>
      </Show>
      <ConnectCalendarForms
        providers={providers() ?? []}
        renewing={renewing()}
        onConnected={() => {
          setRenewing(null);
          void refetch();
        }}
        setStatus={setStatus}
      />
      <h3>Calendar events become tasks</h3>
      <label for="calendar-import">Events from your calendars that were not made here</label>
      <select
        id="calendar-import"
        value={settings().calendarImport}
        onChange={(event) =>
          workspace.act(() =>
            updateSettings(workspace.docs, {
              calendarImport: event.currentTarget.value as 'none' | 'all' | 'keyword',
            }),
          )
        }
      >
        <option value="none">stay events (shown in the calendar)</option>
        <option value="all">all become tasks</option>
        <option value="keyword">become tasks when they contain a keyword</option>
      </select>
      <Show when={settings().calendarImport === 'keyword'}>
        <label for="calendar-import-keyword">Keyword</label>
        <input
          id="calendar-import-keyword"
          value={settings().calendarImportKeyword}
          onChange={(event) =>
            workspace.act(() =>
              updateSettings(workspace.docs, { calendarImportKeyword: event.currentTarget.value }),
            )
          }
        />
      </Show>
    </>
  );
}
