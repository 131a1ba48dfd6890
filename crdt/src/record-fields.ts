import * as Y from 'yjs';

/**
 * Tolerant field readers: a document may hold anything another device wrote (an old client, a
 * bug, a hostile peer), so every read coerces to the expected type or falls back.
 */
export function readString(map: Y.Map<unknown>, key: string, fallback = ''): string {
  const value = map.get(key);
  return typeof value === 'string' ? value : fallback;
}

export function readNullableString(map: Y.Map<unknown>, key: string): string | null {
  const value = map.get(key);
  return typeof value === 'string' && value !== '' ? value : null;
}

export function readEnum<T extends string>(
  map: Y.Map<unknown>,
  key: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const value = map.get(key);
  return typeof value === 'string' && (allowed as readonly string[]).includes(value)
    ? (value as T)
    : fallback;
}

export function readBoolean(map: Y.Map<unknown>, key: string): boolean {
  return map.get(key) === true;
}

export function readNumber(map: Y.Map<unknown>, key: string): number | null {
  const value = map.get(key);
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** A timestamp field: kept only when it parses as a date. */
export function readInstant(map: Y.Map<unknown>, key: string): string | null {
  const value = map.get(key);
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : null;
}

/** Reads a Y.Text (or a plain string some client wrote instead) as a string. */
export function readText(map: Y.Map<unknown>, key: string): string {
  const value = map.get(key);
  if (value instanceof Y.Text) return value.toString();
  return typeof value === 'string' ? value : '';
}

export function asMap(value: unknown): Y.Map<unknown> | null {
  return value instanceof Y.Map ? value : null;
}

/**
 * Writes a field of a record, keeping the document lean: null/undefined removes the key, and an
 * unchanged value writes nothing (each write is an item forever).
 */
export function writeField(map: Y.Map<unknown>, key: string, value: unknown): void {
  if (value === null || value === undefined) {
    if (map.has(key)) map.delete(key);
    return;
  }
  if (map.get(key) !== value) map.set(key, value);
}

/** Replaces a Y.Text's content with the smallest edit: common prefix and suffix are kept. */
export function replaceText(text: Y.Text, next: string): void {
  const current = text.toString();
  if (current === next) return;
  let prefix = 0;
  const maxPrefix = Math.min(current.length, next.length);
  while (prefix < maxPrefix && current[prefix] === next[prefix]) prefix += 1;
  let suffix = 0;
  const maxSuffix = Math.min(current.length, next.length) - prefix;
  while (
    suffix < maxSuffix &&
    current[current.length - 1 - suffix] === next[next.length - 1 - suffix]
  ) {
    suffix += 1;
  }
  const deleteCount = current.length - prefix - suffix;
  if (deleteCount > 0) text.delete(prefix, deleteCount);
  const insert = next.slice(prefix, next.length - suffix);
  if (insert !== '') text.insert(prefix, insert);
}
