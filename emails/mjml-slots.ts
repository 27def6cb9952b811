// Compiling an email's MJML once per layout and filling it per issue. An issue email's
// MJML is the same from one issue to the next but for the contents of its ending tags
// (mj-title, mj-raw, mj-text), which MJML copies into the HTML verbatim (trimmed) without
// parsing them. So the build compiles the layout with a marker in each of those places,
// once per distinct layout (settings, template and section count all shape it, and the
// layout's MJML itself is the cache key), and fills the markers with each issue's
// contents: the same bytes mjml2html gives, at a fraction of its cost. A content MJML
// would not copy verbatim (markup MJML would read as its own, comments, CDATA) or an
// empty one is compiled the ordinary way instead. A build keeps the compiled layouts in its
// cache too (LayoutStore), so a new process filling a known layout never loads MJML (a
// fifth of a second or more of `newsdesk build` after an edit).
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Per process, so no content can know it in advance (contents never reach the layout anyway). */
const nonce = randomBytes(6).toString('hex');
const markerPattern = new RegExp(`ndslot${nonce}x(\\d+)x`, 'g');

/** What fill() returns: a marker in the layout, and the content it stands for. */
export interface Slotted {
  layout: string;
  contents: string[];
}

/**
 * Builds MJML through `template`, which passes every ending tag's content through `slot`:
 * once with the contents themselves (the full source), once with markers (the layout).
 */
export function slotted(template: (slot: (content: string) => string) => string): Slotted {
  const contents: string[] = [];
  const layout = template((content) => {
    contents.push(content);
    return `ndslot${nonce}x${contents.length - 1}x`;
  });
  return { layout, contents };
}

/** The full source a Slotted stands for. */
export function sourceOf({ layout, contents }: Slotted): string {
  return layout.replace(markerPattern, (_, i: string) => contents[Number(i)]!);
}

/** Whether MJML copies the content verbatim: nothing its parser would read as a tag of its own, a comment, CDATA or a processing instruction. */
export function copiesVerbatim(content: string): boolean {
  return content.trim() !== '' && !/<\/?mj-|<!|<\?|]]>/i.test(content);
}

interface CompiledLayout {
  /** The HTML between markers: pieces.length === order.length + 1. */
  pieces: string[];
  /** Which content goes after pieces[i]. */
  order: number[];
}

/**
 * Where compiled layouts are kept between processes: a folder of the build cache, and a
 * salt for their names (the template version, which covers the templates and MJML's
 * version), so a layout is only ever read back by the code that compiled it.
 */
export interface LayoutStore {
  dir: string;
  salt: string;
}

/** Compiled layouts by their MJML; a few dozen at most (one per section count and settings). */
const layouts = new Map<string, { compiled: Promise<CompiledLayout | undefined>; stores: Set<string> }>();
const maxLayouts = 64;

/**
 * Compiles `slotted` as `compile` would compile its full source: through the layout
 * cache when every content copies verbatim, else `compile` on the full source. A layout
 * whose compiled HTML lacks a marker (MJML did something with that content other than
 * copy it) is never used.
 */
export async function compileSlotted(input: Slotted, compile: (source: string) => Promise<string>, store?: LayoutStore): Promise<string> {
  if (!input.contents.every(copiesVerbatim)) {
    slotStats.inFull++;
    return compile(sourceOf(input));
  }
  let known = layouts.get(input.layout);
  if (!known) {
    if (layouts.size >= maxLayouts) layouts.clear();
    const stored = store ? readLayout(layoutFile(store, input.layout), input.contents.length) : undefined;
    const compiled = stored
      ? Promise.resolve(stored)
      : compile(input.layout).then(
          (html) => splitAtMarkers(html, input.contents.length),
          () => undefined,
        );
    known = { compiled, stores: new Set(stored && store ? [storeId(store)] : []) };
    layouts.set(input.layout, known);
  }
  const layout = await known.compiled;
  // Each store holds each layout this process compiled (a server builds into one; tests into many).
  if (layout && store && !known.stores.has(storeId(store))) {
    known.stores.add(storeId(store));
    writeLayout(layoutFile(store, input.layout), layout);
  }
  // An invalid layout is compiled in full, so the error names the issue as it always did.
  if (!layout) {
    slotStats.inFull++;
    return compile(sourceOf(input));
  }
  slotStats.filled++;
  let html = layout.pieces[0]!;
  for (let i = 0; i < layout.order.length; i++) html += input.contents[layout.order[i]!]!.trim() + layout.pieces[i + 1]!;
  return html;
}

function storeId(store: LayoutStore): string {
  return `${store.dir}\0${store.salt}`;
}

/** The layout's file in the store: named by the salt and a hash of the layout's MJML, its markers without this process's nonce. */
function layoutFile(store: LayoutStore, layout: string): string {
  const hash = createHash('sha256').update(store.salt).update('\0').update(layout.replaceAll(`ndslot${nonce}x`, 'ndslotx')).digest('base64url');
  return path.join(store.dir, `${layoutPrefix(store.salt)}${hash}.json`);
}

/** The start of every layout file name for this salt: a build removes the files of other salts (LayoutStore). */
export function layoutPrefix(salt: string): string {
  return `${createHash('sha256').update(salt).digest('base64url').slice(0, 10)}-`;
}

/** A stored layout, checked for shape (undefined when missing or unfit: then it is compiled). */
function readLayout(file: string, count: number): CompiledLayout | undefined {
  try {
    const layout = JSON.parse(readFileSync(file, 'utf8')) as CompiledLayout;
    const fits =
      Array.isArray(layout.pieces) &&
      Array.isArray(layout.order) &&
      layout.pieces.length === layout.order.length + 1 &&
      layout.pieces.every((p) => typeof p === 'string') &&
      layout.order.every((i) => Number.isInteger(i) && i >= 0 && i < count) &&
      new Set(layout.order).size === count;
    return fits ? layout : undefined;
  } catch {
    return undefined;
  }
}

/** Stores the layout (temporary file, rename); a failure only means the next process compiles it again. */
function writeLayout(file: string, layout: CompiledLayout): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const temp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
    writeFileSync(temp, JSON.stringify(layout));
    renameSync(temp, file);
  } catch {
    // Not stored: compiled again next time.
  }
}

function splitAtMarkers(html: string, count: number): CompiledLayout | undefined {
  const pieces: string[] = [];
  const order: number[] = [];
  let last = 0;
  for (const match of html.matchAll(markerPattern)) {
    pieces.push(html.slice(last, match.index));
    order.push(Number(match[1]));
    last = match.index + match[0].length;
  }
  pieces.push(html.slice(last));
  // MJML may copy a content to more than one place (the title also labels the body), verbatim each time.
  const seen = new Set(order);
  return seen.size === count ? { pieces, order } : undefined;
}

/** For tests and benchmarks: emails filled into a compiled layout, and compiled in full. */
export const slotStats = { filled: 0, inFull: 0 };

/** For tests: forgets every compiled layout. */
export function clearCompiledLayouts(): void {
  layouts.clear();
}

/** For tests: how many layouts are compiled. */
export function compiledLayoutCount(): number {
  return layouts.size;
}
