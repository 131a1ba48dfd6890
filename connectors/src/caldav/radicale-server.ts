import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A real CalDAV server for tests: Debian's Radicale (python3-radicale), run from the system
 * Python on 127.0.0.1 with its storage in a temporary folder, stopped by pid.
 */

const PYTHON = '/usr/bin/python3';
const ENSURE_SCRIPT = fileURLToPath(new URL('../../scripts/ensure-radicale.sh', import.meta.url));
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const MAX_PORT_TRIES = 3;
const MAX_LOG_CHARS = 4_000;

export interface RadicaleServer {
  /** The server's root, e.g. http://127.0.0.1:41234/ */
  url: string;
  close(): Promise<void>;
}

export interface RadicaleOptions {
  /**
   * Users and passwords checked with Basic auth (htpasswd, plain). Without it any user name
   * and password are accepted (`--auth-type none`).
   */
  users?: Record<string, string>;
}

const isRequired = () => process.env.REQUIRE_SERVICES === '1';

function canImportRadicale(): boolean {
  return spawnSync(PYTHON, ['-c', 'import radicale'], { stdio: 'ignore' }).status === 0;
}

/**
 * Whether Radicale can run here, installing it with scripts/ensure-radicale.sh when missing.
 * Not installable: an error under REQUIRE_SERVICES=1 (CI), otherwise false and a warning.
 */
export async function ensureRadicaleInstalled(): Promise<boolean> {
  if (canImportRadicale()) return true;
  const problem = await new Promise<string | null>((resolve) => {
    execFile('bash', [ENSURE_SCRIPT], { timeout: 300_000 }, (error, _stdout, stderr) => {
      resolve(error ? `${error.message}\n${stderr}` : null);
    });
  });
  if (problem === null && canImportRadicale()) return true;
  const message = `Radicale is not installed and ${ENSURE_SCRIPT} could not install it: ${problem ?? 'import still fails'}`;
  if (isRequired()) throw new Error(`REQUIRE_SERVICES=1: ${message}`);
  console.warn(`SKIPPING the CalDAV tests against Radicale. ${message}`);
  return false;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port from the probe server'));
      });
    });
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const forceKill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(forceKill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Waits until the server answers HTTP; fails when the process exits or time runs out. */
async function waitUntilAnswering(
  child: ChildProcess,
  url: string,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`Radicale exited with ${child.exitCode}: ${log()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      return;
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      // Not listening yet (connection refused): try again shortly.
    }
    await pause(100);
  }
  throw new Error(`Radicale did not answer at ${url} within ${START_TIMEOUT_MS} ms: ${log()}`);
}

async function launch(folder: string, port: number, authArgs: string[]): Promise<RadicaleServer> {
  const args = [
    '-m',
    'radicale',
    '--config',
    '',
    '--server-hosts',
    `127.0.0.1:${port}`,
    '--storage-filesystem-folder',
    join(folder, 'collections'),
    ...authArgs,
  ];
  const child = spawn(PYTHON, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-MAX_LOG_CHARS);
  });
  const url = `http://127.0.0.1:${port}/`;
  try {
    await waitUntilAnswering(child, url, () => log);
  } catch (error) {
    await stop(child);
    throw error;
  }
  return { url, close: () => stop(child) };
}

/** Starts Radicale on a free port of 127.0.0.1; `close()` stops it and removes its storage. */
export async function startRadicale(options: RadicaleOptions = {}): Promise<RadicaleServer> {
  const folder = await mkdtemp(join(tmpdir(), 'radicale-'));
  const authArgs = ['--auth-type', 'none'];
  if (options.users) {
    const htpasswd = join(folder, 'htpasswd');
    const lines = Object.entries(options.users).map(([user, password]) => `${user}:${password}\n`);
    await writeFile(htpasswd, lines.join(''));
    authArgs.splice(0, 2, '--auth-type', 'htpasswd', '--auth-htpasswd-filename', htpasswd);
    authArgs.push('--auth-htpasswd-encryption', 'plain', '--auth-delay', '0');
  }
  let lastError: unknown = null;
  // The probed port can be taken before Radicale binds it: try another.
  for (let attempt = 0; attempt < MAX_PORT_TRIES; attempt += 1) {
    try {
      const server = await launch(folder, await freePort(), authArgs);
      return {
        url: server.url,
        close: async () => {
          await server.close();
          await rm(folder, { recursive: true, force: true });
        },
      };
    } catch (error) {
      lastError = error;
    }
  }
  await rm(folder, { recursive: true, force: true });
  throw new Error(`Radicale could not start: ${String(lastError)}`);
}
