// Every failure newsdesk reports to a person goes through NewsdeskError: a stable code
// a script can match on, a message that names the file/document/field at fault, and a
// hint saying what to do next. Only the CLI entry prints them and picks the exit code.

export const errorCodes = {
  CONFIG_INVALID: 'configuration is invalid',
  DATASET_PARSE: 'a dataset file line is not valid JSON',
  DATASET_WRITE: 'the dataset could not be written',
  CONTENT_INVALID: 'stored content does not match the content model',
  QUERY_FAILED: 'a GROQ query failed',
  MUTATION_FAILED: 'a mutation could not be applied',
  MUTATION_CONFLICT: 'a mutation clashes with what is stored (the document exists, or changed since it was read)',
  NOT_FOUND: 'the thing asked for does not exist',
  USAGE: 'the command was called wrongly',
  BUILD_FAILED: 'the build failed',
  RENDER_FAILED: 'rendering an issue failed',
  SEND_FAILED: 'the send could not go on',
  SEND_PAUSED: 'the send paused itself',
  SEND_BUSY: 'another send of the same issue is running',
  SEND_UNRESOLVED: 'the send finished with deliveries whose outcome is unknown',
  SEND_REFUSED: 'an issue cannot be scheduled or sent as it is',
  DATABASE_BUSY: 'the delivery database stayed locked by another process',
  DATABASE_UNAVAILABLE: 'the delivery database could not be reached or opened',
  IMPORT_FAILED: 'an import was refused',
  CAPTURE_FAILED: 'a link could not be captured',
  LINK_CHECK_FAILED: 'the published links could not be checked',
  SUBSCRIBER_INVALID: 'a subscriber record is invalid',
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class NewsdeskError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NewsdeskError';
    this.code = code;
    this.hint = options.hint;
  }
}

export function isNewsdeskError(error: unknown, code?: ErrorCode): error is NewsdeskError {
  return error instanceof NewsdeskError && (code === undefined || error.code === code);
}

/** One line per zod issue, each naming the path inside the value that failed. */
export function formatZodIssues(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
): string[] {
  return issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}
