// The shapes of the Content Lake's HTTP API as the Studio and @sanity/client use them:
// request bodies and parameters checked with zod, and the error body the client parses
// (`{error: {description, type}}`), with one table from newsdesk error codes to statuses.
import { z } from 'zod';
import { isNewsdeskError, NewsdeskError, type ErrorCode } from '../../core/errors.ts';
import { parseJsonText, readJsonBody, RequestBodyError } from '../../core/request-body.ts';
import type { Perspective } from '../store.ts';

/** The API versions the lake answers under, e.g. /v2026-05-04/… and /v1/…. */
export const versionPrefix = /^\/v(?:\d{4}-\d{2}-\d{2}|1|2021-03-25|X)(?=\/)/;

export const datasetName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'is not a dataset name');

const params = z.record(z.string(), z.unknown());

export const queryBody = z.object({
  query: z.string().min(1, 'is empty'),
  params: params.optional(),
  perspective: z.union([z.string(), z.array(z.string())]).optional(),
});

export const mutateBody = z.object({
  mutations: z.array(z.record(z.string(), z.unknown())).min(1, 'has no mutations'),
  transactionId: z.string().min(1).max(128).optional(),
});

export const actionsBody = z.object({
  actions: z.array(z.looseObject({ actionType: z.string() })).min(1, 'has no actions'),
  transactionId: z.string().min(1).max(128).optional(),
  dryRun: z.boolean().optional(),
});

/** JSON request bodies (queries, mutations, actions); uploads have their own limit (assetLimits). */
export const lakeBodyLimits = { json: 16 * 1024 * 1024 } as const;

/** A JSON body read with a streamed size limit: 413 past it, 400 for malformed or too deeply nested JSON. */
export function readLakeJson(request: Request): Promise<unknown> {
  return readJsonBody(request, lakeBodyLimits.json);
}

/** `$name=<json>` query-string parameters, as the client sends GROQ parameters on GET. */
export function paramsFromSearch(search: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of search) {
    if (!key.startsWith('$')) continue;
    try {
      out[key.slice(1)] = parseJsonText(value);
    } catch {
      throw new LakeError(400, 'queryParseError', `The parameter ${key} is not valid JSON (or is nested too deeply).`);
    }
  }
  return out;
}

/**
 * Sanity's perspectives, mapped onto the local store's: raw, published, and drafts
 * (also spelled previewDrafts, or a stack such as "drafts,published").
 */
export function perspectiveOf(value: string | string[] | null | undefined, fallback: Perspective = 'raw'): Perspective {
  if (value === null || value === undefined || value === '') return fallback;
  const parts = (Array.isArray(value) ? value : value.split(',')).map((p) => p.trim());
  if (parts.includes('raw')) return 'raw';
  if (parts.some((p) => p === 'drafts' || p === 'previewDrafts')) return 'drafts';
  return 'published';
}

/** An error the client shows as is: status, Sanity's error type, and a description. */
export class LakeError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    description: string,
  ) {
    super(description);
  }
}

const statusOfCode: Partial<Record<ErrorCode, number>> = {
  MUTATION_CONFLICT: 409,
  MUTATION_FAILED: 400,
  QUERY_FAILED: 400,
  NOT_FOUND: 404,
  DATASET_WRITE: 503,
  DATASET_PARSE: 500,
};

/** The body and status for any error, in the shape @sanity/client turns into a message. */
export function errorResponse(error: unknown): { status: number; body: { error: { description: string; type: string }; statusCode: number; message: string } } {
  let status = 500;
  let type = 'internalError';
  let description = 'The local Content Lake failed; see the terminal running newsdesk.';
  if (error instanceof LakeError) {
    status = error.status;
    type = error.type;
    description = error.message;
  } else if (isNewsdeskError(error)) {
    status = statusOfCode[error.code] ?? 500;
    type = error.code === 'MUTATION_CONFLICT' ? 'documentConflictError' : error.code === 'QUERY_FAILED' ? 'queryParseError' : 'validationError';
    description = error.hint ? `${error.message}. ${error.hint}` : error.message;
  } else if (error instanceof RequestBodyError) {
    status = error.status;
    type = error.reason === 'too_large' ? 'payloadTooLargeError' : 'invalidJsonError';
    description = error.message;
  } else if (error instanceof z.ZodError) {
    status = 400;
    type = 'validationError';
    description = error.issues.map((i) => `${i.path.join('.') || 'body'} ${i.message}`).join('; ');
  }
  return { status, body: { error: { description, type }, statusCode: status, message: description } };
}

export function notFound(what: string): LakeError {
  return new LakeError(404, 'notFound', what);
}

export function isConflict(error: unknown): boolean {
  return error instanceof NewsdeskError && error.code === 'MUTATION_CONFLICT';
}
