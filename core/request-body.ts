// Reading request bodies the same way in the server and the Content Lake: bytes counted
// while they arrive and the read stopped as soon as the limit is passed (a chunked upload
// has no length to check first, so a length check alone buffers whatever is sent), and
// JSON that is malformed or absurdly nested refused as the client's mistake (400), not
// left to fail later as a 500.

/** Why a body was refused: `too_large` (413) or `malformed` (400); the message says what to fix. */
export class RequestBodyError extends Error {
  constructor(
    readonly reason: 'too_large' | 'malformed',
    message: string,
  ) {
    super(message);
    this.name = 'RequestBodyError';
  }

  get status(): 400 | 413 {
    return this.reason === 'too_large' ? 413 : 400;
  }
}

/** Nesting deeper than any document newsdesk stores; deeper input is refused before parsing. */
export const maxJsonDepth = 100;

/** The whole body, read up to maxBytes; past that the stream is cancelled and a too_large error thrown. */
export async function readBodyBytes(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && !request.headers.has('transfer-encoding') && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/** The body as JSON, size-limited, depth-limited and checked for syntax. */
export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  return parseJsonText(new TextDecoder().decode(await readBodyBytes(request, maxBytes)));
}

/** JSON.parse with a clear error for empty, malformed or too deeply nested input. */
export function parseJsonText(text: string, maxDepth = maxJsonDepth): unknown {
  if (text.trim() === '') throw new RequestBodyError('malformed', 'The request body is empty; send a JSON body.');
  const depth = nestingDepth(text, maxDepth);
  if (depth > maxDepth) throw new RequestBodyError('malformed', `The JSON body is nested more than ${maxDepth} levels deep.`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RequestBodyError('malformed', `The request body is not valid JSON (${(error as Error).message}).`);
  }
}

/** The deepest bracket nesting outside strings, counted up to just past `stopAt`. */
function nestingDepth(text: string, stopAt: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 92 /* \ */) i++;
      else if (code === 34 /* " */) inString = false;
    } else if (code === 34) inString = true;
    else if (code === 91 /* [ */ || code === 123 /* { */) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > stopAt) return deepest;
      }
    } else if (code === 93 /* ] */ || code === 125 /* } */) depth--;
  }
  return deepest;
}

function tooLarge(maxBytes: number): RequestBodyError {
  return new RequestBodyError('too_large', `The request body is larger than ${formatBytes(maxBytes)}.`);
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}
