import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';

/** A server started by the bench: its own child process, stopped by its pid. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Output lines (stdout and stderr), the first ones kept. */
  readonly lines: string[];
  exitCode: number | null;
  exitSignal: NodeJS.Signals | null;
  readonly exited: Promise<void>;
}

const MAX_LINES = 400;
const running = new Set<ManagedProcess>();

export function startProcess(
  name: string,
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; ipc?: boolean },
): ManagedProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${name}: could not spawn ${command}`);
  const lines: string[] = [];
  const collect = (stream: NodeJS.ReadableStream | null) => {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) if (line.trim() && lines.length < MAX_LINES) lines.push(line);
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  const managed: ManagedProcess = {
    name,
    pid: child.pid,
    child,
    lines,
    exitCode: null,
    exitSignal: null,
    exited: new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        managed.exitCode = code;
        managed.exitSignal = signal;
        running.delete(managed);
        resolve();
      });
    }),
  };
  running.add(managed);
  return managed;
}

export function isRunning(proc: ManagedProcess): boolean {
  return running.has(proc);
}

/** SIGTERM by pid, SIGKILL after `graceMs`. Resolves once the process has exited. */
export async function stopProcess(proc: ManagedProcess, graceMs = 8_000): Promise<void> {
  if (!running.has(proc)) return;
  try {
    process.kill(proc.pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    proc.exited.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), graceMs);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    proc.lines.push(`[bench] did not exit ${graceMs} ms after SIGTERM: SIGKILL`);
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await proc.exited;
  }
}

export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map((proc) => stopProcess(proc, 3_000)));
}

/** Synchronous last resort (process 'exit'): SIGKILL whatever is still running. */
export function killAllProcessesNow(): void {
  for (const proc of running) {
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers (any HTTP status) or the process exits or time runs out. */
export async function waitForHttp(url: string, proc: ManagedProcess, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!running.has(proc)) {
      throw new Error(
        `${proc.name} exited (code ${proc.exitCode}, signal ${proc.exitSignal}) before listening:\n${proc.lines.slice(-20).join('\n')}`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`${proc.name} did not answer on ${url} within ${timeoutMs} ms`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

let clockTicks: number | null = null;

function ticksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU seconds (utime + stime) a process has used, from /proc/PID/stat; null when gone. */
export function readCpuSeconds(pid: number, tid?: number): number | null {
  try {
    const file = tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`;
    const stat = readFileSync(file, 'utf8');
    // The command name may contain spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / ticksPerSecond();
  } catch {
    return null;
  }
}

/**
 * CPU seconds used so far by every process whose command is `comm` (e.g. `postgres`: the
 * server and all its backends), as far as /proc lets us read them.
 */
export function readCommandCpuSeconds(comm: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== comm) continue;
    } catch {
      continue;
    }
    total += readCpuSeconds(Number(entry)) ?? 0;
  }
  return total;
}

/** Resident set size in MiB, from /proc/PID/status VmRSS; null when gone. */
export function readRssMb(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match?.[1] ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export interface ProcessUsage {
  /** Percent of one core over the sampled interval. */
  cpuPercent: number;
  /** The part of it on the main thread (the event loop); the rest is workers, GC, libuv. */
  mainThreadCpuPercent: number;
  rssPeakMb: number;
  rssStartMb: number;
  rssEndMb: number;
}

/** Samples one process's CPU and RSS between start() and stop(). */
export class ProcessSampler {
  private cpuAtStart = 0;
  private mainAtStart = 0;
  private startedAt = 0;
  private peak = 0;
  private first = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly pid: number) {}

  start(): void {
    this.cpuAtStart = readCpuSeconds(this.pid) ?? 0;
    this.mainAtStart = readCpuSeconds(this.pid, this.pid) ?? 0;
    this.startedAt = performance.now();
    this.first = readRssMb(this.pid) ?? 0;
    this.peak = this.first;
    this.timer = setInterval(() => {
      this.peak = Math.max(this.peak, readRssMb(this.pid) ?? 0);
    }, 250);
  }

  stop(): ProcessUsage {
    if (this.timer) clearInterval(this.timer);
    const seconds = (performance.now() - this.startedAt) / 1000;
    const cpu = (readCpuSeconds(this.pid) ?? this.cpuAtStart) - this.cpuAtStart;
    const main = (readCpuSeconds(this.pid, this.pid) ?? this.mainAtStart) - this.mainAtStart;
    const end = readRssMb(this.pid) ?? 0;
    return {
      cpuPercent: seconds > 0 ? (cpu / seconds) * 100 : 0,
      mainThreadCpuPercent: seconds > 0 ? (main / seconds) * 100 : 0,
      rssPeakMb: Math.max(this.peak, end),
      rssStartMb: this.first,
      rssEndMb: end,
    };
  }
}

/** CPU seconds the whole machine spent busy (all cores), from /proc/stat; null if unreadable. */
export function readMachineBusySeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    // cpu user nice system idle iowait irq softirq steal ...
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    const busy = [user, nice, system, irq, softirq, steal].reduce<number>(
      (a, b) => a + (b ?? 0),
      0,
    );
    return busy / ticksPerSecond();
  } catch {
    return null;
  }
}
