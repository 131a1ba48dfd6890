import { exportUserData } from '@tasks/crdt';
import { createResource, createSignal, For, Show } from 'solid-js';
import { ApiError } from '../session/session.js';
import { useWorkspace } from '../workspace-context.js';
import {
  call,
  download,
  type FeedState,
  type ImportReport,
  importTypeOf,
  type NewFeed,
  saveFile,
  type TokenBody,
  uploadImport,
} from './data-api.js';
import { monthsOfLocalDatabases, progressLabel } from './local-months.js';

const messageOf = (error: unknown) =>
  error instanceof ApiError && error.fields.length > 0
    ? error.fields.map((f) => `${f.field}: ${f.message}`).join('; ')
    : error instanceof Error
      ? error.message
      : String(error);

const today = () => new Date().toISOString().slice(0, 10);

/** Reads a file, telling how far it got (a large export takes a moment). */
function readWithProgress(file: File, onProgress: (loaded: number) => void): Promise<Blob> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onprogress = (event) => onProgress(event.loaded);
    reader.onerror = () => reject(reader.error ?? new Error('the file could not be read'));
    reader.onload = () => resolve(new Blob([reader.result as ArrayBuffer]));
    reader.readAsArrayBuffer(file);
  });
}

/**
 * Everything this device keeps, as our JSON export, saved as a file: built from the local replica
 * (crdt's exportUserData), so it works offline. Answers what to tell the user.
 */
async function exportFromThisDevice(workspace: ReturnType<typeof useWorkspace>): Promise<string> {
  try {
    // Every month this device keeps, opened first: the file then holds all its time entries.
    const names = (await indexedDB.databases?.())?.map((db) => db.name ?? '') ?? [];
    await workspace.replica.ensureMonths(monthsOfLocalDatabases(names, workspace.session().userId));
    const data = exportUserData(workspace.docs, { now: new Date() });
    saveFile(
      new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }),
      `tasks-export-${today()}.json`,
    );
    return `Exported ${data.tasks.length} tasks, ${data.projects.length} projects and ${data.timeEntries.length} time entries from this device.`;
  } catch (error) {
    return `The export failed: ${messageOf(error)}`;
  }
}

/** Settings → Import / Export: everything out (offline too), other apps' files in, with a report. */
export function ImportExportSettings() {
  const workspace = useWorkspace();
  const [status, setStatus] = createSignal('');
  const [progress, setProgress] = createSignal<string | null>(null);
  const [report, setReport] = createSignal<ImportReport | null>(null);

  const exportEverything = async () => {
    setStatus('Preparing the export…');
    setStatus(await exportFromThisDevice(workspace));
  };

  const downloadFile = async (path: string, name: string) => {
    setStatus('Downloading…');
    try {
      saveFile(await download(workspace.session(), path), name);
      setStatus(`Downloaded ${name}.`);
    } catch (error) {
      setStatus(messageOf(error));
    }
  };

  const importFile = async (file: File) => {
    setReport(null);
    const type = importTypeOf(file.name);
    if (!type) {
      setStatus('Choose our .json export, a Todoist .csv or an iCalendar .ics file.');
      return;
    }
    try {
      const body = await readWithProgress(file, (loaded) =>
        setProgress(progressLabel('reading', loaded, file.size)),
      );
      const result = await uploadImport(
        workspace.session(),
        { body, type, source: file.name.replace(/\.[^.]+$/, '') },
        (loaded, total) => setProgress(progressLabel('sending', loaded, total)),
      );
      setReport(result);
      setStatus(`Imported ${file.name}.`);
    } catch (error) {
      setStatus(`The import failed: ${messageOf(error)}`);
    } finally {
      setProgress(null);
    }
  };

  return (
    <section aria-labelledby="import-export-title">
      <h2 id="import-export-title">Import / Export</h2>
      <p>Your data is yours: take it all out, or bring it in from where you were.</p>
      <div class="row">
        <button type="button" onClick={() => void exportEverything()}>
          Export everything (JSON)
        </button>
        <button
          type="button"
          onClick={() => void downloadFile('/export?format=ics', `tasks-${today()}.ics`)}
        >
          Tasks as iCalendar (.ics)
        </button>
        <button
          type="button"
          onClick={() => void downloadFile('/time/entries?format=csv', `time-sheet-${today()}.csv`)}
        >
          Time sheet, last 30 days (CSV)
        </button>
      </div>
      <label for="import-file">
        Import a file: our export (.json), Todoist (.csv) or a calendar (.ics)
      </label>
      <input
        id="import-file"
        type="file"
        accept=".json,.csv,.ics,application/json,text/csv,text/calendar"
        onChange={(event) => {
          const file = event.currentTarget.files?.[0];
          if (file) void importFile(file);
          event.currentTarget.value = '';
        }}
      />
      <Show when={progress()}>
        {(label) => (
          <p role="status" aria-live="polite">
            {label()}
          </p>
        )}
      </Show>
      <p aria-live="polite">{status()}</p>
      <Show when={report()}>
        {(current) => (
          <section aria-label="Import report">
            <p>
              Imported {current().imported.tasks} tasks, {current().imported.projects} projects,{' '}
              {current().imported.tags} tags and {current().imported.time_entries} time entries;
              skipped {current().skipped.length}.
            </p>
            <ul>
              <For each={[...current().warnings, ...current().skipped].slice(0, 50)}>
                {(item) => (
                  <li>
                    {item.ref}: {item.reason}
                  </li>
                )}
              </For>
              <For each={current().moved_occurrences.slice(0, 50)}>
                {(item) => (
                  <li>
                    {item.ref}: moved, imported as a task of its own
                    {item.series_id ? '; its series skips the original date' : ''}
                  </li>
                )}
              </For>
            </ul>
          </section>
        )}
      </Show>
    </section>
  );
}

/** Settings → Calendar feed: the secret address calendar apps subscribe to. */
export function CalendarFeedSettings() {
  const workspace = useWorkspace();
  const [feed, { refetch }] = createResource(() =>
    call<FeedState>(workspace.session(), 'GET', '/ical-feed').catch(() => null),
  );
  const [address, setAddress] = createSignal<string | null>(null);
  const [status, setStatus] = createSignal('');
  const makeAddress = async () => {
    try {
      const made = await call<NewFeed>(workspace.session(), 'POST', '/ical-feed');
      setAddress(`${location.origin}${made.path}`);
      setStatus('Copy this address into your calendar app now: it is shown only once.');
      await refetch();
    } catch (error) {
      setStatus(messageOf(error));
    }
  };
  const turnOff = async () => {
    try {
      await call(workspace.session(), 'DELETE', '/ical-feed');
      setAddress(null);
      setStatus('The feed is off; its address no longer works.');
      await refetch();
    } catch (error) {
      setStatus(messageOf(error));
    }
  };
  return (
    <section aria-labelledby="feed-title">
      <h2 id="feed-title">Calendar feed</h2>
      <p>
        A secret address Google Calendar, Apple Calendar and Outlook can subscribe to: your dated
        tasks as events.
      </p>
      <Show
        when={feed()?.enabled}
        fallback={
          <button type="button" onClick={() => void makeAddress()}>
            Turn on the calendar feed
          </button>
        }
      >
        <div class="row">
          <button type="button" onClick={() => void makeAddress()}>
            New address (the old one stops)
          </button>
          <button type="button" class="danger" onClick={() => void turnOff()}>
            Turn off
          </button>
        </div>
      </Show>
      <Show when={address()}>
        {(url) => (
          <input
            type="text"
            readOnly
            aria-label="Calendar feed address"
            value={url()}
            onFocus={(event) => event.currentTarget.select()}
          />
        )}
      </Show>
      <p aria-live="polite">{status()}</p>
    </section>
  );
}

/** Settings → Account: name and email, password, sign out everywhere, delete the account. */
export function AccountSettings() {
  const workspace = useWorkspace();
  const [status, setStatus] = createSignal('');
  const [confirmDelete, setConfirmDelete] = createSignal(false);
  const session = () => workspace.session();
  const field = (form: HTMLFormElement, name: string) =>
    (form.elements.namedItem(name) as HTMLInputElement | null)?.value ?? '';

  const saveProfile = async (form: HTMLFormElement) => {
    const email = field(form, 'email').trim();
    const body: Record<string, string> = { full_name: field(form, 'full_name') };
    if (email && email !== session().email) {
      body.email = email;
      body.password = field(form, 'password');
    }
    try {
      await call(session(), 'PATCH', '/auth/me', body);
      if (body.email) workspace.renewSession({ ...session(), email: body.email });
      setStatus('Saved.');
    } catch (error) {
      setStatus(messageOf(error));
    }
  };

  const changePassword = async (form: HTMLFormElement) => {
    try {
      const next = await call<TokenBody>(session(), 'POST', '/auth/password', {
        current_password: field(form, 'current_password'),
        new_password: field(form, 'new_password'),
      });
      workspace.renewSession({
        ...session(),
        accessToken: next.access_token,
        refreshToken: next.refresh_token,
        expiresAt: Date.now() + next.expires_in * 1000,
      });
      form.reset();
      setStatus('Password changed. Every other device is signed out.');
    } catch (error) {
      setStatus(messageOf(error));
    }
  };

  const signOutEverywhere = async () => {
    try {
      await call(session(), 'POST', '/auth/logout-all');
      await workspace.forgetDevice();
    } catch (error) {
      setStatus(messageOf(error));
    }
  };

  const deleteAccount = async (form: HTMLFormElement) => {
    try {
      await call(session(), 'DELETE', '/auth/me', { password: field(form, 'delete_password') });
      await workspace.forgetDevice();
    } catch (error) {
      setStatus(messageOf(error));
    }
  };

  return (
    <section aria-labelledby="account-title">
      <h2 id="account-title">Account</h2>
      <p>Signed in as {session().email}.</p>
      <form
        aria-label="Profile"
        onSubmit={(event) => {
          event.preventDefault();
          void saveProfile(event.currentTarget);
        }}
      >
        <label for="account-name">Full name</label>
        <input id="account-name" name="full_name" autocomplete="name" />
        <label for="account-email">Email</label>
        <input id="account-email" name="email" type="email" value={session().email} />
        <label for="account-email-password">Password (to change the email)</label>
        <input
          id="account-email-password"
          name="password"
          type="password"
          autocomplete="current-password"
        />
        <button type="submit">Save profile</button>
      </form>
      <form
        aria-label="Change password"
        onSubmit={(event) => {
          event.preventDefault();
          void changePassword(event.currentTarget);
        }}
      >
        <label for="current-password">Current password</label>
        <input
          id="current-password"
          name="current_password"
          type="password"
          autocomplete="current-password"
        />
        <label for="new-password">New password (8 characters or more)</label>
        <input id="new-password" name="new_password" type="password" autocomplete="new-password" />
        <button type="submit">Change password</button>
      </form>
      <div class="row">
        <button type="button" class="danger" onClick={() => void workspace.signOut()}>
          Sign out
        </button>
        <button type="button" class="danger" onClick={() => void signOutEverywhere()}>
          Sign out everywhere
        </button>
      </div>
      <p>
        Signing out deletes this device’s copy of your data; it stays on the server and your other
        devices.
      </p>
      <Show
        when={confirmDelete()}
        fallback={
          <button type="button" class="danger" onClick={() => setConfirmDelete(true)}>
            Delete my account…
          </button>
        }
      >
        <form
          aria-label="Delete account"
          onSubmit={(event) => {
            event.preventDefault();
            void deleteAccount(event.currentTarget);
          }}
        >
          <p>
            This removes every task, project, time entry and calendar connection for good. Export
            everything first: nothing can bring it back.
          </p>
          <button
            type="button"
            onClick={async () => {
              setStatus('Preparing the export…');
              setStatus(await exportFromThisDevice(workspace));
            }}
          >
            Export my data first
          </button>
          <label for="delete-password">Your password</label>
          <input
            id="delete-password"
            name="delete_password"
            type="password"
            autocomplete="current-password"
          />
          <div class="row">
            <button type="submit" class="danger">
              Delete my account for good
            </button>
            <button type="button" onClick={() => setConfirmDelete(false)}>
              Keep it
            </button>
          </div>
        </form>
      </Show>
      <p aria-live="polite">{status()}</p>
    </section>
  );
}
