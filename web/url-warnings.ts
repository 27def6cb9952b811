// Finds every URL in an issue that the web, feed and email renderers will refuse to
// link (anything but http(s) and mailto, or a link document that no longer exists), and
// whatever else the rule book (content/rules.ts) refuses, and names it by issue and field path. Renderers drop such links silently; the build
// prints these warnings, so an editor learns exactly which field to fix.
import type { Issue, MarkDef, NoteBlock, PortableBlock } from '../content/model.ts';
import { findIssueRuleErrors, isHttpUrl, isSafeLinkUrl } from '../content/rules.ts';
import type { RenderWarning } from '../core/render.ts';

export function collectUrlWarnings(issue: Issue): RenderWarning[] {
  const where = `issue ${issue.number}`;
  const warnings: RenderWarning[] = [];
  const warn = (field: string, message: string) => warnings.push({ where, field, message });

  const markDefs = (defs: MarkDef[], base: string) => {
    defs.forEach((def, i) => {
      // External links are the rule book's (below), which names the section and the link.
      if (def._type === 'externalLink') return;
      if (def.link === null) {
        warn(`${base}.markDefs[${i}].reference`, 'link left out: the referenced link document is missing or unpublished');
      } else if (!isSafeLinkUrl(def.link.url)) {
        warn(`${base}.markDefs[${i}].link.url`, `link to ${describeUrl(def.link.url)} left out: only http(s) and mailto links are allowed`);
      }
    });
  };
  const noteBody = (body: NoteBlock[], base: string) => body.forEach((b, i) => markDefs(b.markDefs, `${base}.body[${i}]`));

  const blocks = (list: PortableBlock[], base: string) => {
    list.forEach((block, i) => {
      const at = `${base}[${i}]`;
      switch (block._type) {
        case 'block':
          markDefs(block.markDefs, at);
          block.children.forEach((child, c) => {
            if (child._type === 'editorialNote') noteBody(child.body, `${at}.children[${c}]`);
          });
          break;
        case 'editorialNote':
          noteBody(block.body, at);
          break;
        case 'linkCard':
          if (block.link === null) warn(`${at}.link`, 'link card left out: the referenced link document is missing or unpublished');
          else if (!isSafeLinkUrl(block.link.url)) warn(`${at}.link.url`, `link card to ${describeUrl(block.link.url)} left out: only http(s) and mailto links are allowed`);
          break;
        case 'image':
          if (block.url === undefined) warn(`${at}.asset`, 'image left out: it has no uploaded asset');
          else if (!isHttpUrl(block.url)) warn(`${at}.url`, `image ${describeUrl(block.url)} left out: only http(s) images are allowed`);
          break;
      }
    });
  };

  // The rule book's errors: an issue that gets this far was not published through the
  // Studio (the lake refuses it there), so the build says what is broken in its words.
  for (const error of findIssueRuleErrors(issue)) warn(error.path, error.message);
  blocks(issue.intro, 'intro');
  issue.sections.forEach((section, s) => blocks(section.body, `sections[${s}].body`));
  blocks(issue.signOff, 'signOff');
  return warnings;
}

/** A URL quoted for a message: control characters removed, long ones shortened. */
export function describeUrl(url: string): string {
  const clean = url.replace(/[\u0000-\u001f\u007f]/g, '');
  return JSON.stringify(clean.length > 60 ? `${clean.slice(0, 57)}...` : clean);
}
