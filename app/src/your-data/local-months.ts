import { MONTH_KEY } from '@tasks/crdt';

/**
 * The month documents (`YYYY-MM`) this device keeps for the user, from the names of its
 * IndexedDB databases (`tasks:{userId}/time/{YYYY-MM}`, one per room): what an offline export
 * must open to hold every time entry the device has.
 */
export function monthsOfLocalDatabases(names: readonly string[], userId: string): string[] {
  const prefix = `tasks:${userId}/time/`;
  return names
    .filter((name) => name.startsWith(prefix))
    .map((name) => name.slice(prefix.length))
    .filter((key) => MONTH_KEY.test(key))
    .sort();
}

/** How far an import has come, in words: reading the file, then sending it. */
export function progressLabel(phase: 'reading' | 'sending', loaded: number, total: number): string {
  const percent = total > 0 ? Math.min(100, Math.floor((loaded / total) * 100)) : 0;
  const size = (bytes: number) =>
    bytes >= 1024 * 1024
      ? `${(bytes / 1024 / 1024).toFixed(1)} MB`
      : `${Math.ceil(bytes / 1024)} KB`;
  return `${phase === 'reading' ? 'Reading' : 'Sending'} ${size(loaded)} of ${size(total)} (${percent}%)`;
}
