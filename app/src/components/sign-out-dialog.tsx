import { Match, onMount, Show, Switch } from 'solid-js';
import { formatChangeCount } from '../format.js';
import type { SignOutFlow } from '../session/create-sign-out-flow.js';
import { useWorkspace } from '../workspace-context.js';

/**
 * Asks before a sign-out would delete changes that exist only on this device: wait until the
 * server has them, cancel, or discard them after a second, explicit confirmation.
 */
export function SignOutDialog(props: { flow: SignOutFlow }) {
  return (
    <Show when={props.flow.step() !== 'idle'}>
      <SignOutChoices flow={props.flow} />
    </Show>
  );
}

function SignOutChoices(props: { flow: SignOutFlow }) {
  const { replica } = useWorkspace();
  let dialog: HTMLDialogElement | undefined;
  // Modal: nothing else on the page can change while the user decides.
  onMount(() => dialog?.showModal());
  const step = () => props.flow.step();
  const send = (event: Parameters<SignOutFlow['send']>[0]) => props.flow.send(event);
  const changes = () => formatChangeCount(replica.pending());
  const isPending = () => replica.pending() > 0;
  const isPlural = () => replica.pending() !== 1;
  const isOffline = () => replica.state() === 'offline';
  return (
    <dialog
      ref={dialog}
      class="sign-out-dialog"
      role="alertdialog"
      aria-labelledby="sign-out-title"
      aria-describedby="sign-out-body"
      aria-busy={step() === 'signing-out'}
      onCancel={(event) => {
        // Escape keeps everything, like Cancel (and never closes the dialog behind our back).
        event.preventDefault();
        send('cancel');
      }}
    >
      <Switch>
        <Match when={step() === 'warning'}>
          <h2 id="sign-out-title">Sign out with unsynced changes?</h2>
          <Show
            when={isPending()}
            fallback={<p id="sign-out-body">All your changes are on the server now.</p>}
          >
            <p id="sign-out-body">
              {changes()} made on this device {isPlural() ? 'are' : 'is'} not on the server yet.
              Signing out deletes this device’s copy, so {isPlural() ? 'they' : 'it'} would be lost.
            </p>
          </Show>
          <Show when={isOffline()}>
            <p>You are offline.</p>
          </Show>
          <div class="row dialog-actions">
            <button type="button" class="primary" autofocus onClick={() => send('wait')}>
              {isPending() ? 'Wait and sign out' : 'Sign out'}
            </button>
            <Show when={isPending()}>
              <button type="button" class="danger" onClick={() => send('discard')}>
                Sign out anyway
              </button>
            </Show>
            <button type="button" onClick={() => send('cancel')}>
              Cancel
            </button>
          </div>
        </Match>
        <Match when={step() === 'waiting'}>
          <h2 id="sign-out-title">Waiting to sign out</h2>
          <p id="sign-out-body">
            You will be signed out as soon as the server has {changes()} from this device.
          </p>
          <Show when={isOffline()}>
            <p>You are offline: this happens once you are back online.</p>
          </Show>
          <div class="row dialog-actions">
            <button type="button" autofocus onClick={() => send('cancel')}>
              Cancel
            </button>
            <button type="button" class="danger" onClick={() => send('discard')}>
              Sign out anyway
            </button>
          </div>
        </Match>
        <Match when={step() === 'confirming-discard'}>
          <h2 id="sign-out-title">Discard {changes()}?</h2>
          <p id="sign-out-body">
            {isPlural() ? 'They exist' : 'It exists'} only on this device. Signing out now deletes{' '}
            {isPlural() ? 'them' : 'it'} for good.
          </p>
          <div class="row dialog-actions">
            <button type="button" class="primary" autofocus onClick={() => send('cancel')}>
              Keep my changes
            </button>
            <button type="button" class="danger" onClick={() => send('confirm-discard')}>
              Discard {changes()} and sign out
            </button>
          </div>
        </Match>
        <Match when={step() === 'signing-out'}>
          <h2 id="sign-out-title">Signing out…</h2>
          <p id="sign-out-body">Deleting this device’s copy of your data.</p>
        </Match>
      </Switch>
    </dialog>
  );
}
