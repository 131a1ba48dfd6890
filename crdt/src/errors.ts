/** One field that failed validation, with the reason in words a user can act on. */
export interface FieldError {
  field: string;
  message: string;
}

/** A write from outside carried invalid values. Maps to HTTP 422 at the edge. */
export class ValidationError extends Error {
  readonly code = 'validation_failed';
  constructor(readonly fields: FieldError[]) {
    super(fields.map((f) => `${f.field}: ${f.message}`).join('; '));
    this.name = 'ValidationError';
  }
}

/** The record does not exist (or is purged). Maps to HTTP 404. */
export class NotFoundError extends Error {
  readonly code = 'not_found';
  constructor(
    readonly entity: string,
    readonly id: string,
  ) {
    super(`${entity} ${id} not found`);
    this.name = 'NotFoundError';
  }
}

/** The write would break a uniqueness rule (e.g. a tag name). Maps to HTTP 409. */
export class ConflictError extends Error {
  readonly code = 'conflict';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ConflictError';
  }
}
