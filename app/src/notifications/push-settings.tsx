import { updateSettings } from '@tasks/crdt';
import { createResource, createSignal, Match, Show, Switch } from 'solid-js';
import { useWorkspace } from '../workspace-context.js';
import { type PushState, readPushState, turnPushOff, turnPushOn } from './web-push.js';

const STATE_TEXT: Record<Exclude<PushState['kind'], 'unsupported'>, string> = {
  on: 'Push notifications are on in this browser.',
  off: 'Push notifications are off in this browser.',
  blocked:
    'Your browser blocks notifications for this site. Allow them in the browser’s site settings to turn push notifications on.',
};

/** Settings → Reminders: turn Web Push on or off for this browser, and what state it is in. */
export function PushSettings() {
  const workspace = useWorkspace();
  const [state, { refetch }] = createResource(() => readPushState(workspace.session()));
  const [busy, setBusy] = createSignal(false);
  const [problem, setProblem] = createSignal('');
  const run = async (step: () => Promise<void>) => {
    setBusy(true);
    setProblem('');
    try {
      await step();
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
      await refetch();
    }
  };
  const turnOn = () =>
    run(async () => {
      await turnPushOn(workspace.session());
      // Subscribing is asking for push: the reminders channel follows.
      workspace.act(() => updateSettings(workspace.docs, { notifyPush: true }));
    });
  return (
    <section aria-labelledby="push-settings-title">
      <h3 id="push-settings-title">Push notifications on this device</h3>
      <Show when={state()} fallback={<p>Checking this browser…</p>}>
        {(current) => (
          <>
            <p id="push-state">
              {current().kind === 'unsupported'
                ? (current() as { reason: string }).reason
                : STATE_TEXT[current().kind as Exclude<PushState['kind'], 'unsupported'>]}
            </p>
            <Switch>
              <Match when={current().kind === 'off' || current().kind === 'blocked'}>
                <button type="button" disabled={busy()} onClick={() => void turnOn()}>
                  Turn on push notifications
                </button>
              </Match>
              <Match when={current().kind === 'on'}>
                <button
                  type="button"
                  disabled={busy()}
                  onClick={() => void run(() => turnPushOff(workspace.session()))}
                >
                  Turn off push notifications
                </button>
              </Match>
            </Switch>
          </>
        )}
      </Show>
      <Show when={problem()}>
        <p role="alert">{problem()}</p>
      </Show>
    </section>
  );
}
