// A zod schema for the large records a build reads back from its cache (thousands of
// listings, paths, ids): an object whose every value passes a plain test, checked in one
// loop. zod's own walk of such a record, in the new process each `newsdesk build` is, costs
// tens of milliseconds and copies it; the test of a value is written beside the schema it
// stands for, and the tests tie the two together.
import { z } from 'zod';

export function recordOf<T>(isValue: (value: unknown) => boolean) {
  return z.custom<Record<string, T>>((value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    for (const v of Object.values(value)) if (!isValue(v)) return false;
    return true;
  });
}

export function isString(value: unknown): value is string {
  return typeof value === 'string';
}

/** Whether `value` is an array whose every item passes `isItem`. */
export function isArrayOf(value: unknown, isItem: (item: unknown) => boolean): boolean {
  if (!Array.isArray(value)) return false;
  for (const item of value) if (!isItem(item)) return false;
  return true;
}
