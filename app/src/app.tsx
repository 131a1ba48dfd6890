import { createSignal, Match, Switch } from 'solid-js';
import { AuthScreen } from './auth-screen.js';
import { loadSession, type Session, saveSession } from './session/session.js';
import { WorkspaceView } from './workspace-view.js';

/** Signed out: the sign-in screen. Signed in: the workspace, which works offline from then on. */
export function App() {
  const [session, setSession] = createSignal<Session | null>(loadSession());
  const update = (next: Session | null) => {
    saveSession(next);
    setSession(next);
  };
  return (
    <Switch>
      <Match when={session()}>
        {(current) => <WorkspaceView session={current()} onSession={update} />}
      </Match>
      <Match when={!session()}>
        <AuthScreen onSignedIn={update} />
      </Match>
    </Switch>
  );
}
