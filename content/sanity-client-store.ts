// The Sanity content store: the same interface over a project's Content Lake through
// @sanity/client. Tests point it at a local stand-in of the query/mutate endpoints.
import type { SanityClient } from '@sanity/client';
import { NewsdeskError } from '../core/errors.ts';
import type { MutateOptions, ContentStore, FetchOptions, Mutation, MutationResult } from './store.ts';

export interface SanityClientStoreOptions {
  projectId: string;
  dataset: string;
  apiVersion: string;
  token?: string | undefined;
  /** e.g. http://127.0.0.1:4567 for a stand-in; unset means Sanity's own API host. */
  apiHost?: string | undefined;
}

export class SanityClientStore implements ContentStore {
  readonly description: string;
  readonly #options: SanityClientStoreOptions;
  #client: Promise<SanityClient> | undefined;

  constructor(options: SanityClientStoreOptions) {
    this.#options = options;
    this.description = `Sanity project ${options.projectId}, dataset ${options.dataset}`;
  }

  // @sanity/client and its RxJS take a quarter of a second to load: only commands that
  // talk to Sanity pay for it, not every command that opens a content store.
  #connect(): Promise<SanityClient> {
    const options = this.#options;
    return (this.#client ??= import('@sanity/client').then(({ createClient }) =>
      createClient({
        projectId: options.projectId,
        dataset: options.dataset,
        apiVersion: options.apiVersion,
        token: options.token,
        // Drafts and fresh writes must be visible, so never the CDN.
        useCdn: false,
        ...(options.apiHost ? { apiHost: options.apiHost, useProjectHostname: false } : {}),
      }),
    ));
  }

  async fetch<T = unknown>(query: string, params: Record<string, unknown> = {}, options: FetchOptions = {}): Promise<T> {
    try {
      return await (await this.#connect()).fetch<T>(query, params, { perspective: options.perspective ?? 'published' });
    } catch (error) {
      throw new NewsdeskError('QUERY_FAILED', `Query to ${this.description} failed: ${(error as Error).message}`, {
        cause: error,
        hint: 'Check SANITY_PROJECT_ID, SANITY_DATASET and SANITY_TOKEN (drafts need a token with read access).',
      });
    }
  }

  async mutate(mutations: Mutation[], options: MutateOptions = {}): Promise<MutationResult> {
    try {
      const res = await (await this.#connect()).mutate(mutations as never, {
        returnDocuments: false,
        visibility: 'sync',
        ...(options.transactionId ? { transactionId: options.transactionId } : {}),
      });
      return {
        transactionId: res.transactionId,
        results: res.results.map((r) => ({ id: r.id, operation: r.operation as MutationResult['results'][number]['operation'] })),
      };
    } catch (error) {
      throw new NewsdeskError('MUTATION_FAILED', `Write to ${this.description} failed: ${(error as Error).message}`, {
        cause: error,
        hint: 'SANITY_TOKEN must be a token with write access (Editor role).',
      });
    }
  }
}
