import { createSignal, Show } from 'solid-js';
import { ApiError, register, type Session, signIn } from './session/session.js';

/** Sign in or create an account; every refusal is shown next to the field it concerns. */
export function AuthScreen(props: { onSignedIn: (session: Session) => void }) {
  // An invite link (`/?invite=…`) opens the registration form with the invite in it.
  const invite = new URLSearchParams(location.search).get('invite') ?? undefined;
  const [mode, setMode] = createSignal<'signin' | 'register'>(invite ? 'register' : 'signin');
  const [error, setError] = createSignal<string | null>(null);
  const [fieldErrors, setFieldErrors] = createSignal<Record<string, string>>({});
  const [busy, setBusy] = createSignal(false);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const value = (name: string) => String(form.get(name) ?? '').trim();
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      const session =
        mode() === 'signin'
          ? await signIn(value('email'), String(form.get('password') ?? ''))
          : await register({
              email: value('email'),
              username: value('username'),
              password: String(form.get('password') ?? ''),
              fullName: value('full_name'),
              timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
              invite,
            });
      // The invite is used up: it leaves the address bar (and the history).
      if (invite) history.replaceState(null, '', location.pathname + location.hash);
      props.onSignedIn(session);
    } catch (caught) {
      if (caught instanceof ApiError) {
        setError(caught.message);
        setFieldErrors(Object.fromEntries(caught.fields.map((f) => [f.field, f.message])));
      } else {
        setError('The server cannot be reached. Signing in needs a connection the first time.');
      }
    } finally {
      setBusy(false);
    }
  };

  const field = (name: string, label: string, type = 'text', autocomplete = 'off') => (
    <>
      <label for={`auth-${name}`}>{label}</label>
      <input
        id={`auth-${name}`}
        name={name}
        type={type}
        autocomplete={autocomplete}
        required={name !== 'full_name'}
        aria-invalid={fieldErrors()[name] ? 'true' : 'false'}
        aria-describedby={fieldErrors()[name] ? `auth-${name}-error` : undefined}
      />
      <Show when={fieldErrors()[name]}>
        <p class="field-error" id={`auth-${name}-error`}>
          {fieldErrors()[name]}
        </p>
      </Show>
    </>
  );

  return (
    <main class="auth">
      <h1>{mode() === 'signin' ? 'Sign in' : 'Create your account'}</h1>
      <form
        class="form"
        onSubmit={submit}
        aria-label={mode() === 'signin' ? 'Sign in' : 'Create account'}
      >
        {field('email', 'Email', 'email', 'email')}
        <Show when={mode() === 'register' && invite}>
          <p>You were invited to this server: create your account.</p>
        </Show>
        <Show when={mode() === 'register'}>
          {field('username', 'Username', 'text', 'username')}
          {field('full_name', 'Full name', 'text', 'name')}
        </Show>
        {field(
          'password',
          'Password',
          'password',
          mode() === 'signin' ? 'current-password' : 'new-password',
        )}
        <Show when={error()}>
          <p class="field-error" role="alert">
            {error()}
          </p>
        </Show>
        <p class="row">
          <button class="primary" type="submit" disabled={busy()}>
            {mode() === 'signin' ? 'Sign in' : 'Create account'}
          </button>
        </p>
      </form>
      <button type="button" onClick={() => setMode(mode() === 'signin' ? 'register' : 'signin')}>
        {mode() === 'signin' ? 'New here? Create an account' : 'I have an account'}
      </button>
    </main>
  );
}
