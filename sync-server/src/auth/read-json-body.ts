import { parseInput } from '@tasks/crdt';
import type { Context } from 'hono';
import type { z } from 'zod';
import { HttpError } from '../http/http-error.js';

// application/json, with parameters (charset) or a +json suffix.
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/**
 * The request body parsed as JSON and validated by `schema`: 415 when it is not declared JSON,
 * 400 when it does not parse, 422 with one entry per bad field (ValidationError) otherwise.
 */
export async function readJsonBody<S extends z.ZodType>(
  c: Context,
  schema: S,
): Promise<z.output<S>> {
  if (!JSON_TYPE.test(c.req.header('Content-Type') ?? '')) {
    throw new HttpError(415, 'unsupported_media_type', 'Send the body as application/json.');
  }
  let body: unknown;
  try {
    body = await c.req.json();
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new HttpError(400, 'malformed_json', 'The request body is not valid JSON.');
  }
  return parseInput(schema, body);
}
