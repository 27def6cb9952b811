// Picks the content store the configuration asks for: Sanity when SANITY_PROJECT_ID is
// set, otherwise the local dataset (seeded from the shipped sample on first use).
import type { ContentConfig } from '../core/config.ts';
import { GroqJsStore } from './groq-js-store.ts';
import { SanityClientStore } from './sanity-client-store.ts';
import type { ContentStore } from './store.ts';

/**
 * `lazy`: the local dataset's documents are parsed only when read, and few parses are kept
 * (GroqJsStoreOptions.lazy): for a build, and for a server without the Studio (its lake's
 * query workers are sent every document, which a lazy one cannot be).
 */
export function openContentStore(content: ContentConfig, options: { lazy?: boolean } = {}): ContentStore {
  if (content.kind === 'sanity') return new SanityClientStore(content);
  return new GroqJsStore({ datasetPath: content.datasetPath, seedFrom: content.samplePath, ...(options.lazy ? { lazy: true } : {}) });
}
