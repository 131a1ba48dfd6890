import { createResource, For, Show } from 'solid-js';
import {
  fetchAccountRole,
  fetchSystemHealth,
  type JobQueueHealth,
  type SystemHealth,
} from '../session/admin-api.js';
import { useWorkspace } from '../workspace-context.js';

const QUEUES: readonly { key: keyof SystemHealth['job_queues']; label: string }[] = [
  { key: 'calendar_sync', label: 'Calendar syncs' },
  { key: 'reminder', label: 'Reminders' },
  { key: 'email', label: 'Emails' },
];

/** Bytes as a person reads them. */
function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** A wait as a person reads it: "none", "45 s", "3 min", "2 h". */
function formatWait(queue: JobQueueHealth): string {
  if (queue.depth === 0) return 'none waiting';
  const seconds = Math.round(queue.oldest_age_seconds);
  if (seconds < 120) return `oldest waited ${seconds} s`;
  if (seconds < 7200) return `oldest waited ${Math.round(seconds / 60)} min`;
  return `oldest waited ${Math.round(seconds / 3600)} h`;
}

function SystemFigures(props: { health: SystemHealth }) {
  return (
    <>
      <dl class="system-figures">
        <dt>Open connections</dt>
        <dd>{props.health.connections}</dd>
        <dt>Documents open</dt>
        <dd>{props.health.rooms}</dd>
        <dt>Sync backlog</dt>
        <dd>
          {props.health.uncommitted_updates} updates waiting (
          {formatBytes(props.health.uncommitted_bytes)})
        </dd>
        <dt>Failing calendar connections</dt>
        <dd>{props.health.failing_calendar_connections}</dd>
        <dt>Database</dt>
        <dd>
          {props.health.database === 'pglite' ? 'embedded (PGlite)' : 'PostgreSQL'}
          {props.health.draining ? ', shutting down' : ''}
        </dd>
      </dl>
      <table aria-label="Job queues">
        <thead>
          <tr>
            <th scope="col">Queue</th>
            <th scope="col">Due</th>
            <th scope="col">Wait</th>
          </tr>
        </thead>
        <tbody>
          <For each={QUEUES}>
            {(queue) => (
              <tr>
                <th scope="row">{queue.label}</th>
                <td>{props.health.job_queues[queue.key].depth}</td>
                <td>{formatWait(props.health.job_queues[queue.key])}</td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
      <h3>Last errors</h3>
      <Show when={props.health.recent_errors.length > 0} fallback={<p>No errors logged.</p>}>
        <ul aria-label="Last errors">
          <For each={props.health.recent_errors}>
            {(entry) => (
              <li>
                <time datetime={entry.time}>{new Date(entry.time).toLocaleString()}</time>{' '}
                {entry.level === 'error' ? 'Error' : 'Warning'}: {entry.message}
                <Show when={entry.detail}>{(detail) => <> ({detail()})</>}</Show>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <p class="muted">
        Read at{' '}
        <time datetime={props.health.generated_at}>
          {new Date(props.health.generated_at).toLocaleTimeString()}
        </time>
        .
      </p>
    </>
  );
}

/**
 * Settings → System, for an administrator: the server's health in figures a person reads
 * (connections, sync backlog, job queues, failing calendar connections, last errors). Nobody
 * else sees the section; the server answers 403 to anyone else all the same.
 */
export function SystemSettings() {
  const workspace = useWorkspace();
  const [role] = createResource(() => fetchAccountRole(workspace.session()));
  const [health, { refetch }] = createResource(
    () => (role() === 'admin' ? workspace.session() : null),
    (session) => fetchSystemHealth(session),
  );
  return (
    <Show when={role() === 'admin'}>
      <section aria-labelledby="system-heading">
        <h2 id="system-heading">System</h2>
        <Show when={health.error}>
          {(error) => (
            <p role="alert">
              Could not read the server’s health: {String(error().message ?? error())}
            </p>
          )}
        </Show>
        <Show when={!health.error && health.latest}>
          {(latest) => <SystemFigures health={latest()} />}
        </Show>
        <button type="button" onClick={() => void refetch()}>
          Refresh
        </button>
      </section>
    </Show>
  );
}
