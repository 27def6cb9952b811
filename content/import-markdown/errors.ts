// The import's one error shape: file:line, what is wrong, what to do next.
import { NewsdeskError } from '../../core/errors.ts';

export function importError(file: string, line: number | undefined, message: string, hint: string): NewsdeskError {
  return new NewsdeskError('IMPORT_FAILED', `${file}${line === undefined ? '' : `:${line}`}: ${message}`, { hint });
}

/** Something the importer mapped to a nearby shape, or left out, instead of carrying it as written. */
export interface ImportWarning {
  line: number;
  /** A short kind for grouping in reports: "heading level", "inline HTML", "image", "link scheme", … */
  kind: string;
  message: string;
}
