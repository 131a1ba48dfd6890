import { getSettings, updateSettings } from '@tasks/crdt';
import { createMemo, createResource, createSignal, For, onMount, Show } from 'solid-js';
import { ApiError } from '../session/session.js';
import { useWorkspace } from '../workspace-context.js';
import { type Connection, calendarApi, type ProviderInfo } from './calendar-api.js';
import { authorizationRedirect, readCallback } from './oauth-flow.js';

const LABELS: Record<Connection['provider'], string> = {
  GOOGLE: 'Google Calendar',
  MICROSOFT: 'Outlook',
  ICAL: 'CalDAV',
};
const DEFAULT_CALENDAR: Record<'GOOGLE' | 'MICROSOFT', string> = {
  GOOGLE: 'primary',
  MICROSOFT: 'calendar',
};
const JOB_POLL_MS = 1000;
const JOB_WAIT_MS = 120_000;

function ago(iso: string | null, now: Date): string {
  if (!iso) return 'never';
  const minutes = Math.round((now.getTime() - Date.parse(iso)) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h ago` : new Date(iso).toLocaleString();
}

const messageOf = (error: unknown) =>
  error instanceof Error ? error.message : 'Something went wrong.';

/**
 * Settings → Calendar connections: the connected calendars with their state, "Sync now", pause,
 * event deletion, disconnect; connecting Google or Outlook (OAuth redirect with PKCE) or a
 * CalDAV calendar (a form the server checks); and which calendar events become tasks.
 */
export function CalendarConnections() {
  const workspace = useWorkspace();
  const session = () => workspace.session();
  const [status, setStatus] = createSignal('');
  const [connections, { refetch }] = createResource(() => calendarApi.connections(session()));
  const [providers] = createResource(() => calendarApi.providers(session()));
  const settings = createMemo(() => {
    workspace.replica.version();
    return getSettings(workspace.docs);
  });

  // Back from the provider's consent page: finish connecting.
  onMount(() => {
    const result = readCallback(location.search, sessionStorage);
    if (result.kind === 'none') return;
    history.replaceState(null, '', `${location.pathname}#/settings`);
    if (result.kind === 'error') {
      setStatus(result.message);
      return;
    }
    const { pending, code } = result;
    setStatus(`Connecting ${LABELS[pending.provider]}…`);
    calendarApi
      .connect(session(), {
        provider: pending.provider,
        authorization_code: code,
        redirect_uri: pending.redirectUri,
        calendar_id: pending.calendarId,
        code_verifier: pending.verifier,
      })
      .then(
        () => {
          setStatus(`${LABELS[pending.provider]} connected. The first sync has started.`);
          void refetch();
        },
        (error: unknown) => setStatus(`Could not connect: ${messageOf(error)}`),
      );
  });

  async function syncNow(connection: Connection) {
    try {
      const { status_url } = await calendarApi.sync(session(), connection.id);
      setStatus(`Syncing ${LABELS[connection.provider]}…`);
      const deadline = Date.now() + JOB_WAIT_MS;
      while (Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, JOB_POLL_MS));
        const job = await calendarApi.job(session(), status_url);
        if (job.state === 'succeeded') {
          setStatus(`${LABELS[connection.provider]} is in sync.`);
          break;
        }
        if (job.state === 'failed') {
          setStatus(`Sync failed: ${job.error ?? 'unknown error'}`);
          break;
        }
      }
    } catch (error) {
      setStatus(messageOf(error));
    }
    void refetch();
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
    const label = LABELS[connection.provider];
    if (!confirm(`Disconnect ${label} (${connection.calendar_id})? Its events stay in ${label}.`))
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
      <Show when={connections.error}>
        <p class="field-error">{messageOf(connections.error)}</p>
      </Show>
      <Show when={(connections() ?? []).length > 0} fallback={<p>No calendars connected.</p>}>
        <ul aria-label="Connected calendars">
          <For each={connections()}>
            {(connection) => (
              <li class="card" data-status={connection.sync_status}>
                <strong>
                  {LABELS[connection.provider]} — {connection.calendar_id}
                </strong>
                <p>
                  {connection.sync_enabled ? connection.sync_status.toLowerCase() : 'paused'} · last
                  sync {ago(connection.last_sync_at, workspace.now())}
                </p>
                <Show when={connection.sync_status === 'FAILED' && connection.sync_error}>
                  <p class="field-error">
                    {connection.sync_error}
                    {connection.provider === 'ICAL'
                      ? ''
                      : ' Connect it again below to renew access.'}
                  </p>
                </Show>
                <label>
                  <input
                    type="checkbox"
                    checked={connection.sync_delete_enabled}
                    onChange={(event) =>
                      void change(connection, { sync_delete_enabled: event.currentTarget.checked })
                    }
                  />{' '}
                  Deleting a task deletes its event
                </label>
                <p class="row">
                  <button
                    type="button"
                    disabled={!connection.sync_enabled}
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
      <ConnectForms
        providers={providers() ?? []}
        onConnected={() => void refetch()}
        setStatus={setStatus}
      />
      <h3>Calendar events that become tasks</h3>
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

function ConnectForms(props: {
  providers: ProviderInfo[];
  onConnected: () => void;
  setStatus: (text: string) => void;
}) {
  const workspace = useWorkspace();
  const [calendarIds, setCalendarIds] = createSignal<Record<string, string>>({});
  const [fieldErrors, setFieldErrors] = createSignal<Record<string, string>>({});
  const [busy, setBusy] = createSignal(false);
  let serverUrl!: HTMLInputElement;
  let username!: HTMLInputElement;
  let password!: HTMLInputElement;
  let calendarPath!: HTMLInputElement;

  async function startOAuth(info: ProviderInfo) {
    if (info.provider === 'ICAL' || !info.configured) return;
    const calendarId = calendarIds()[info.provider] || DEFAULT_CALENDAR[info.provider];
    location.assign(await authorizationRedirect(info, calendarId, location.origin, sessionStorage));
  }

  async function connectCaldav(event: SubmitEvent) {
    event.preventDefault();
    setFieldErrors({});
    setBusy(true);
    try {
      await calendarApi.connect(workspace.session(), {
        provider: 'ICAL',
        server_url: serverUrl.value.trim(),
        username: username.value,
        password: password.value,
        calendar_id: calendarPath.value.trim(),
      });
      password.value = '';
      props.setStatus('CalDAV calendar connected. The first sync has started.');
      props.onConnected();
    } catch (error) {
      if (error instanceof ApiError && error.fields.length > 0) {
        setFieldErrors(Object.fromEntries(error.fields.map((f) => [f.field, f.message])));
        props.setStatus('Check the fields marked below.');
      } else {
        props.setStatus(`Could not connect: ${messageOf(error)}`);
      }
    } finally {
      setBusy(false);
    }
  }

  const fieldError = (field: string) => (
    <Show when={fieldErrors()[field]}>
      <span class="field-error" id={`caldav-${field}-error`}>
        {fieldErrors()[field]}
      </span>
    </Show>
  );

  return (
    <>
      <h3>Connect a calendar</h3>
      <For each={props.providers.filter((p) => p.provider !== 'ICAL')}>
        {(info) => {
          const provider = info.provider as 'GOOGLE' | 'MICROSOFT';
          return (
            <div class="row">
              <label for={`calendar-id-${provider}`}>{LABELS[provider]} calendar</label>
              <input
                id={`calendar-id-${provider}`}
                placeholder={DEFAULT_CALENDAR[provider]}
                disabled={!info.configured}
                onInput={(event) =>
                  setCalendarIds((all) => ({
                    ...all,
                    [provider]: event.currentTarget.value.trim(),
                  }))
                }
              />
              <button
                type="button"
                disabled={!info.configured}
                onClick={() => void startOAuth(info)}
              >
                Connect {LABELS[provider]}
              </button>
              <Show when={!info.configured}>
                <span>not configured on this server</span>
              </Show>
            </div>
          );
        }}
      </For>
      <form aria-label="Connect a CalDAV calendar" onSubmit={(event) => void connectCaldav(event)}>
        <label for="caldav-server_url">CalDAV server URL</label>
        <input
          id="caldav-server_url"
          ref={serverUrl}
          type="url"
          required
          placeholder="https://dav.example.com/"
        />
        {fieldError('server_url')}
        <label for="caldav-username">User name</label>
        <input id="caldav-username" ref={username} required autocomplete="username" />
        {fieldError('username')}
        <label for="caldav-password">Password</label>
        <input
          id="caldav-password"
          ref={password}
          type="password"
          required
          autocomplete="current-password"
        />
        {fieldError('password')}
        <label for="caldav-calendar_id">Calendar path</label>
        <input id="caldav-calendar_id" ref={calendarPath} required placeholder="/alice/calendar/" />
        {fieldError('calendar_id')}
        <button type="submit" disabled={busy()}>
          Connect CalDAV calendar
        </button>
      </form>
    </>
  );
}
