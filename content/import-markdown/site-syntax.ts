// MDX and site-generator syntax in a back-issue's Markdown, taken out before parsing so
// it never prints as text: MDX `import`/`export` lines, `{/* comments */}`, self-closing
// JSX components on their own line, `{#id}` heading ids, Liquid `{% … %}` / `{{ … }}`
// and Hugo `{{< … >}}` / `{{% … %}}` shortcodes. Lines keep their numbers (a dropped
// line becomes empty, a dropped comment keeps its line breaks) so every later message
// still names the right line; fenced code is left exactly as written.
import type { ImportWarning } from './errors.ts';

export interface StrippedSource {
  body: string;
  /** One per kind per file, at the first line of that kind, with the count. */
  warnings: ImportWarning[];
  /** Constructs dropped, by kind: what the summary counts. */
  dropped: Record<string, number>;
}

type Kind = 'MDX import/export' | 'MDX comment' | 'JSX component' | 'heading id' | 'Hugo shortcode' | 'Liquid tag';

const what: Record<Kind, string> = {
  'MDX import/export': 'MDX import/export line(s)',
  'MDX comment': 'MDX comment(s) {/* … */}',
  'JSX component': 'self-closing JSX component line(s) (<Component … />)',
  'heading id': 'heading id(s) {#id}',
  'Hugo shortcode': 'Hugo shortcode(s) {{< … >}}',
  'Liquid tag': 'Liquid tag(s) {% … %} / {{ … }}',
};

export function stripSiteSyntax(body: string, bodyLine: number): StrippedSource {
  const found = new Map<Kind, { line: number; count: number }>();
  const note = (kind: Kind, line: number, count = 1) => {
    const seen = found.get(kind);
    if (seen) seen.count += count;
    else found.set(kind, { line, count });
  };
  const lines = body.split('\n');
  let fence: string | undefined;
  const fenced = new Set<number>();
  let inEsm = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const at = i + bodyLine;
    const fenceMark = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence !== undefined) {
      fenced.add(i);
      if (fenceMark && fenceMark[0] === fence[0] && fenceMark.length >= fence.length && line.trim() === fenceMark.trim()) fence = undefined;
      continue;
    }
    if (fenceMark) {
      fence = fenceMark;
      continue;
    }
    // An ESM statement may run over several lines (`import {\n a,\n b\n} from "x";`), up to a blank line.
    if (inEsm) {
      if (line.trim() === '') inEsm = false;
      else lines[i] = '';
      continue;
    }
    if (/^(?:import\s+[\w*{"']|export\s+(?:default\b|const\b|let\b|function\b|\{|\*))/.test(line)) {
      note('MDX import/export', at);
      lines[i] = '';
      inEsm = !/;\s*$|from\s+["'][^"']*["']\s*$|^import\s+["'][^"']*["']\s*$/.test(line.trim());
      continue;
    }
    if (/^\s*<[A-Z][\w.]*(?:\s+[^<>]*?)?\s*\/>\s*$/.test(line)) {
      note('JSX component', at);
      lines[i] = '';
      continue;
    }
    // Everything below needs a brace: most lines of an issue have none.
    if (!line.includes('{')) continue;
    let text = line;
    if (/^\s{0,3}#{1,6}(?:\s|$)/.test(text)) {
      text = text.replace(/\s*\{#[\w:.-]+\}\s*(#*\s*)$/, (_m, closing: string) => {
        note('heading id', at);
        return closing ? ` ${closing.trim()}` : '';
      });
    }
    // Inline code shows the syntax on purpose ("write `{{ site.url }}`"): only the text around it loses it.
    text = outsideInlineCode(text, (part) =>
      part.replace(/\{\{[<%][\s\S]*?[>%]\}\}/g, () => (note('Hugo shortcode', at), '')).replace(/\{%[\s\S]*?%\}|\{\{[\s\S]*?\}\}/g, () => (note('Liquid tag', at), '')),
    );
    lines[i] = text;
  }
  // Comments may span lines: removed over the whole text, keeping their line breaks, never inside fenced code.
  const joined = lines.join('\n');
  const stripped = !joined.includes('{/*') ? joined : joined.replace(/\{\/\*[\s\S]*?\*\/\}/g, (comment: string, offset: number) => {
    const index = joined.slice(0, offset).split('\n').length - 1;
    if (fenced.has(index)) return comment;
    note('MDX comment', bodyLine + index);
    return comment.replace(/[^\n]/g, '');
  });
  const warnings: ImportWarning[] = [...found].map(([kind, { line, count }]) => ({
    line,
    kind,
    message: `${count} ${what[kind]} left out (site syntax, never shown to readers)${count > 1 ? `; the first here` : ''}`,
  }));
  const dropped: Record<string, number> = {};
  for (const [kind, { count }] of found) dropped[kind] = count;
  return { body: stripped, warnings, dropped };
}

/** Applies `change` to the parts of a line outside `code spans` (any run of backticks). */
function outsideInlineCode(line: string, change: (part: string) => string): string {
  let out = '';
  let rest = line;
  for (;;) {
    const open = /`+/.exec(rest);
    if (!open) return out + change(rest);
    const close = rest.indexOf(open[0], open.index + open[0].length);
    if (close === -1) return out + change(rest);
    out += change(rest.slice(0, open.index)) + rest.slice(open.index, close + open[0].length);
    rest = rest.slice(close + open[0].length);
  }
}
