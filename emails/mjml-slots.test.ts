import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { loadIssues, loadSettings } from '../content/load.ts';
import { isNewsdeskError } from '../core/errors.ts';
import { syntheticDataset, writeDataset } from '../tests/build-dataset.ts';
import { aParagraph, aRealSizeIssue, aRenderContext, aSection, anIssue, someSettings } from '../tests/builders.ts';
import { sampleDataset } from '../tests/email-goldens.ts';
import { buildIssueMjml, compileMjml, issueMjmlSlots, renderIssueEmail } from './issue-email.ts';
import { clearCompiledLayouts, compileSlotted, compiledLayoutCount, copiesVerbatim, layoutPrefix, slotStats, slotted, sourceOf } from './mjml-slots.ts';
import type { Issue } from '../content/model.ts';
import type { RenderContext } from '../core/render.ts';

/** What mjml2html makes of the issue's full MJML source: what the filled layout must equal byte for byte. */
const compiledInFull = (issue: Issue, ctx: RenderContext) => compileMjml(buildIssueMjml(issue, ctx), `issue ${issue.number}`);

describe('issue emails from a compiled layout', () => {
  it('equal compiling each issue in full, for the sample issues and hostile synthetic ones', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'newsdesk-slots-'));
    try {
      const synthetic = path.join(dir, 'dataset.ndjson');
      await writeDataset(synthetic, syntheticDataset({ issues: 3, sectionsPerIssue: 4, linksPerIssue: 20, hostile: true }));
      const filled = slotStats.filled;
      let rendered = 0;
      for (const file of [sampleDataset, synthetic]) {
        const store = new GroqJsStore({ datasetPath: file });
        const [issues, settings] = await Promise.all([loadIssues(store), loadSettings(store)]);
        const ctx = { baseUrl: settings.siteUrl, settings };
        for (const issue of issues) {
          expect((await renderIssueEmail(issue, ctx)).html, `${file} issue ${issue.number}`).toBe(await compiledInFull(issue, ctx));
          rendered++;
        }
      }
      // All but the hostile issue's email (its text holds "]]>") came from a compiled layout.
      expect(slotStats.filled - filled).toBeGreaterThanOrEqual(rendered - 1);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('compiles one layout per shape: issues differing only in content share it, a section more or other settings make a new one', async () => {
    clearCompiledLayouts();
    const ctx = aRenderContext();
    const one = anIssue({ number: 3, title: 'First', sections: [aSection({ heading: 'News' })] });
    const other = anIssue({ number: 4, title: 'Second & "quoted"', intro: [aParagraph('  Padded with spaces  ')], sections: [aSection({ heading: 'Proxies' })] });
    const filled = slotStats.filled;
    for (const issue of [one, other]) expect((await renderIssueEmail(issue, ctx)).html).toBe(await compiledInFull(issue, ctx));
    expect(compiledLayoutCount()).toBe(1);
    expect(slotStats.filled - filled).toBe(2);

    const longer = anIssue({ number: 5, sections: [aSection({ heading: 'News' }), aSection({ heading: 'Deployment' })] });
    expect((await renderIssueEmail(longer, ctx)).html).toBe(await compiledInFull(longer, ctx));
    expect(compiledLayoutCount()).toBe(2);

    // Settings shape the layout (accent colours, language, the dark-mode CSS): a change must not reuse the old one.
    const recoloured = aRenderContext({ settings: someSettings({ accentColor: '#8a3ffc', language: 'de' }) });
    const html = (await renderIssueEmail(one, recoloured)).html;
    expect(html).toBe(await compiledInFull(one, recoloured));
    expect(html).not.toBe((await renderIssueEmail(one, ctx)).html);
    expect(compiledLayoutCount()).toBe(3);

    const real = aRealSizeIssue();
    expect((await renderIssueEmail(real, ctx)).html).toBe(await compiledInFull(real, ctx));
  });

  it('compiles in full what MJML would not copy verbatim, and gives the same HTML', async () => {
    expect(copiesVerbatim('<p>plain <b>markup</b> &amp; text</p>')).toBe(true);
    for (const content of ['', '   ', '<!-- a comment -->', '<mj-text>x</mj-text>', 'a </MJ-TEXT> b', '<![CDATA[x]]>', '<?xml?>']) expect(copiesVerbatim(content), content).toBe(false);

    clearCompiledLayouts();
    const template = (slot: (c: string) => string) => `<mjml><mj-body><mj-section><mj-column><mj-text>${slot('<p>a</p><!-- kept? -->')}</mj-text><mj-text>${slot('<p>b</p>')}</mj-text></mj-column></mj-section></mj-body></mjml>`;
    const input = slotted(template);
    expect(sourceOf(input)).toBe(template((c) => c));
    const compile = (source: string) => compileMjml(source, 'a test email');
    const inFull = slotStats.inFull;
    expect(await compileSlotted(input, compile)).toBe(await compile(sourceOf(input)));
    expect(compiledLayoutCount()).toBe(0);
    expect(slotStats.inFull - inFull).toBe(1);
  });

  it('reports an invalid template as compiling it in full does, naming the email', async () => {
    const broken = slotted((slot) => `<mjml><mj-body><mj-section><mj-column><mj-nonsense/><mj-text>${slot('<p>x</p>')}</mj-text></mj-column></mj-section></mj-body></mjml>`);
    const failure = await compileSlotted(broken, (source) => compileMjml(source, 'issue 9')).catch((e: unknown) => e);
    expect(isNewsdeskError(failure) && failure.code).toBe('RENDER_FAILED');
    expect((failure as Error).message).toContain('issue 9');
    expect((failure as Error).message).toContain('mj-nonsense');
  });

  it('keeps compiled layouts in a store for the next process, which fills them without compiling (so without loading MJML)', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'newsdesk-layouts-'));
    try {
      const ctx = aRenderContext();
      const issue = anIssue({ number: 6, title: 'Stored', sections: [aSection({ heading: 'News' }), aSection({ heading: 'Tools' })] });
      const store = { dir, salt: 'template-a' };
      const source = issueMjmlSlots(issue, ctx);
      clearCompiledLayouts();
      let compiles = 0;
      const compile = (mjml: string) => (compiles++, compileMjml(mjml, 'issue 6'));
      const first = await compileSlotted(source, compile, store);
      expect(first).toBe(await compiledInFull(issue, ctx));
      expect(compiles).toBe(1);
      expect(await fs.readdir(dir)).toHaveLength(1);

      // A new process (nothing compiled in memory): the stored layout is filled, nothing compiled.
      clearCompiledLayouts();
      const refuse = () => Promise.reject(new Error('compiled although the layout was stored'));
      expect(await compileSlotted(source, refuse, store)).toBe(first);
      // Another issue of the same shape, in another process, fills the same layout.
      clearCompiledLayouts();
      const sibling = anIssue({ number: 7, title: 'Sibling', sections: [aSection({ heading: 'Elsewhere' }), aSection({ heading: 'More' })] });
      expect(await compileSlotted(issueMjmlSlots(sibling, ctx), refuse, store)).toBe(await compiledInFull(sibling, ctx));

      // Another template version does not read it; a damaged file is compiled again.
      clearCompiledLayouts();
      expect(await compileSlotted(source, compile, { dir, salt: 'template-b' })).toBe(first);
      expect(compiles).toBe(2);
      const [stored] = (await fs.readdir(dir)).filter((name) => name.startsWith(layoutPrefix('template-a')));
      await fs.writeFile(path.join(dir, stored!), '{"pieces":["<html>"],"order":[0]}');
      clearCompiledLayouts();
      expect(await compileSlotted(source, compile, store)).toBe(first);
      expect(compiles).toBe(3);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
