// Benchmark (not a test): how long one real-size issue (12 sections, 80 links, 19 notes)
// takes to render to email HTML + text, how much of that is MJML, and how big the HTML
// is against Gmail's 102 KB clipping limit. Run: npx tsx bench/issue-email.ts
import mjml2html from 'mjml';
import { buildIssueMjml, renderIssueEmail } from '../emails/issue-email.ts';
import { renderIssueText } from '../emails/issue-text.ts';
import { aRealSizeIssue, aRenderContext } from '../tests/builders.ts';

const issue = aRealSizeIssue();
const ctx = aRenderContext();
const runs = 50;

const time = async (fn: () => unknown) => {
  for (let i = 0; i < 5; i++) await fn(); // warm-up: JIT and MJML's lazy component registry
  const start = performance.now();
  for (let i = 0; i < runs; i++) await fn();
  return (performance.now() - start) / runs;
};

const whole = await time(() => renderIssueEmail(issue, ctx));
const source = await time(() => buildIssueMjml(issue, ctx));
const mjmlSource = buildIssueMjml(issue, ctx);
const mjml = await time(() => mjml2html(mjmlSource, { validationLevel: 'strict', keepComments: false }));
const text = await time(() => renderIssueText(issue, ctx));
const { html } = await renderIssueEmail(issue, ctx);
const kb = Buffer.byteLength(html, 'utf8') / 1024;

console.log(`real-size issue email, mean of ${runs} runs after warm-up:`);
console.log(`  whole render (HTML + text)   ${whole.toFixed(2)} ms`);
console.log(`  Portable Text → MJML source  ${source.toFixed(2)} ms`);
console.log(`  MJML → HTML (strict)         ${mjml.toFixed(2)} ms (${((mjml / whole) * 100).toFixed(0)}% of the whole)`);
console.log(`  plain-text part              ${text.toFixed(2)} ms`);
console.log(`  HTML size                    ${kb.toFixed(1)} KB (Gmail clips above 102 KB)`);
