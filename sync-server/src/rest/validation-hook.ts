import { ValidationError } from '@tasks/crdt';
import type { z } from 'zod';

/**
 * zod-openapi's hook for requests that fail their schema: the same ValidationError the crdt
 * throws, so every 422 has one shape (`fields` named as the request named them).
 */
export function validationHook(
  result: { success: true } | { success: false; error: z.ZodError },
): void {
  if (result.success) return;
  throw new ValidationError(
    result.error.issues.map((issue) =>
      issue.code === 'unrecognized_keys'
        ? { field: issue.keys.join(', '), message: 'unknown field' }
        : {
            field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)',
            message: issue.message,
          },
    ),
  );
}
