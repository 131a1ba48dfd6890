import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Git-ignored folder with the reference servers, installed by the bench on first run. */
export const REFERENCES_DIR = fileURLToPath(new URL('../.references/', import.meta.url));

/**
 * The reference servers and their clients. Hocuspocus 4 is pinned: it declares Node >= 22, so an
 * unpinned install on Node 20 picks 3.x, yet 4.7.0 runs on Node 20 (installed with
 * --engine-strict=false). Its durable store is @hocuspocus/extension-sqlite (better-sqlite3,
 * compiled at install when no prebuilt binary can be fetched).
 */
const REFERENCES_PACKAGE = {
  name: 'sync-server-bench-references',
  private: true,
  description: 'Reference servers for sync-server/bench (installed by the bench, git-ignored).',
  dependencies: {
    '@hocuspocus/extension-sqlite': '4.7.0',
    '@hocuspocus/provider': '4.7.0',
    '@hocuspocus/server': '4.7.0',
    'y-protocols': '^1.0.6',
    'y-websocket': '^2.1.0',
    yjs: '^13.6.27',
  },
};

const MARKER = '.installed-package.json';

/** Installs the references unless the installed set is already this one. */
export function ensureReferences(log: (line: string) => void): void {
  mkdirSync(REFERENCES_DIR, { recursive: true });
  const manifest = `${JSON.stringify(REFERENCES_PACKAGE, null, 2)}\n`;
  const marker = path.join(REFERENCES_DIR, MARKER);
  if (existsSync(marker) && readFileSync(marker, 'utf8') === manifest) return;
  writeFileSync(path.join(REFERENCES_DIR, 'package.json'), manifest);
  log(`installing reference servers into ${REFERENCES_DIR} (first run, about a minute)...`);
  const started = performance.now();
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--engine-strict=false'], {
    cwd: REFERENCES_DIR,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, npm_config_loglevel: 'error' },
  });
  // better-sqlite3 is native: fail here, not in the middle of a run, if it did not build.
  execFileSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], {
    cwd: REFERENCES_DIR,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  writeFileSync(marker, manifest);
  log(`  installed in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

/** `require` resolving from the references folder (its own yjs, provider, ...). */
export const referencesRequire = createRequire(path.join(REFERENCES_DIR, 'package.json'));
