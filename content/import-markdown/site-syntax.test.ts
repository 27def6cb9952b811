// MDX and site-generator syntax leaves the Markdown before parsing, line numbers intact.
import { describe, expect, it } from 'vitest';
import { stripSiteSyntax } from './site-syntax.ts';

describe('stripSiteSyntax', () => {
  it('drops each kind, keeps every line number, and warns once per kind with the count', () => {
    const body = [
      'import Chart from "./chart.mdx";', // 10
      'import {', // 11
      '  A,', // 12
      '} from "./a.js";', // 13
      '', // 14
      '## 🧰 Tools {#tools}', // 15
      '', // 16
      '<Chart data="x" />', // 17
      '', // 18
      'Text {/* a note', // 19
      'to self */} and {% raw %}more{% endraw %} and {{ page.title }} and {{< ref "a" >}}.', // 20
      '', // 21
      '### Reading {#reading} ##', // 22
    ].join('\n');
    const out = stripSiteSyntax(body, 10);
    const lines = out.body.split('\n');
    expect(lines).toHaveLength(13);
    expect(lines.slice(0, 4)).toEqual(['', '', '', '']);
    expect(lines[5]).toBe('## 🧰 Tools');
    expect(lines[7]).toBe('');
    expect(lines[9]).toBe('Text ');
    expect(lines[10]).toBe(' and more and  and .');
    expect(lines[12]).toBe('### Reading ##');
    expect(out.warnings.map((w) => [w.kind, w.line, w.message.split(' ')[0]])).toEqual([
      ['MDX import/export', 10, '2'],
      ['heading id', 15, '2'],
      ['JSX component', 17, '1'],
      ['Hugo shortcode', 20, '1'],
      ['Liquid tag', 20, '3'],
      ['MDX comment', 19, '1'],
    ]);
    expect(out.dropped).toMatchObject({ 'MDX import/export': 2, 'Liquid tag': 3 });
  });

  it('leaves fenced code, lower-case HTML and prose that mentions import alone', () => {
    const body = '```js\nimport x from "y";\n{{ not liquid }}\n```\n\n<br/>\n\nimportant: {braces} stay.\n';
    expect(stripSiteSyntax(body, 1)).toEqual({ body, warnings: [], dropped: {} });
  });
});

describe('syntax shown on purpose', () => {
  it('keeps Liquid in inline code and MDX comments in fenced code', () => {
    const body = 'Write `{{ site.url }}` or ``{% raw %}`` in a template, not {{ site.url }}.\n\n```mdx\n{/* kept */}\n```\n';
    const out = stripSiteSyntax(body, 1);
    expect(out.body).toBe('Write `{{ site.url }}` or ``{% raw %}`` in a template, not .\n\n```mdx\n{/* kept */}\n```\n');
    expect(out.dropped).toEqual({ 'Liquid tag': 1 });
  });
});
