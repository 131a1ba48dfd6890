import {
  blockCalendarCandidate,
  blocksCalendarOf,
  getSettings,
  listProjects,
  type SettingsPatch,
  type TimeRange,
  updateProject,
  updateSettings,
  WEEKDAYS,
  type Weekday,
} from '@tasks/crdt';
import { createMemo, createResource, For, Show } from 'solid-js';
import { type Connection, type ConnectionList, calendarApi } from '../calendar/calendar-api.js';
import { CalendarConnections } from '../calendar/calendar-connections.js';
import { PROVIDER_LABELS } from '../calendar/connect-calendar-forms.js';
import { PushSettings } from '../notifications/push-settings.js';
import { SystemSettings } from '../system/system-settings.js';
import { useWorkspace } from '../workspace-context.js';
import { RecentlyDeletedSettings } from '../your-data/recently-deleted.js';
import {
  AccountSettings,
  CalendarFeedSettings,
  ImportExportSettings,
} from '../your-data/your-data-settings.js';

type SchedulingPatch = NonNullable<SettingsPatch['scheduling']>;

const DAY_NAMES: Record<Weekday, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};

/** The zones to pick from: the browser's list, which leaves out UTC (a zone one may choose). */
function zones(): string[] {
  const supported = (Intl as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf;
  const listed = supported ? supported('timeZone') : [];
  return listed.includes('UTC') ? listed : ['UTC', ...listed];
}

/**
 * The planner's settings: horizon, minimum block, buffer, daily cap, and whether planned blocks go
 * to the connected calendars (see the README).
 */
function SchedulingSettings(props: { connections: ConnectionList }) {
  const workspace = useWorkspace();
  const scheduling = createMemo(() => {
    workspace.replica.version();
    return getSettings(workspace.docs).scheduling;
  });
  const save = (patch: SchedulingPatch) =>
    workspace.act(() => updateSettings(workspace.docs, { scheduling: patch }));
  const wholeNumber = (input: HTMLInputElement) =>
    input.value.trim() === '' ? null : Number(input.value);
  return (
    <>
      <h2>Scheduling</h2>
      <label for="settings-horizon">Plan ahead (days)</label>
      <input
        id="settings-horizon"
        type="number"
        min="1"
        max="62"
        value={scheduling().horizonDays}
        onChange={(event) => save({ horizonDays: Number(event.currentTarget.value) })}
      />
      <label for="settings-min-block">Shortest block (minutes)</label>
      <input
        id="settings-min-block"
        type="number"
        min="5"
        max="480"
        value={scheduling().minBlockMinutes}
        onChange={(event) => save({ minBlockMinutes: Number(event.currentTarget.value) })}
      />
      <label for="settings-buffer">Buffer between blocks (minutes)</label>
      <input
        id="settings-buffer"
        type="number"
        min="0"
        max="120"
        value={scheduling().bufferMinutes}
        onChange={(event) => save({ bufferMinutes: Number(event.currentTarget.value) })}
      />
      <label for="settings-daily-cap">Planned hours per day at most (minutes, empty: no cap)</label>
      <input
        id="settings-daily-cap"
        type="number"
        min="15"
        max="1440"
        value={scheduling().dailyCapMinutes ?? ''}
        onChange={(event) => save({ dailyCapMinutes: wholeNumber(event.currentTarget) })}
      />
      <label>
        <input
          type="checkbox"
          checked={scheduling().blocksToCalendar}
          onChange={(event) => save({ blocksToCalendar: event.currentTarget.checked })}
        />{' '}
        Put planned blocks in my calendar
      </label>
      <BlocksCalendarChoice connections={props.connections} />
    </>
  );
}

const connectionName = (connection: Connection) =>
  `${PROVIDER_LABELS[connection.provider]} — ${connection.calendar_id}`;

/**
 * Which connected calendar receives the planned blocks (one, so that two calendars do not show
 * each block twice): the first that syncs unless one is named; a paused one hands them on.
 */
function BlocksCalendarChoice(props: { connections: ConnectionList }) {
  const workspace = useWorkspace();
  const connections = () => props.connections.list();
  const named = createMemo(() => {
    workspace.replica.version();
    return getSettings(workspace.docs).scheduling.blocksCalendarConnectionId;
  });
  const receiving = createMemo(() => {
    const list = connections() ?? [];
    const id = blocksCalendarOf(
      { blocksCalendarConnectionId: named() },
      list.map((connection) =>
        blockCalendarCandidate({
          id: connection.id,
          syncEnabled: connection.sync_enabled,
          syncStatus: connection.sync_status,
        }),
      ),
    );
    return list.find((connection) => connection.id === id) ?? null;
  });
  const save = (id: string) =>
    workspace.act(() =>
      updateSettings(workspace.docs, {
        scheduling: { blocksCalendarConnectionId: id === '' ? null : id },
      }),
    );
  return (
    <Show when={(connections() ?? []).length > 0}>
      <label for="settings-blocks-calendar">Calendar for planned blocks</label>
      <select
        id="settings-blocks-calendar"
        value={named() ?? ''}
        onChange={(event) => save(event.currentTarget.value)}
      >
        <option value="">The first connected calendar that syncs</option>
        <For each={connections()}>
          {(connection) => <option value={connection.id}>{connectionName(connection)}</option>}
        </For>
      </select>
      <p class="hint" aria-live="polite">
        {receiving()
          ? `Planned blocks go to ${connectionName(receiving() as Connection)} only.`
          : 'No connected calendar syncs now: planned blocks wait for one.'}
      </p>
    </Show>
  );
}

/** The default reminder's choices, in minutes before the date (null: none). */
const DEFAULT_REMINDER_CHOICES: readonly { minutes: number | null; label: string }[] = [
  { minutes: null, label: 'None' },
  { minutes: 0, label: 'At the time' },
  { minutes: 5, label: '5 minutes before' },
  { minutes: 15, label: '15 minutes before' },
  { minutes: 30, label: '30 minutes before' },
  { minutes: 60, label: '1 hour before' },
  { minutes: 1440, label: '1 day before' },
];

/** The agenda email's time when it is first turned on. */
const DEFAULT_AGENDA_TIME = '07:00';

const CHANNELS = [
  { key: 'notifyInApp', label: 'In the app' },
  { key: 'notifyPush', label: 'Push notifications' },
  { key: 'notifyEmail', label: 'Email' },
] as const;

/** The default reminder, the all-day reminder time and the channels reminders go out on. */
function ReminderSettings() {
  const workspace = useWorkspace();
  const settings = createMemo(() => {
    workspace.replica.version();
    return getSettings(workspace.docs);
  });
  return (
    <>
      <h2>Reminders</h2>
      <label for="settings-default-reminder">Default reminder for dated tasks</label>
      <select
        id="settings-default-reminder"
        value={String(settings().defaultReminderMinutes)}
        onChange={(event) => {
          const value = event.currentTarget.value;
          workspace.act(() =>
            updateSettings(workspace.docs, {
              defaultReminderMinutes: value === 'null' ? null : Number(value),
            }),
          );
        }}
      >
        <For each={DEFAULT_REMINDER_CHOICES}>
          {(choice) => <option value={String(choice.minutes)}>{choice.label}</option>}
        </For>
      </select>
      <label for="settings-all-day-reminder">All-day tasks remind at</label>
      <input
        id="settings-all-day-reminder"
        type="time"
        value={settings().allDayReminderTime}
        onChange={(event) =>
          workspace.act(() =>
            updateSettings(workspace.docs, { allDayReminderTime: event.currentTarget.value }),
          )
        }
      />
      <fieldset>
        <legend>Send reminders</legend>
        <For each={CHANNELS}>
          {(channel) => (
            <label>
              <input
                type="checkbox"
                checked={settings()[channel.key]}
                onChange={(event) =>
                  workspace.act(() =>
                    updateSettings(workspace.docs, { [channel.key]: event.currentTarget.checked }),
                  )
                }
              />{' '}
              {channel.label}
            </label>
          )}
        </For>
      </fieldset>
      <PushSettings />
      <h3>Email</h3>
      <label>
        <input
          type="checkbox"
          checked={settings().agendaTime !== null}
          onChange={(event) => {
            const on = event.currentTarget.checked;
            workspace.act(() =>
              updateSettings(workspace.docs, { agendaTime: on ? DEFAULT_AGENDA_TIME : null }),
            );
          }}
        />{' '}
        Email me the day’s agenda
      </label>
      <Show when={settings().agendaTime}>
        {(time) => (
          <>
            <label for="settings-agenda-time">Agenda email at (your time zone)</label>
            <input
              id="settings-agenda-time"
              type="time"
              value={time()}
              onChange={(event) => {
                const value = event.currentTarget.value;
                if (value === '') return;
                workspace.act(() => updateSettings(workspace.docs, { agendaTime: value }));
              }}
            />
          </>
        )}
      </Show>
      <label>
        <input
          type="checkbox"
          checked={settings().emailCalendarFailures}
          disabled={!settings().notifyEmail}
          onChange={(event) => {
            const on = event.currentTarget.checked;
            workspace.act(() => updateSettings(workspace.docs, { emailCalendarFailures: on }));
          }}
        />{' '}
        Email me when a calendar connection fails (with Email on above)
      </label>
    </>
  );
}

/**
 * Time zone, working hours, week start, scheduling, projects, calendar connections and feed,
 * import and export, and the account.
 */
export function SettingsView() {
  const workspace = useWorkspace();
  const [connections, { refetch }] = createResource(() =>
    calendarApi.connections(workspace.session()),
  );
  const connectionList: ConnectionList = { list: connections, refetch: () => void refetch() };
  const settings = createMemo(() => {
    workspace.replica.version();
    return getSettings(workspace.docs);
  });
  const projects = createMemo(() => {
    workspace.replica.version();
    return listProjects(workspace.docs);
  });
  const setHours = (day: Weekday, field: keyof TimeRange, value: string) => {
    const current = settings().workingHours[day][0] ?? { start: '09:00', end: '17:00' };
    const next = { ...current, [field]: value };
    workspace.act(() => updateSettings(workspace.docs, { workingHours: { [day]: [next] } }));
  };
  return (
    <section class="form" aria-labelledby="settings-title">
      <div class="view-header">
        <h1 id="settings-title">Settings</h1>
      </div>
      <h2>Time</h2>
      <label for="settings-timezone">Time zone</label>
      <select
        id="settings-timezone"
        value={settings().timezone}
        onChange={(event) =>
          workspace.act(() =>
            updateSettings(workspace.docs, { timezone: event.currentTarget.value }),
          )
        }
      >
        <For each={zones()}>{(zone) => <option value={zone}>{zone}</option>}</For>
      </select>
      <label for="settings-week-start">Week starts on</label>
      <select
        id="settings-week-start"
        value={settings().weekStart}
        onChange={(event) =>
          workspace.act(() =>
            updateSettings(workspace.docs, { weekStart: event.currentTarget.value as Weekday }),
          )
        }
      >
        <For each={WEEKDAYS}>{(day) => <option value={day}>{DAY_NAMES[day]}</option>}</For>
      </select>
      <h2>Working hours</h2>
      <table aria-label="Working hours">
        <tbody>
          <For each={WEEKDAYS}>
            {(day) => {
              const range = () => settings().workingHours[day][0];
              return (
                <tr>
                  <th scope="row">{DAY_NAMES[day]}</th>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Work on ${DAY_NAMES[day]}`}
                      checked={range() !== undefined}
                      onChange={(event) =>
                        workspace.act(() =>
                          updateSettings(workspace.docs, {
                            workingHours: {
                              [day]: event.currentTarget.checked
                                ? [{ start: '09:00', end: '17:00' }]
                                : [],
                            },
                          }),
                        )
                      }
                    />
                  </td>
                  <td>
                    <input
                      type="time"
                      aria-label={`${DAY_NAMES[day]} start`}
                      value={range()?.start ?? ''}
                      disabled={range() === undefined}
                      onChange={(event) => setHours(day, 'start', event.currentTarget.value)}
                    />
                  </td>
                  <td>
                    <input
                      type="time"
                      aria-label={`${DAY_NAMES[day]} end`}
                      value={range()?.end ?? ''}
                      disabled={range() === undefined}
                      onChange={(event) => setHours(day, 'end', event.currentTarget.value)}
                    />
                  </td>
                </tr>
              );
            }}
          </For>
        </tbody>
      </table>
      <SchedulingSettings connections={connectionList} />
      <ReminderSettings />
      <h2>Projects</h2>
      <ul aria-label="Projects">
        <For each={projects()}>
          {(project) => (
            <li class="row">
              <span>{project.name}</span>
              <button
                type="button"
                style={{ flex: '0 0 auto' }}
                onClick={() =>
                  workspace.act(() =>
                    updateProject(
                      workspace.docs,
                      project.id,
                      { isArchived: !project.isArchived },
                      workspace.ctx,
                    ),
                  )
                }
              >
                {project.isArchived ? `Unarchive ${project.name}` : `Archive ${project.name}`}
              </button>
            </li>
          )}
        </For>
      </ul>
      <CalendarConnections connections={connectionList} />
      <CalendarFeedSettings />
      <ImportExportSettings />
      <RecentlyDeletedSettings />
      <AccountSettings />
      <SystemSettings />
    </section>
  );
}
