// Reads a back-issue's Markdown into markdown-it tokens, normalised to the constructs
// an issue can hold, so the converter and the fidelity check read the same document:
// HTML comments out (they were never visible), HTML blocks through turndown into
// Markdown, inline HTML tags to their Markdown meaning (a, br, b, i, …) or to their
// text, tables to one paragraph per row, images at web addresses kept as image tokens
// (in headings, inside a link's text or at other addresses: their alt text), links the
// build would drop (irc:, relative) to their text. Every such change is reported with its line.
//
// Why markdown-it tokens and not @portabletext/markdown's markdownToPortableText: its
// 2.2.0 loses the emphasis around a link and leaks the link mark into what follows
// (`*see [this](u) too*`), exactly the shape of an aside wrapped in emphasis with a
// link inside (tests/import.test.ts pins that bug). markdown-it is the parser that
// library uses; its tokens also carry source lines and keep backslash escapes apart.
import { Parser } from 'htmlparser2';
import MarkdownIt from 'markdown-it';
import Token from 'markdown-it/lib/token.mjs';
import TurndownService from 'turndown';
import { gfm } from 'turndown-plugin-gfm';
import { isHttpUrl, isSafeLinkUrl } from '../rules.ts';
import type { ImportWarning } from './errors.ts';

export interface ParseOptions {
  /** Resolves relative links ("/2024/05/post") against the site they were written for. */
  baseUrl?: string | undefined;
  /** Whether an image address names a picture beside the Markdown file that the import copies. */
  localImage?: ((src: string) => boolean) | undefined;
}

export interface ParsedMarkdown {
  tokens: Token[];
  warnings: ImportWarning[];
  /** HTML comments left out (never visible in the original either). */
  comments: number;
}

let sharedParser: MarkdownIt | undefined;

export function getMarkdownParser(): MarkdownIt {
  if (sharedParser) return sharedParser;
  // html: on, so comments and tags arrive as HTML tokens instead of printing as text.
  // linkify: only explicit http(s):// addresses, never "Node.js" or a bare e-mail address.
  const md = new MarkdownIt('default', { html: true, linkify: true, typographer: false });
  md.linkify.set({ fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false });
  // Escapes stay their own tokens so "\[" is known to be a written bracket.
  md.core.ruler.disable('text_join');
  // Addresses stay exactly as the author wrote them: markdown-it would percent-encode
  // and re-punycode them (and mangle a malformed one); only the link library's key is normalised.
  md.normalizeLink = (url) => url;
  sharedParser = md;
  return md;
}

let sharedTurndown: TurndownService | undefined;

function turndown(): TurndownService {
  if (!sharedTurndown) {
    sharedTurndown = new TurndownService({ headingStyle: 'atx', bulletListMarker: '-', codeBlockStyle: 'fenced', emDelimiter: '*' });
    // Tables and strikethrough as GitHub writes them, so they reach the import as tables and ~~strike~~.
    sharedTurndown.use(gfm);
    // The plugin writes ~one~ tilde; markdown-it (like CommonMark's GFM) strikes through ~~two~~.
    sharedTurndown.addRule('strikethroughWithTwoTildes', { filter: ['del', 's'], replacement: (content) => `~~${content}~~` });
  }
  return sharedTurndown;
}

/** Turns HTML (a block of it in Markdown, or a whole post from another platform) into Markdown. */
export function htmlToMarkdown(html: string): string {
  return turndown().turndown(html);
}

/** `body` is the Markdown after any front matter; `bodyLine` the source line it starts on. */
export function parseMarkdown(body: string, bodyLine: number, options: ParseOptions = {}): ParsedMarkdown {
  const md = getMarkdownParser();
  const out: ParsedMarkdown = { tokens: [], warnings: [], comments: 0 };
  out.tokens = normaliseBlocks(md.parse(body, {}), bodyLine, options, out);
  return out;
}

function normaliseBlocks(tokens: Token[], bodyLine: number, options: ParseOptions, out: ParsedMarkdown, fixedLine?: number): Token[] {
  const result: Token[] = [];
  const lineOf = (t: Token) => fixedLine ?? (t.map ? t.map[0] + bodyLine : bodyLine);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (fixedLine !== undefined && token.map) token.map = [fixedLine - bodyLine, fixedLine - bodyLine + 1];
    switch (token.type) {
      case 'html_block': {
        const withoutComments = token.content.replace(/<!--[\s\S]*?(?:-->|$)/g, () => {
          out.comments++;
          return '';
        });
        if (withoutComments.trim() === '') break;
        const markdown = htmlToMarkdown(withoutComments);
        if (markdown.trim() === '') {
          // A lone closing tag (the end of a <details> whose opening was already read) says nothing.
          if (describeHtml(withoutComments) === '') break;
          out.warnings.push({ line: lineOf(token), kind: 'HTML', message: `HTML block ${describeHtml(withoutComments)} left out: it has no text` });
          break;
        }
        out.warnings.push({ line: lineOf(token), kind: 'HTML', message: `HTML block ${describeHtml(withoutComments)} converted to Markdown` });
        const inner = getMarkdownParser().parse(markdown, {});
        result.push(...normaliseBlocks(inner, bodyLine, options, out, lineOf(token)));
        break;
      }
      case 'table_open': {
        const end = tokens.findIndex((t, j) => j > i && t.type === 'table_close');
        const rows = tableRows(tokens.slice(i, end + 1));
        for (const row of rows) if (row.type === 'inline') row.children = normaliseInline(row.children ?? [], lineOf(token), options, out);
        out.warnings.push({ line: lineOf(token), kind: 'table', message: 'table imported as one paragraph per row, cells separated by " | "' });
        result.push(...rows);
        i = end;
        break;
      }
      case 'hr':
        out.warnings.push({ line: lineOf(token), kind: 'rule', message: 'horizontal rule left out' });
        break;
      case 'inline':
        token.children = normaliseInline(token.children ?? [], lineOf(token), options, out, tokens[i - 1]?.type === 'heading_open');
        result.push(token);
        break;
      default:
        result.push(token);
    }
  }
  return result;
}

/** A table as paragraphs: each row's cells joined with " | ", the header row first. */
function tableRows(tokens: Token[]): Token[] {
  const rows: Token[] = [];
  let cells: Token[][] = [];
  for (const t of tokens) {
    if (t.type === 'tr_open') cells = [];
    else if (t.type === 'inline') cells.push(t.children ?? []);
    else if (t.type === 'tr_close') {
      const children: Token[] = [];
      cells.forEach((cell, c) => {
        if (c > 0) children.push(textToken(' | '));
        children.push(...cell);
      });
      const open = new Token('paragraph_open', 'p', 1);
      open.map = tokens[0]!.map;
      const inline = new Token('inline', '', 0);
      inline.children = children;
      inline.map = open.map;
      rows.push(open, inline, new Token('paragraph_close', 'p', -1));
    }
  }
  return rows;
}

const decoratorTags: Record<string, 'strong' | 'em' | 's'> = { strong: 'strong', b: 'strong', em: 'em', i: 'em', s: 's', del: 's', strike: 's' };
/** Element names a browser knows; anything else in angle brackets ("Option<T>") is text the writer meant. */
const htmlElements = new Set(
  ('a abbr acronym b bdi bdo big blink br center cite code data del dfn em font i img ins kbd mark nobr q rp rt ruby s samp small span strike strong sub sup time tt u var wbr ' +
    'audio button canvas embed iframe input label map math meter noscript object output picture progress script select slot source style svg template textarea track video ' +
    'address article aside blockquote caption col colgroup dd details dialog div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody td tfoot th thead tr ul').split(' '),
);
const droppedWithContent = new Set(['script', 'style', 'iframe', 'video', 'audio', 'object', 'embed', 'input', 'button', 'select', 'textarea', 'svg', 'canvas']);

function normaliseInline(children: Token[], blockLine: number, options: ParseOptions, out: ParsedMarkdown, inHeading = false): Token[] {
  const result: Token[] = [];
  const linkKept: boolean[] = [];
  const htmlLinks: boolean[] = [];
  let line = blockLine;
  const warned = new Set<string>();
  const warn = (kind: string, message: string) => {
    const key = `${line}\u0000${message}`;
    if (warned.has(key)) return;
    warned.add(key);
    out.warnings.push({ line, kind, message });
  };
  const openLink = (href: string, text: string | undefined) => {
    const target = resolveLink(href, options.baseUrl);
    if (target === undefined) {
      warn('link', `link to ${quoteUrl(href)} kept as plain text: only http(s) and mailto links reach the email and web pages${/^[a-z][a-z0-9+.-]*:/i.test(href) ? '' : ' (pass --base-url to resolve relative links)'}`);
      return false;
    }
    const open = new Token('link_open', 'a', 1);
    open.attrs = [['href', target]];
    result.push(open);
    if (text !== undefined) result.push(textToken(text), new Token('link_close', 'a', -1));
    return true;
  };
  const insideLink = () => linkKept.some(Boolean) || htmlLinks.some(Boolean);
  // Links whose only content is images: the images carry the link; any other link keeps its text.
  const imageLinks: boolean[] = [];
  /**
   * An image stays an image when its address is a web address (or resolves to one) and
   * it is not part of a link's text; otherwise its alt text stands in, with a warning.
   */
  const keepImage = (src: string, alt: string) => {
    const target = src === '' ? undefined : resolveLink(src, options.baseUrl);
    const where = src === '' ? 'without an address' : quoteUrl(src);
    if (inHeading) {
      if (alt) result.push(textToken(alt));
      warn('image', `image ${where} in a heading ${alt ? 'kept as its alt text' : 'left out (it has no alt text)'}: a heading holds plain text`);
      return;
    }
    if (insideLink() && !imageLinks.at(-1)) {
      if (alt) result.push(textToken(alt));
      warn('image', `image ${where} inside a link's text ${alt ? 'kept as its alt text' : 'left out (it has no alt text)'}: an image block cannot sit inside a sentence's link`);
      return;
    }
    if (options.localImage?.(src)) {
      const image = new Token('image', 'img', 0);
      image.attrs = [['src', src]];
      image.content = alt;
      image.children = [];
      result.push(image);
      warn('image copied', `image ${where} copied into the site's media`);
      if (!alt) warn('alt text', `image ${where} has no alt text: describe it in the Studio for readers who cannot see it`);
      return;
    }
    if (target === undefined || !isHttpUrl(target)) {
      if (alt) result.push(textToken(alt));
      warn('image', `image ${where} ${alt ? 'kept as its alt text' : 'left out (it has no alt text)'}: only images at http(s) addresses are kept${/^[a-z][a-z0-9+.-]*:/i.test(src) || src === '' ? '' : ' (pass --base-url to resolve relative image paths)'}`);
      return;
    }
    const image = new Token('image', 'img', 0);
    image.attrs = [['src', target]];
    image.content = alt;
    image.children = [];
    result.push(image);
    warn('remote image', `image ${quoteUrl(target)} kept at its original address: it is not copied to the site, so it shows only while that address serves it`);
    if (!alt) warn('alt text', `image ${quoteUrl(target)} has no alt text: describe it in the Studio for readers who cannot see it`);
  };

  for (let i = 0; i < children.length; i++) {
    const t = children[i]!;
    switch (t.type) {
      case 'softbreak':
      case 'hardbreak':
        result.push(t);
        line++;
        break;
      case 'link_open': {
        const href = t.attrGet('href') ?? '';
        if (t.markup === 'linkify') {
          const split = splitLinkifiedUrl(children, i);
          if (split) {
            for (const part of split.parts) {
              if (part.href === undefined) result.push(textToken(part.text));
              else openLink(part.href, part.text);
            }
            i = split.closeIndex;
            break;
          }
        }
        const kept = openLink(href, undefined);
        linkKept.push(kept);
        imageLinks.push(isImageOnlyLink(children, i));
        // A link without text would vanish from every output: show its address instead.
        if (kept && children[i + 1]?.type === 'link_close') result.push(textToken(href));
        break;
      }
      case 'link_close':
        imageLinks.pop();
        if (linkKept.pop()) result.push(t);
        break;
      case 'image': {
        // The alt text as readers get it: `![*big* map](…)` is "big map", not the markup.
        const alt = t.children?.length ? t.children.map((c) => (c.type === 'softbreak' || c.type === 'hardbreak' ? ' ' : c.content)).join('') : t.content;
        keepImage(t.attrGet('src') ?? '', alt.trim());
        break;
      }
      case 'html_inline': {
        if (/^<!--/.test(t.content)) {
          out.comments++;
          break;
        }
        const tag = readTag(t.content);
        if (!tag || !htmlElements.has(tag.name)) {
          result.push(textToken(t.content));
          break;
        }
        const decorator = decoratorTags[tag.name];
        if (tag.name === 'br') result.push(new Token('hardbreak', 'br', 0));
        else if (tag.name === 'a') {
          if (tag.closing) {
            imageLinks.pop();
            if (htmlLinks.pop()) result.push(new Token('link_close', 'a', -1));
          } else {
            htmlLinks.push(tag.attrs.href ? openLink(tag.attrs.href, undefined) : false);
            imageLinks.push(isImageOnlyLink(children, i));
          }
        } else if (decorator) result.push(new Token(`${decorator}_${tag.closing ? 'close' : 'open'}`, tag.name, tag.closing ? -1 : 1));
        else if (tag.name === 'img') keepImage(tag.attrs.src ?? '', (tag.attrs.alt ?? '').trim());
        else if (droppedWithContent.has(tag.name)) {
          if (!tag.closing) warn('HTML', `<${tag.name}> left out (embedded content has no place in an issue)`);
        } else if (!tag.closing) warn('HTML', `<${tag.name}> tag dropped; its text is kept`);
        break;
      }
      default:
        result.push(t);
    }
  }
  // Unbalanced HTML: close what was opened so marks never leak past the paragraph.
  while (htmlLinks.length) if (htmlLinks.pop()) result.push(new Token('link_close', 'a', -1));
  return result;
}

/**
 * Whether the link opened at `openIndex` (Markdown or an HTML <a>) holds images and
 * nothing else but white space, so it is the images' link rather than a text link.
 */
export function isImageOnlyLink(children: Token[], openIndex: number): boolean {
  let images = 0;
  let depth = 0;
  for (let j = openIndex + 1; j < children.length; j++) {
    const t = children[j]!;
    const tag = t.type === 'html_inline' ? readTag(t.content) : undefined;
    if (t.type === 'link_open' || (tag?.name === 'a' && !tag.closing)) depth++;
    else if (t.type === 'link_close' || (tag?.name === 'a' && tag.closing)) {
      if (depth === 0) return images > 0;
      depth--;
    } else if (t.type === 'image' || (tag?.name === 'img' && !tag.closing)) images++;
    else if (t.type === 'softbreak' || t.type === 'hardbreak' || ((t.type === 'text' || t.type === 'text_special') && t.content.trim() === '')) continue;
    else if (t.type === 'html_inline' && (!tag || tag.name !== 'br')) return false;
    else if (t.type !== 'html_inline') return false;
  }
  return false;
}

const cjk = /[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]/u;

/**
 * linkify-it reads CJK text after an address as part of it ("https://x.org/a。下一句"),
 * even across a second address; cut each address where CJK text begins and linkify the rest again.
 */
function splitLinkifiedUrl(children: Token[], openIndex: number): { parts: Array<{ href?: string; text: string }>; closeIndex: number } | undefined {
  const text = children[openIndex + 1];
  const close = children[openIndex + 2];
  if (text?.type !== 'text' || close?.type !== 'link_close' || !cjk.test(text.content)) return undefined;
  const md = getMarkdownParser();
  const parts: Array<{ href?: string; text: string }> = [];
  let rest = text.content;
  while (rest !== '') {
    const match = md.linkify.match(rest)?.[0];
    if (!match) {
      parts.push({ text: rest });
      break;
    }
    if (match.index > 0) parts.push({ text: rest.slice(0, match.index) });
    const raw = rest.slice(match.index, match.lastIndex);
    const cut = raw.search(cjk);
    const url = cut === -1 ? raw : raw.slice(0, cut);
    parts.push({ href: md.normalizeLink(url), text: url });
    rest = rest.slice(match.index + url.length);
  }
  return { parts, closeIndex: openIndex + 2 };
}

function resolveLink(href: string, baseUrl: string | undefined): string | undefined {
  if (isSafeLinkUrl(href)) return href;
  if (baseUrl === undefined || /^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('#')) return undefined;
  try {
    const resolved = new URL(href, baseUrl).href;
    return isSafeLinkUrl(resolved) ? resolved : undefined;
  } catch {
    return undefined;
  }
}

interface Tag {
  name: string;
  closing: boolean;
  attrs: Record<string, string>;
}

/** One HTML tag read with htmlparser2 (never a regular expression). */
function readTag(html: string): Tag | undefined {
  let tag: Tag | undefined;
  // A lone closing tag fires nothing in htmlparser2; read it as the opening tag it closes.
  const closing = html.startsWith('</');
  const parser = new Parser({ onopentag: (name, attrs) => (tag ??= { name, closing, attrs: closing ? {} : attrs }) }, { decodeEntities: true, lowerCaseTags: true });
  parser.write(closing ? `<${html.slice(2)}` : html);
  parser.end();
  return tag;
}

function describeHtml(html: string): string {
  const tag = /<([a-zA-Z][\w-]*)/.exec(html);
  return tag ? `<${tag[1]!.toLowerCase()}>` : '';
}

function textToken(content: string): Token {
  const t = new Token('text', '', 0);
  t.content = content;
  return t;
}

function quoteUrl(url: string): string {
  const clean = url.replace(/[\u0000-\u001f\u007f]/g, '');
  return clean.length > 80 ? `${clean.slice(0, 77)}…` : clean;
}
