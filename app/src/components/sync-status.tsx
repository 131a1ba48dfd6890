import { formatChangeCount } from '../format.js';
import { useWorkspace } from '../workspace-context.js';

const LABELS = { offline: 'Offline', syncing: 'Syncing', synced: 'Up to date' } as const;

/** Offline / syncing / up to date, with the count of changes the server has not stored yet. */
export function SyncStatus() {
  const { replica } = useWorkspace();
  const label = () => {
    const pending = replica.pending();
    const base = LABELS[replica.state()];
    return pending > 0 ? `${base} · ${formatChangeCount(pending)} not yet on the server` : base;
  };
  return (
    <output
      class="sync"
      data-state={replica.state()}
      aria-label={`Sync status: ${label()}`}
      title={label()}
    >
      {label()}
    </output>
  );
}
