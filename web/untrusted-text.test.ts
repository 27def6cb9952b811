// Text that comes from outside (titles and site names of captured pages) cannot
// reorder the page around it with bidi control characters, and very long words wrap.
import { describe, expect, it } from 'vitest';
import { aLinkCard, aLinkTarget, anIssue, aRenderContext, aSection } from '../tests/builders.ts';
import { escapeHtml, escapeText, renderTagPage } from './archive-page.tsx';
import { renderIssuePage } from './issue-page.tsx';
import { jsonMayHoldControlChars, stripControlChars } from './site.ts';
import { renderStylesheet } from './style.ts';

const spoofed = aLinkTarget({ title: 'Release notes \u202Efdp.exe', siteName: 'Kernels \u202EgolB' });

describe('text from captured pages', () => {
  it('is isolated in link cards on issue pages', () => {
    const html = renderIssuePage(anIssue({ sections: [aSection({ body: [aLinkCard({ link: spoofed })] })] }), {}, aRenderContext()).html;
    expect(html).toContain('<bdi>Release notes \u202Efdp.exe</bdi>');
    expect(html).toContain('<bdi>Kernels \u202EgolB</bdi>');
  });

  it('is isolated in the link lists of tag pages', () => {
    const html = renderTagPage({ title: 'Kernels', slug: 'kernels', description: undefined }, [], [{ ...spoofed, usedIn: [] }], aRenderContext());
    expect(html).toContain('<bdi>Release notes \u202Efdp.exe</bdi>');
    expect(html).toContain('<bdi>Kernels \u202EgolB</bdi>');
  });
});

describe('text on the links pages', () => {
  it('is escaped with its control characters left out, in one pass, as every page leaves them out', () => {
    for (const text of ['<b>"Tom" & \'Jerry\'</b>', 'a bell\u0007, NUL\u0000, DEL\u007f and \ufffe\uffff', 'tab\tnewline\ncarriage\r kept', '\u202Ebidi kept', '']) {
      expect(escapeText(text)).toBe(escapeHtml(stripControlChars(text)));
    }
    expect(escapeText('a\u0007<b>')).toBe('a&lt;b&gt;');
  });
});

describe('JSON that may hold a control character', () => {
  it('is told from JSON that holds none, for every character stripControlChars removes and none it keeps', () => {
    for (let code = 0; code <= 0xffff; code++) {
      const c = String.fromCharCode(code);
      const json = JSON.stringify({ words: [`a${c}b`], title: `${c}` });
      if (stripControlChars(c) === '') expect(jsonMayHoldControlChars(json), `U+${code.toString(16)}`).toBe(true);
      else if (c !== '\\') expect(jsonMayHoldControlChars(json), `U+${code.toString(16)}`).toBe(false);
    }
    // A backslash before a b or an f may be taken for one: then the text is only stripped as before.
    expect(jsonMayHoldControlChars(JSON.stringify('C:\\bin'))).toBe(true);
  });
});

describe('the stylesheet', () => {
  it('wraps a word too long for the line instead of widening the page', () => {
    expect(renderStylesheet({ accentColor: '#1d6b5f' })).toMatch(/body\{[^}]*overflow-wrap:anywhere/);
  });
});
