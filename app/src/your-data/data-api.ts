import { ApiError, type Session } from '../session/session.js';

/** The "your data" and account parts of the REST API, as Settings uses them. */

export interface ImportSkip {
  kind: string;
  ref: string;
  reason: string;
}

export interface ImportReport {
  imported: {
    settings: number;
    projects: number;
    tags: number;
    tasks: number;
    time_entries: number;
  };
  skipped: ImportSkip[];
  warnings: ImportSkip[];
  /** Occurrences of a series the file moved, each imported as a task of its own. */
  moved_occurrences: { ref: string; task_id: string; series_id: string | null }[];
}

export interface FeedState {
  enabled: boolean;
  created_at: string | null;
}

export interface NewFeed extends FeedState {
  url: string;
  path: string;
}

export interface TokenBody {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as {
      error?: { code?: string; message?: string; fields?: { field: string; message: string }[] };
    };
    return new ApiError(
      response.status,
      body.error?.code ?? 'error',
      body.error?.message ?? response.statusText,
      body.error?.fields ?? [],
    );
  } catch {
    return new ApiError(response.status, 'error', response.statusText);
  }
}

export async function call<T>(
  session: Session,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${session.accessToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'offline', 'The server cannot be reached. Try again when online.');
  }
  if (!response.ok) throw await errorOf(response);
  return (response.status === 204 ? null : await response.json()) as T;
}

/** A file of the API (the .ics export, a time sheet), as a Blob to save. */
export async function download(session: Session, path: string): Promise<Blob> {
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      headers: { authorization: `Bearer ${session.accessToken}` },
    });
  } catch {
    throw new ApiError(0, 'offline', 'The server cannot be reached. Try again when online.');
  }
  if (!response.ok) throw await errorOf(response);
  return response.blob();
}

/** Sends a file to `POST /import`, reporting the upload's progress (large files take a while). */
export function uploadImport(
  session: Session,
  file: { body: Blob; type: string; source: string },
  onProgress: (loaded: number, total: number) => void,
): Promise<ImportReport> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', `/api/v1/import?source=${encodeURIComponent(file.source)}`);
    request.setRequestHeader('authorization', `Bearer ${session.accessToken}`);
    request.setRequestHeader('content-type', file.type);
    request.upload.onprogress = (event) => onProgress(event.loaded, event.total);
    request.onerror = () =>
      reject(new ApiError(0, 'offline', 'The server cannot be reached. Try again when online.'));
    request.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(request.responseText);
      } catch {
        // handled below
      }
      if (request.status === 200) return resolve(body as ImportReport);
      const error = (body as { error?: { code?: string; message?: string; fields?: ImportSkip[] } })
        ?.error;
      reject(
        new ApiError(
          request.status,
          error?.code ?? 'error',
          error?.message ?? `The import failed (${request.status}).`,
          (error?.fields as unknown as { field: string; message: string }[]) ?? [],
        ),
      );
    };
    request.send(file.body);
  });
}

/** The Content-Type an import file is sent as, from its name. */
export function importTypeOf(name: string): string | null {
  const lower = name.toLowerCase();
  if (lower.endsWith('.json')) return 'application/json';
  if (lower.endsWith('.csv')) return 'text/csv';
  if (lower.endsWith('.ics') || lower.endsWith('.ical')) return 'text/calendar';
  return null;
}

/** Saves a Blob as a file the browser downloads. */
export function saveFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
