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

/**
 * Warning kinds that report without anything of the text being lost or changed, so
 * --strict lets them pass: a picture kept at its address or copied beside the issue, a
 * malformed address stored exactly as written, and a missing alt text (the Markdown has
 * none to lose; the report still asks for one, as readers of screen readers need it).
 */
export const informationalKinds: ReadonlySet<string> = new Set(['remote image', 'image copied', 'alt text', 'malformed URL']);

export function isInformational(warning: ImportWarning): boolean {
  return informationalKinds.has(warning.kind);
}
