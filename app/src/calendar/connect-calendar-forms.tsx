import { createEffect, createSignal, For, type JSX, Show } from 'solid-js';
import { ApiError } from '../session/session.js';
import { useWorkspace } from '../workspace-context.js';
import {
  type CalendarProviderName,
  type Connection,
  calendarApi,
  type ProviderInfo,
} from './calendar-api.js';
import { authorizationRedirect } from './oauth-flow.js';

export const PROVIDER_LABELS: Record<CalendarProviderName, string> = {
  GOOGLE: 'Google Calendar',
  MICROSOFT: 'Outlook',
  ICAL: 'CalDAV',
};

/** The calendar an OAuth connection syncs unless the user names another. */
const DEFAULT_CALENDAR: Record<'GOOGLE' | 'MICROSOFT', string> = {
  GOOGLE: 'primary',
  MICROSOFT: 'calendar',
};

/** The CalDAV form's inputs, named as the server names them in a 422's `fields`. */
const FORM_FIELDS: ReadonlySet<string> = new Set([
  'server_url',
  'username',
  'password',
  'calendar_id',
]);

export const messageOf = (error: unknown) =>
  error instanceof Error ? error.message : 'Something went wrong.';

/**
 * Sends the browser to the provider's consent page for `calendarId`; with `connectionId`, the
 * connection the callback renews (Reconnect).
 */
export async function goToConsent(
  info: ProviderInfo,
  calendarId: string,
  setStatus: (text: string) => void,
  connectionId?: string,
): Promise<void> {
  if (info.provider === 'ICAL' || !info.configured) return;
  try {
    location.assign(
      await authorizationRedirect(info, calendarId, location.origin, sessionStorage, connectionId),
    );
  } catch (error) {
    // No crypto.subtle outside a secure context (plain http), or a malformed provider URL.
    setStatus(`Could not start connecting ${PROVIDER_LABELS[info.provider]}: ${messageOf(error)}`);
  }
}

/**
 * Connecting a calendar: Google or Outlook through the provider's consent page (the OAuth
 * redirect, finished by `finishCalendarCallback` when the browser comes back), a CalDAV calendar
 * through a form the server checks; its field errors show beside the fields.
 */
export function ConnectCalendarForms(props: {
  providers: ProviderInfo[];
  /** A CalDAV connection to renew with a new password (Reconnect), or null. */
  renewing: Connection | null;
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

  const startOAuth = (info: ProviderInfo) =>
    goToConsent(
      info,
      calendarIds()[info.provider] ||
        DEFAULT_CALENDAR[info.provider as keyof typeof DEFAULT_CALENDAR],
      props.setStatus,
    );

  // Reconnecting a CalDAV calendar: its server, user and path filled in, the password asked.
  createEffect(() => {
    const renewing = props.renewing;
    if (!renewing) return;
    serverUrl.value = renewing.server_url ?? '';
    username.value = renewing.username ?? '';
    calendarPath.value = renewing.calendar_id;
    password.value = '';
    password.focus();
  });

  async function connectCaldav(event: SubmitEvent) {
    event.preventDefault();
    setFieldErrors({});
    setBusy(true);
    props.setStatus('Checking the CalDAV calendar…');
    try {
      const renewing = props.renewing;
      await calendarApi.connect(workspace.session(), {
        ...(renewing ? { connection_id: renewing.id } : {}),
        provider: 'ICAL',
        server_url: serverUrl.value.trim(),
        username: username.value,
        password: password.value,
        calendar_id: calendarPath.value.trim(),
      });
      password.value = '';
      props.setStatus(
        renewing
          ? 'CalDAV calendar reconnected. Syncing again.'
          : 'CalDAV calendar connected. The first sync has started.',
      );
      props.onConnected();
    } catch (error) {
      const beside =
        error instanceof ApiError ? error.fields.filter((f) => FORM_FIELDS.has(f.field)) : [];
      if (error instanceof ApiError && beside.length > 0) {
        setFieldErrors(Object.fromEntries(beside.map((f) => [f.field, f.message])));
        // Errors on fields the form does not have (none expected) still reach the top.
        const others = error.fields.filter((f) => !FORM_FIELDS.has(f.field));
        props.setStatus(
          [
            'The calendar was not connected: check the fields marked below.',
            ...others.map((f) => `${f.field}: ${f.message}`),
          ].join(' '),
        );
      } else {
        props.setStatus(`Could not connect: ${messageOf(error)}`);
      }
    } finally {
      setBusy(false);
    }
  }

  const errorId = (field: string) => `caldav-${field}-error`;
  const describedBy = (field: string) => (fieldErrors()[field] ? errorId(field) : undefined);
  const fieldError = (field: string) => (
    <Show when={fieldErrors()[field]}>
      <span class="field-error" id={errorId(field)}>
        {fieldErrors()[field]}
      </span>
    </Show>
  );

  /** A required input of the CalDAV form, its label, and the server's error beside it. */
  const field = (
    name: string,
    label: string,
    ref: (element: HTMLInputElement) => void,
    attributes: JSX.InputHTMLAttributes<HTMLInputElement>,
  ) => (
    <>
      <label for={`caldav-${name}`}>{label}</label>
      <input
        id={`caldav-${name}`}
        ref={ref}
        required
        {...attributes}
        aria-invalid={fieldErrors()[name] ? 'true' : undefined}
        aria-describedby={describedBy(name)}
      />
      {fieldError(name)}
    </>
  );

  return (
    <>
      <h3>Connect a calendar</h3>
      <For each={props.providers.filter((p) => p.provider !== 'ICAL')}>
        {(info) => {
          const provider = info.provider as 'GOOGLE' | 'MICROSOFT';
          return (
            <div class="row">
              <label for={`calendar-id-${provider}`}>
                Calendar to sync with {PROVIDER_LABELS[provider]}
              </label>
              <input
                id={`calendar-id-${provider}`}
                value={DEFAULT_CALENDAR[provider]}
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
                aria-describedby={info.configured ? undefined : `not-configured-${provider}`}
                onClick={() => void startOAuth(info)}
              >
                Connect {PROVIDER_LABELS[provider]}
              </button>
              <Show when={!info.configured}>
                <span id={`not-configured-${provider}`}>not configured on this server</span>
              </Show>
            </div>
          );
        }}
      </For>
      <form aria-label="Connect a CalDAV calendar" onSubmit={(event) => void connectCaldav(event)}>
        {field('server_url', 'CalDAV server URL', (el) => (serverUrl = el), {
          type: 'url',
          placeholder: 'https://dav.example.com/',
        })}
        {field('username', 'User name', (el) => (username = el), { autocomplete: 'username' })}
        {field('password', 'Password', (el) => (password = el), {
          type: 'password',
          autocomplete: 'current-password',
        })}
        {field('calendar_id', 'Calendar path', (el) => (calendarPath = el), {
          placeholder: '/alice/calendar/',
        })}
        <button type="submit" disabled={busy()}>
          {props.renewing ? 'Reconnect CalDAV calendar' : 'Connect CalDAV calendar'}
        </button>
      </form>
    </>
  );
}
