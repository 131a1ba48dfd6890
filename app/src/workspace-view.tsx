import { ConflictError, getSettings, listInbox, NotFoundError, ValidationError } from '@tasks/crdt';
import {
  createEffect,
  createSignal,
  For,
  lazy,
  Match,
  onCleanup,
  onMount,
  Show,
  Switch,
} from 'solid-js';
import { CALLBACK_FLAG } from './calendar/oauth-flow.js';
import { QuickAdd } from './components/quick-add.js';
import { RunningTimerBadge } from './components/running-timer-badge.js';
import { Sidebar } from './components/sidebar.js';
import { SignOutDialog } from './components/sign-out-dialog.js';
import { SyncStatus } from './components/sync-status.js';
import { TaskEditor } from './components/task-editor.js';
import { browserNotifier, createReminderAnnouncer } from './notifications/system-notifications.js';
import { turnPushOff } from './notifications/web-push.js';
import { Replica } from './replica/replica.js';
import { route, routeHref } from './router.js';
import { createSignOutFlow } from './session/create-sign-out-flow.js';
import { refreshSession, type Session, signOutRemote } from './session/session.js';
import { startUp } from './start-up.js';
import { createTaskIndex } from './store/task-index.js';
import { toggleTheme } from './theme.js';
import { AdminView } from './views/admin-view.js';
import { BoardView } from './views/board-view.js';
import { CalendarView } from './views/calendar-view.js';
import { InboxNotesView } from './views/inbox-notes-view.js';
import { SettingsView } from './views/settings-view.js';
import { TaskListView } from './views/task-list-view.js';
import { TimeView } from './views/time-view.js';
import { appContext, type Notice, type Workspace, WorkspaceContext } from './workspace-context.js';

// Charts are the heaviest part of the app: loaded when the analytics view is first opened.
const AnalyticsView = lazy(() =>
  import('./views/analytics-view.js').then((m) => ({ default: m.AnalyticsView })),
);

const REFRESH_MARGIN_MS = 5 * 60_000;

export function WorkspaceView(props: {
  session: Session;
  onSession: (session: Session | null) => void;
}) {
  // Back from a calendar provider's consent page: Settings finishes connecting.
  if (new URLSearchParams(location.search).has(CALLBACK_FLAG)) location.hash = '#/settings';
  const replica = new Replica(props.session.userId, props.session.accessToken);
  const tasks = createTaskIndex(replica.docs);
  const [now, setNow] = createSignal(new Date());
  const [notices, setNotices] = createSignal<Notice[]>([]);
  const [openTaskId, setOpenTaskId] = createSignal<string | null>(null);
  let noticeId = 0;
  // Signing out deletes this device's copy: changes the server has not acknowledged need consent.
  const signOutFlow = createSignOutFlow(replica.pending, async () => {
    // This browser stops receiving the account's reminders (while the session still works).
    await turnPushOff(props.session).catch((error: unknown) =>
      notify(error instanceof Error ? error.message : String(error)),
    );
    await signOutRemote(props.session);
    await replica.wipe();
    props.onSession(null);
  });

  // A reminder the server fires lands in the inbox; while the app is open, the system shows it.
  const notifier = browserNotifier();
  if (notifier) {
    const announce = createReminderAnnouncer({
      notifier,
      now: () => new Date(),
      taskUrl: (taskId) => `/${routeHref({ view: 'task', id: taskId })}`,
    });
    createEffect(() => {
      replica.version();
      announce(listInbox(replica.docs), getSettings(replica.docs).notifyInApp);
    });
  }

  // `#/task/<id>` (a reminder notification's link): the task opens in the editor over All tasks,
  // once this device has it (a cold start reads the local copy and syncs first).
  createEffect(() => {
    const current = route();
    if (current.view !== 'task' || !tasks[current.id]) return;
    setOpenTaskId(current.id);
    location.replace(routeHref({ view: 'all' }));
  });

  const notify = (text: string, action?: Notice['action']) => {
    const notice: Notice = { id: ++noticeId, text, ...(action ? { action } : {}) };
    setNotices((all) => [...all.slice(-2), notice]);
    setTimeout(() => setNotices((all) => all.filter((n) => n.id !== notice.id)), 6000);
  };

  const workspace: Workspace = {
    session: () => props.session,
    replica,
    docs: replica.docs,
    tasks,
    ctx: appContext,
    now,
    notify,
    act(write) {
      try {
        return write();
      } catch (error) {
        if (error instanceof ValidationError) {
          notify(error.fields.map((f) => `${f.field}: ${f.message}`).join('; '));
        } else if (error instanceof NotFoundError || error instanceof ConflictError) {
          notify(error.message);
        } else {
          throw error;
        }
        return undefined;
      }
    },
    openTask: setOpenTaskId,
    signOut() {
      signOutFlow.send('request');
    },
    renewSession(next) {
      replica.setToken(next.accessToken);
      props.onSession(next);
    },
    async forgetDevice() {
      await replica.wipe();
      props.onSession(null);
    },
  };

  // Refresh the access token before it expires; offline, try again when back online.
  const refresh = async () => {
    if (props.session.expiresAt - Date.now() > REFRESH_MARGIN_MS || !navigator.onLine) return;
    try {
      const next = await refreshSession(props.session);
      replica.setToken(next.accessToken);
      props.onSession(next);
    } catch {
      // The refresh token was refused (revoked or expired): only a new sign-in helps.
      if (props.session.expiresAt < Date.now())
        notify('Your session ended. Sign in again to sync.');
    }
  };

  const onKey = (event: KeyboardEvent) => {
    const target = event.target as HTMLElement | null;
    if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
    if (event.key === 'n' || event.key === 'q') {
      event.preventDefault();
      document.getElementById('quick-add')?.focus();
    } else if (event.key === '/') {
      event.preventDefault();
      document.getElementById('task-search')?.focus();
    } else if (event.key === 'Escape') {
      setOpenTaskId(null);
    }
  };

  onMount(() => {
    const tick = setInterval(() => {
      setNow(new Date());
      void refresh();
    }, 1000);
    const online = () => void refresh();
    window.addEventListener('online', online);
    window.addEventListener('keydown', onKey);
    void refresh();
    void startUp(replica, props.session, appContext);
    onCleanup(() => {
      clearInterval(tick);
      window.removeEventListener('online', online);
      window.removeEventListener('keydown', onKey);
      replica.destroy();
    });
  });

  return (
    <WorkspaceContext.Provider value={workspace}>
      <div class="shell">
        <header class="topbar">
          <QuickAdd />
          <RunningTimerBadge />
          <SyncStatus />
          <button type="button" onClick={toggleTheme} aria-label="Toggle dark mode">
            ◐
          </button>
        </header>
        <Sidebar />
        <main>
          <Switch fallback={<TaskListView />}>
            <Match when={route().view === 'board'}>
              <BoardView />
            </Match>
            <Match when={route().view === 'calendar'}>
              <CalendarView />
            </Match>
            <Match when={route().view === 'time'}>
              <TimeView />
            </Match>
            <Match when={route().view === 'analytics'}>
              <AnalyticsView />
            </Match>
            <Match when={route().view === 'settings'}>
              <SettingsView />
            </Match>
            <Match when={route().view === 'admin'}>
              <AdminView />
            </Match>
            <Match when={route().view === 'inbox-notes'}>
              <InboxNotesView />
            </Match>
          </Switch>
        </main>
      </div>
      <SignOutDialog flow={signOutFlow} />
      <Show when={openTaskId()}>
        {(id) => <TaskEditor taskId={id()} onClose={() => setOpenTaskId(null)} />}
      </Show>
      <div class="notices" role="status" aria-live="polite">
        <For each={notices()}>
          {(notice) => (
            <div class="notice">
              <span>{notice.text}</span>
              <Show when={notice.action}>
                {(action) => (
                  <button
                    type="button"
                    onClick={() => {
                      action().run();
                      setNotices((all) => all.filter((n) => n.id !== notice.id));
                    }}
                  >
                    {action().label}
                  </button>
                )}
              </Show>
            </div>
          )}
        </For>
      </div>
    </WorkspaceContext.Provider>
  );
}
