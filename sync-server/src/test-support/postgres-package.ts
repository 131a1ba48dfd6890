import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The installed postgres.js (our patched copy, pnpm-workspace.yaml), for tests that check a
 * patch in each of its copies (`src/` for ESM, `cjs/src/` for CommonJS).
 */
export const postgresPackageDir = path.resolve(
  path.dirname(createRequire(import.meta.url).resolve('postgres')),
  '..',
  '..',
);

/** An ES module of the package by its path inside it, e.g. `src/queue.js`. */
export async function importFromPostgres<T>(file: string): Promise<T> {
  return (await import(pathToFileURL(path.join(postgresPackageDir, file)).href)) as T;
}
