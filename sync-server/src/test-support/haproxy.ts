import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './server-process.js';

/**
 * A real load balancer in front of server processes: Debian's HAProxy, run in the foreground
 * (`-db`) from a config written into a temp dir, so the test owns its pid. Websockets pass
 * through (HTTP mode upgrades them), nodes are checked on `/readyz` every 500 ms, and a node
 * marked down has its sessions cut so its clients reconnect to another one. When no node is
 * ready (Redis down makes every node's /readyz 503), the nodes that are alive serve anyway:
 * each keeps serving its own devices, which beats serving nobody.
 */
export const HAPROXY = '/usr/sbin/haproxy';

const run = promisify(execFile);

/**
 * Installs Debian's haproxy when missing (as `e2e/scripts/ensure-chromium.sh` does Chromium).
 * Resolves whether it is there; with `REQUIRE_SERVICES=1` a failed install throws instead.
 */
export async function ensureHaproxy(): Promise<boolean> {
  if (existsSync(HAPROXY)) return true;
  const required = process.env.REQUIRE_SERVICES === '1';
  const fail = (reason: string): boolean => {
    const message = `${HAPROXY} is missing (${reason}); install it with: sudo apt-get install -y haproxy`;
    if (required) throw new Error(message);
    console.warn(message);
    return false;
  };
  if (process.getuid?.() !== 0) return fail('not root, cannot install it');
  const apt = (args: string[]) =>
    run('apt-get', ['-o', 'DPkg::Lock::Timeout=120', ...args], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 300_000,
    });
  try {
    try {
      await apt(['install', '-y', '-qq', 'haproxy']);
    } catch {
      // Stale package lists: refresh them once and try again.
      await apt(['update', '-qq']);
      await apt(['install', '-y', '-qq', 'haproxy']);
    }
  } catch (error) {
    return fail(`apt-get install failed: ${(error as Error).message.split('\n')[0]}`);
  }
  return existsSync(HAPROXY) || fail('apt-get installed no /usr/sbin/haproxy');
}

export interface HaproxyBackend {
  /** The server's name in HAProxy (its stats, `setBackendState`). */
  name: string;
  port: number;
}

export type BackendState = 'ready' | 'drain' | 'maint';

export interface RunningHaproxy {
  port: number;
  url: string;
  wsUrl: string;
  /** HAProxy's view of each node's readiness: `UP`, `DOWN`, `MAINT`, `DRAIN`, `UP 1/2`, ... */
  backendStatus(): Promise<Record<string, string>>;
  /** Puts a backend in maintenance or drain (no new sessions) or back, as an operator would. */
  setBackendState(name: string, state: BackendState): Promise<void>;
  /** Any command of HAProxy's admin socket (`disable health nodes/a`, ...); resolves its answer. */
  admin(command: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The config: one HTTP frontend on 127.0.0.1, round robin over `backends` checked on /readyz;
 * when none is ready, over those that are alive (/healthz).
 */
export function haproxyConfig(options: {
  port: number;
  backends: HaproxyBackend[];
  adminSocket: string;
}): string {
  const servers = options.backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port}`).join('\n');
  return `global
  # Each connection holds two descriptors (client, server); 4096 stays under a 10k fd limit.
  maxconn 4096
  stats socket ${options.adminSocket} mode 600 level admin

defaults
  mode http
  option forwardfor
  timeout connect 500ms
  timeout client 60s
  timeout server 60s
  # An open websocket is a tunnel: quiet for up to an hour (the relay pings every 10 s).
  timeout tunnel 1h
  timeout client-fin 1s
  timeout server-fin 1s
  timeout check 1s
  # A connection a node refused goes to another node on the next try.
  retries 3
  option redispatch 1

frontend app
  bind 127.0.0.1:${options.port}
  # No node ready (a Redis outage takes every node out): the live ones serve rather than none.
  use_backend alive if { nbsrv(nodes) eq 0 }
  default_backend nodes

backend nodes
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  # Checked every 500 ms: down after two failures (about 1 s), up again after one success.
  # A node marked down has its sessions cut, so its websockets reconnect to another node.
  default-server check inter 500ms fastinter 500ms downinter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
${servers}

backend alive
  balance roundrobin
  option httpchk GET /healthz
  http-check expect status 200
  default-server check inter 500ms fastinter 500ms downinter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
${servers}
`;
}

/** Starts HAProxy in front of `backends`; resolves once it accepts connections. */
export async function startHaproxy(options: {
  backends: HaproxyBackend[];
  port?: number;
}): Promise<RunningHaproxy> {
  for (const backend of options.backends) {
    if (!/^[A-Za-z0-9_.-]+$/.test(backend.name)) {
      throw new Error(`backend name ${JSON.stringify(backend.name)}: letters, digits, _ . - only`);
    }
  }
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(path.join(tmpdir(), 'tasks-haproxy-'));
  const adminSocket = path.join(dir, 'admin.sock');
  const configFile = path.join(dir, 'haproxy.cfg');
  await writeFile(configFile, haproxyConfig({ port, backends: options.backends, adminSocket }));
  const child: ChildProcess = spawn(HAPROXY, ['-db', '-f', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killLater = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(killLater);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // Ready once the port accepts and this process's own admin socket answers: the port can
    // accept before HAProxy has bound the socket (CI once lost a whole file's tests to that).
    const deadline = Date.now() + 10_000;
    while (!((await accepts(port)) && (await answersAsItself(adminSocket, child.pid)))) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`haproxy exited at start: ${output.trim()}`);
      }
      if (Date.now() > deadline) throw new Error(`haproxy did not get ready on ${port}: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const admin = (command: string) => adminCommand(adminSocket, command);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    async backendStatus() {
      // `show stat` is CSV: # pxname,svname,...,status (column 18),...
      const lines = (await admin('show stat')).split('\n');
      const header = (lines[0] ?? '').replace(/^# /, '').split(',');
      const proxy = header.indexOf('pxname');
      const server = header.indexOf('svname');
      const status = header.indexOf('status');
      const result: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const fields = line.split(',');
        const name = fields[server];
        if (fields[proxy] !== 'nodes' || !name || name === 'BACKEND') continue;
        result[name] = fields[status] ?? '';
      }
      return result;
    },
    async setBackendState(name, state) {
      for (const backend of ['nodes', 'alive']) {
        const answer = await admin(`set server ${backend}/${name} state ${state}`);
        if (answer.trim() !== '') throw new Error(`haproxy: ${answer.trim()}`);
      }
    },
    admin,
    stop,
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** Whether the admin socket answers `show info` as the HAProxy of process `pid`. */
async function answersAsItself(socketPath: string, pid: number | undefined): Promise<boolean> {
  try {
    return new RegExp(`^Pid: ${pid}$`, 'm').test(await adminCommand(socketPath, 'show info'));
  } catch {
    return false;
  }
}

/** One command on HAProxy's admin socket; resolves its whole answer. */
function adminCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(socketPath, () => socket.end(`${command}\n`));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}
