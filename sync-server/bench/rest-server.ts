/**
 * The server under test as a child process (`node dist/main.js`) on 127.0.0.1: started, waited
 * for, measured through /proc, and stopped by its pid (SIGTERM, then SIGKILL after a deadline).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ServerProcess {
  readonly pid: number;
  readonly url: string;
  readonly child: ChildProcess;
  /** Output lines of the server (stdout and stderr), the first ones kept. */
  readonly lines: string[];
  exited: boolean;
}

const MAX_LINES = 500;

/** A port free right now on 127.0.0.1 (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export async function startServer(options: {
  cwd: string;
  entry: string;
  env: NodeJS.ProcessEnv;
  nodeArgs?: readonly string[];
  readyTimeoutMs?: number;
}): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.entry], {
    cwd: options.cwd,
    env: { ...options.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not spawn the server');
  const lines: string[] = [];
  const server: ServerProcess = {
    pid: child.pid,
    url: `http://127.0.0.1:${port}`,
    child,
    lines,
    exited: false,
  };
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) if (line.trim() && lines.length < MAX_LINES) lines.push(line);
    });
  }
  child.once('exit', () => {
    server.exited = true;
  });

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (server.exited) {
      throw new Error(`server exited while starting:\n${lines.slice(-30).join('\n')}`);
    }
    try {
      const response = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return server;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  await stopServer(server);
  throw new Error(`server not ready within ${options.readyTimeoutMs ?? 60_000} ms`);
}

/** SIGTERM (graceful: pending updates committed), SIGKILL if it has not exited in time. */
export async function stopServer(server: ServerProcess, timeoutMs = 20_000): Promise<void> {
  if (server.exited) return;
  const exited = new Promise<void>((resolve) => {
    if (server.exited) resolve();
    else server.child.once('exit', () => resolve());
  });
  try {
    process.kill(server.pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  const timer = sleep(timeoutMs).then(() => 'timeout' as const);
  if ((await Promise.race([exited.then(() => 'exited' as const), timer])) === 'timeout') {
    try {
      process.kill(server.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
    await exited;
  }
}

/** Resident set size (and its peak) of a process, from /proc/PID/status, in bytes. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : Number.NaN;
  };
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}
