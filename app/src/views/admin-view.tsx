import { createResource, createSignal, For, Show } from 'solid-js';
import { type AdminUser, createInvite, listUsers, setUserActive } from '../session/admin-api.js';
import { ApiError } from '../session/session.js';
import { useWorkspace } from '../workspace-context.js';

/** The server's accounts, switched off and on, and invites to send (admins only). */
export function AdminView() {
  const workspace = useWorkspace();
  const [users, { mutate }] = createResource(() => listUsers(workspace.session()));
  const [error, setError] = createSignal<string | null>(null);
  const [invite, setInvite] = createSignal<{ link: string; expires: string } | null>(null);

  const explain = (caught: unknown) =>
    setError(caught instanceof ApiError ? caught.message : 'The server cannot be reached.');

  const toggle = async (user: AdminUser) => {
    setError(null);
    try {
      const updated = await setUserActive(workspace.session(), user.id, !user.is_active);
      mutate((current) =>
        current
          ? { ...current, users: current.users.map((u) => (u.id === updated.id ? updated : u)) }
          : current,
      );
    } catch (caught) {
      explain(caught);
    }
  };

  const newInvite = async () => {
    setError(null);
    try {
      const created = await createInvite(workspace.session(), 7);
      setInvite({
        link: new URL(created.path, location.origin).toString(),
        expires: new Date(created.expires_at).toLocaleString(),
      });
    } catch (caught) {
      explain(caught);
    }
  };

  return (
    <section aria-labelledby="admin-heading">
      <h1 id="admin-heading">Administration</h1>
      <Show when={users.error}>
        <p class="field-error" role="alert">
          {users.error instanceof ApiError ? users.error.message : 'The server cannot be reached.'}
        </p>
      </Show>
      <Show when={error()}>
        <p class="field-error" role="alert">
          {error()}
        </p>
      </Show>
      <h2>Invite someone</h2>
      <p class="row">
        <button type="button" onClick={newInvite}>
          Create an invite link
        </button>
      </p>
      <Show when={invite()}>
        {(created) => (
          <p>
            <label for="invite-link">Invite link (works once, until {created().expires})</label>
            <input id="invite-link" readOnly value={created().link} />
          </p>
        )}
      </Show>
      <h2>Accounts</h2>
      <Show when={users()}>
        {(list) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Username</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span class="visually-hidden">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              <For each={list().users}>
                {(user) => (
                  <tr aria-label={user.email}>
                    <td>{user.email}</td>
                    <td>{user.username}</td>
                    <td>{user.role}</td>
                    <td>{user.is_active ? 'Active' : 'Disabled'}</td>
                    <td>
                      <Show when={user.id !== workspace.session().userId}>
                        <button type="button" onClick={() => toggle(user)}>
                          {user.is_active ? `Disable ${user.username}` : `Enable ${user.username}`}
                        </button>
                      </Show>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        )}
      </Show>
    </section>
  );
}
