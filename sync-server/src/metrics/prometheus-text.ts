/**
 * A reader of Prometheus' text exposition format, enough for tests and tools that check a
 * scrape: each sample by name and labels, and the families the scrape declares (`# TYPE`).
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  samples: Sample[];
  /** Family name → type (counter, gauge, histogram, summary, untyped). */
  families: Map<string, string>;
  /** The value of the one sample with this name and (at least) these labels; undefined if none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Whether `name` is a family or one of a histogram's or summary's series. */
  has(name: string): boolean;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const SERIES_SUFFIXES = ['_bucket', '_sum', '_count'];

export function parseScrape(text: string): Scrape {
  const samples: Sample[] = [];
  const families = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      if (name && type) families.set(name, type);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(LABEL)) {
      labels[key as string] = (raw as string).replace(/\\(.)/g, (_, c: string) =>
        c === 'n' ? '\n' : c,
      );
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  const matching = (name: string, labels: Record<string, string>) =>
    samples.filter(
      (sample) =>
        sample.name === name &&
        Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    );
  return {
    samples,
    families,
    value(name, labels = {}) {
      const found = matching(name, labels);
      if (found.length > 1) {
        throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
      }
      return found[0]?.value;
    },
    has(name) {
      if (families.has(name)) return true;
      const suffix = SERIES_SUFFIXES.find((s) => name.endsWith(s));
      if (!suffix) return false;
      const type = families.get(name.slice(0, -suffix.length));
      return type === 'histogram' || (type === 'summary' && suffix !== '_bucket');
    },
  };
}
