// How schema validation reaches the Content Lake for cross-document rules (unique
// issue numbers and slugs). The raw perspective sees drafts too, so a clash with
// another editor's unpublished draft is reported before both get published.
import type { ValidationContext } from 'sanity';
import type { QueryClient } from './validation.ts';

export const validationApiVersion = '2025-02-19';

export function lakeClient(context: ValidationContext): QueryClient {
  return context.getClient({ apiVersion: validationApiVersion }).withConfig({ perspective: 'raw' });
}
