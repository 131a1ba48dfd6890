/**
 * Summary of a V8 CPU profile (`node --cpu-prof`): the functions with the most self time and the
 * most total time (self + callees, each function counted once per sample), so a slow path can be
 * named without opening DevTools.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileLine {
  name: string;
  selfMs: number;
  totalMs: number;
}

function label(frame: CallFrame, root: string): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  let where = frame.url.replace(/^file:\/\//, '');
  if (where.startsWith(root)) where = where.slice(root.length + 1);
  const store = where.indexOf('node_modules/.pnpm/');
  if (store >= 0) {
    const inner = where.lastIndexOf('node_modules/');
    where = where.slice(inner + 'node_modules/'.length);
  }
  return `${name} ${where}:${frame.lineNumber + 1}`;
}

/**
 * The main thread's `.cpuprofile` in `dir` (worker threads write their own, with another thread
 * id in the name: `CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`), summarized: top
 * functions by self and by total time.
 */
export function summarizeProfile(
  dir: string,
  root: string,
  top = 12,
): { file: string; durationMs: number; bySelf: ProfileLine[]; byTotal: ProfileLine[] } | null {
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.cpuprofile'))
    .sort();
  const file = files.find((name) => name.split('.').at(-3) === '0') ?? files.at(-1);
  if (!file) return null;
  const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const labels = new Map(profile.nodes.map((node) => [node.id, label(node.callFrame, root)]));

  const self = new Map<string, number>();
  const total = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i += 1) {
    const id = profile.samples[i] as number;
    // timeDeltas[i] is the time before sample i; it is charged to the sample (µs).
    const ms = ((profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) as number) / 1000;
    const own = labels.get(id) ?? '?';
    self.set(own, (self.get(own) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = labels.get(at) ?? '?';
      if (seen.has(name) || !byId.has(at)) continue;
      seen.add(name);
      total.set(name, (total.get(name) ?? 0) + ms);
    }
  }
  const lines = [...total.keys()].map((name) => ({
    name,
    selfMs: self.get(name) ?? 0,
    totalMs: total.get(name) ?? 0,
  }));
  const skip = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);
  return {
    file: path.join(dir, file),
    durationMs: (profile.endTime - profile.startTime) / 1000,
    bySelf: [...lines].sort((a, b) => b.selfMs - a.selfMs).slice(0, top),
    byTotal: lines
      .filter((line) => !skip.has(line.name))
      .sort((a, b) => b.totalMs - a.totalMs)
      .slice(0, top * 2),
  };
}
